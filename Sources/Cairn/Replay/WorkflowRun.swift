import Synchronization

/// One execution of a workflow in this process: the history it replays against, which recorded positions it has
/// consumed, and whether it must stop (diverged, cancelled, engine shutting down).
final class WorkflowRun: Sendable {
    let engine: WorkflowEngine
    let id: String
    let name: String
    let history: [Position: Projection.HistoryEntry]
    let mode: DeterminismMode
    /// Replaying without side effects (the determinism checker): nothing runs live, nothing is written, sleeps
    /// do not wait. The first operation past the record stops the run at the *frontier*.
    let replayOnly: Bool
    /// Fired when the run must stop waiting: cancelled, or the engine is shutting down.
    let interrupt = Signal()

    enum Stop: Sendable {
        case diverged(DeterminismError)
        /// A recorded value no longer decodes as the type the code asks for (its type changed in a deploy): the
        /// workflow is parked, with this error's message as the reason, until a fix lets it decode.
        case undecodable(WorkflowError)
        case cancelled
        /// The engine is shutting down: the workflow stays unfinished in the log and resumes at the next start.
        case suspended
        /// A replay-only run reached the end of the record (``WorkflowRun/replayOnly``), attempting this.
        case frontier(Position, OperationDescription?)
    }

    private struct State: ~Copyable {
        var consumed: Set<Position> = []
        var stop: Stop?
        var finished = false
        /// The run's tasks (its body and its live parallel branches), and how many of them are in a durable wait
        /// or waiting for their branches: the run holds a running slot while some task is not waiting.
        var tasks = 1
        var waits = 0
    }

    private let state = Mutex(State())

    init(
        engine: WorkflowEngine, id: String, name: String, history: [Position: Projection.HistoryEntry],
        mode: DeterminismMode? = nil, replayOnly: Bool = false
    ) {
        self.engine = engine
        self.id = id
        self.name = name
        self.history = history
        self.mode = mode ?? engine.configuration.determinism
        self.replayOnly = replayOnly
    }

    /// Stops a replay-only run at the end of its record; returns the error the operation throws.
    func reachFrontier(_ position: Position, attempted: AttemptedOperation?) -> WorkflowError {
        halt(.frontier(position, attempted?.description))
        return WorkflowError(.invalidState, "replay reached the end of the recorded history", workflowID: id, position: position)
    }

    var stop: Stop? { state.withLock { $0.stop } }

    /// Throws when the run must not make another operation.
    func checkRunnable() throws {
        let (stop, finished) = state.withLock { ($0.stop, $0.finished) }
        if finished {
            throw WorkflowError(
                .misuse,
                "a workflow operation was called after the workflow returned (from a task it spawned?); use the context's parallel API for concurrent work",
                workflowID: id)
        }
        switch stop {
        case nil: return
        case .diverged(let error):
            throw WorkflowError(.diverged, "\(error)", workflowID: id, position: error.position, underlying: error)
        case .undecodable(let error):
            throw error
        case .cancelled:
            throw WorkflowError(.cancelled, "the workflow was cancelled", workflowID: id)
        case .suspended:
            throw WorkflowError(.shuttingDown, "the engine is shutting down; the workflow resumes at the next start", workflowID: id)
        case .frontier(let position, _):
            throw WorkflowError(.invalidState, "replay reached the end of the recorded history", workflowID: id, position: position)
        }
    }

    /// Records that the run must stop; the first reason wins. Interrupts waits.
    func halt(_ stop: Stop) {
        let first = state.withLock { s -> Bool in
            guard s.stop == nil else { return false }
            s.stop = stop
            return true
        }
        if first { interrupt.fire() }
    }

    /// Marks the run as diverged and returns the error to throw.
    func diverge(_ report: DeterminismError) -> WorkflowError {
        halt(.diverged(report))
        if case .diverged(let first) = stop {
            return WorkflowError(.diverged, "\(first)", workflowID: id, position: first.position, underlying: first)
        }
        return WorkflowError(.diverged, "\(report)", workflowID: id, position: report.position, underlying: report)
    }

    /// Stops the run because a recorded value does not decode (`error`, from ``WorkflowEngine/decode(_:from:what:workflowID:position:)``):
    /// the workflow will be parked, not failed — its history is sound, today's code reads it wrongly, and a fix
    /// resumes it. Returns the error to throw, whose message is the park reason: which workflow, where, what, and
    /// what to do.
    func undecodable(_ error: WorkflowError) -> WorkflowError {
        let place = error.position.map { "at position \($0)" } ?? "at its input"
        let parked = WorkflowError(
            .undecodablePayload,
            "workflow '\(id)' (\(name)) is parked \(place): \(error.message) To go on, fix the type so that it decodes the recorded bytes, or version the change with patched(_:) so that histories recorded before it keep the old type; then deploy and resume the workflow with resume(\"\(id)\")",
            workflowID: id, position: error.position, underlying: error.underlying)
        halt(.undecodable(parked))
        return parked
    }

    func consume(_ position: Position) {
        _ = state.withLock { $0.consumed.insert(position) }
    }

    /// Marks the run finished; returns the first recorded position the code never reached, if any.
    func finish() -> Position? {
        state.withLock { s in
            s.finished = true
            guard s.consumed.count < history.count else { return nil }
            return history.keys.filter { !s.consumed.contains($0) }.min()
        }
    }

    // MARK: Admission (``EngineConfiguration/maxRunningWorkflows``)

    /// A task of the run begins to wait; true when now every task waits (the run gives its running slot up).
    func enterWait() -> Bool {
        state.withLock { s in
            s.waits += 1
            return s.waits == s.tasks
        }
    }

    /// A task of the run stops waiting; true when the run had given its slot up (it takes one again).
    func leaveWait() -> Bool {
        state.withLock { s in
            defer { s.waits -= 1 }
            return s.waits == s.tasks
        }
    }

    /// A parallel branch starts (from a task that runs, so the run holds its slot).
    func branchStarted() {
        state.withLock { $0.tasks += 1 }
    }

    /// A parallel branch ended; true when every remaining task waits (the run gives its slot up).
    func branchEnded() -> Bool {
        state.withLock { s in
            s.tasks -= 1
            return s.waits == s.tasks
        }
    }

    /// How many recorded positions the run has replayed.
    var consumedCount: Int { state.withLock { $0.consumed.count } }
}

/// Set while a step's body runs, so that a workflow operation called from inside it is refused.
enum StepBody {
    @TaskLocal static var current: String?
}
