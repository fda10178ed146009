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
    /// The workflow was charged a recovery attempt that no wait has settled yet (this process resumed it after an
    /// unclean stop): the first time every task of the run waits, its recovery has succeeded, and the engine
    /// records so (``EventKind/recoverySucceeded``), which sets its attempts back to zero. Replay up to that point
    /// ran code — a crash there counts — but a workflow that dies while it waits is not at fault, even when its
    /// wait is one recovery cannot see in the history (inside parallel branches, an untimed event read).
    let recovering: Bool
    /// Fired when the run must stop waiting: cancelled, or the engine is shutting down.
    let interrupt = Signal()

    enum Stop: Sendable {
        case diverged(DeterminismError)
        /// The workflow's history is sound but today's process cannot go on with it — a recorded value no longer
        /// decodes (``ParkReason/undecodableValue``), a child's type is not registered
        /// (``ParkReason/unknownWorkflow``): it is parked for this reason, with the error's message as the text,
        /// until a fix lets it go on.
        case parked(ParkReason, WorkflowError)
        case cancelled
        /// The engine is shutting down: the workflow stays unfinished in the log and resumes at the next start.
        case suspended
        /// Every task of the run waits durably, and the engine releases it to keep memory for others
        /// (``EngineConfiguration/maxCachedWorkflows``): the workflow stays pending and is resumed by replay when
        /// this wake-up comes.
        case evicted(WakeUp)
        /// A replay-only run reached the end of the record (``WorkflowRun/replayOnly``), attempting this.
        case frontier(Position, OperationDescription?)
    }

    private struct State: ~Copyable {
        var consumed: Set<Position> = []
        var stop: Stop?
        var finished = false
        /// The run's tasks (its body and its live parallel branches), and what those that wait wait for: the run
        /// holds a running slot while some task does not wait, and may be evicted while every task waits durably.
        var tasks = 1
        var waits: [(token: UInt32, wait: Wait)] = []
        var nextToken: UInt32 = 0
        /// The streams this run's code has closed (replayed closes included).
        var closedStreams: Set<String> = []
        /// The run's tasks suspended on a parallel branch's value, or on the end of their branches (a parallel
        /// body's join): not running code, unlike a parallel body in its `.branches` wait, which runs the body's code
        /// (starting branches) while it counts as waiting for admission.
        var blocked = 0
        /// Whether the run's recovery has been settled (see ``WorkflowRun/recovering``).
        var settled = false

        /// Whether the run, recovering, has just reached its first moment of running no code at all — every task in
        /// a durable wait or a pause, or suspended on a branch, and at least one in a wait: its recovery succeeded
        /// (reported once).
        mutating func settles(recovering: Bool) -> Bool {
            guard recovering, !settled else { return false }
            var waiting = 0
            for case (_, let wait) in waits {
                if case .branches = wait { continue }
                waiting += 1
            }
            guard waiting > 0, waiting + blocked == tasks else { return false }
            settled = true
            return true
        }

        /// Whether every task waits, and if so whether the run may be evicted.
        var idleness: Idleness? {
            guard waits.count == tasks else { return nil }
            var durable = false
            for (_, wait) in waits {
                switch wait {
                case .durable: durable = true
                case .branches: break
                case .pause: return .pinned
                }
            }
            return durable ? .evictable : .pinned
        }
    }

    /// A run whose every task waits: whether it may be evicted (every wait is durable or waits for branches) or
    /// must stay in memory (a pause the history does not know).
    enum Idleness { case evictable, pinned }

    private let state = Mutex(State())

    init(
        engine: WorkflowEngine, id: String, name: String, history: [Position: Projection.HistoryEntry],
        mode: DeterminismMode? = nil, replayOnly: Bool = false, recovering: Bool = false
    ) {
        self.engine = engine
        self.recovering = recovering
        self.id = id
        self.name = name
        self.history = history
        self.mode = mode ?? engine.configuration.determinism
        self.replayOnly = replayOnly
    }

    /// Whether the run's code has closed stream `key`.
    func hasClosedStream(_ key: String) -> Bool { state.withLock { $0.closedStreams.contains(key) } }

    /// Notes that the run's code closed stream `key`.
    func closeStream(_ key: String) { _ = state.withLock { $0.closedStreams.insert(key) } }

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
        case .parked(_, let error):
            throw error
        case .cancelled:
            throw WorkflowError(.cancelled, "the workflow was cancelled", workflowID: id)
        case .suspended:
            throw WorkflowError(.shuttingDown, "the engine is shutting down; the workflow resumes at the next start", workflowID: id)
        case .evicted:
            throw WorkflowError(
                .evicted,
                "the workflow was evicted from memory while it waited; it resumes by replay when its wait ends (rethrow this error)",
                workflowID: id)
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
        halt(.parked(.undecodableValue, parked))
        return parked
    }

    /// Stops the run because it starts a child workflow this process cannot run (`error`, which says which and
    /// what to do): the workflow will be parked as ``ParkReason/unknownWorkflow``, not failed — the missing
    /// registration is a deploy's mistake, and recovery resumes it at the next start, where it goes on once the
    /// child is registered (and parks again until then). Live and after a restart it ends the same way. Returns
    /// the error to throw.
    func childNotRegistered(_ error: WorkflowError) -> WorkflowError {
        halt(.parked(.unknownWorkflow, error))
        return error
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

    // MARK: Admission and eviction

    // The engine calls these under its own lock (enterWait, branchEnded, evict) or right before taking it
    // (leaveWait), so that whether the run is idle, and whether it is cached, change together.

    /// A task of the run begins `wait`; returns the token that ends it and, when now every task waits, whether the
    /// run may be evicted (it gives its running slot up) and whether its recovery has just succeeded.
    func enterWait(_ wait: Wait) -> (token: UInt32, idle: Idleness?, settles: Bool) {
        state.withLock { s in
            let token = s.nextToken
            s.nextToken &+= 1
            s.waits.append((token, wait))
            return (token, s.idleness, s.settles(recovering: recovering))
        }
    }

    /// A task of the run stops waiting. `retake`: every task had waited (the run takes a running slot again);
    /// `evicted`: the run was evicted meanwhile, so whatever ended the wait must not be used — the replay that
    /// resumes the workflow meets it again.
    func leaveWait(_ token: UInt32) -> (retake: Bool, evicted: Bool) {
        state.withLock { s in
            let retake = s.waits.count == s.tasks
            if let index = s.waits.firstIndex(where: { $0.token == token }) { s.waits.remove(at: index) }
            if case .evicted = s.stop { return (retake, true) }
            return (retake, false)
        }
    }

    /// A parallel branch starts. Returns whether every task waited until now: the parallel body starts branches
    /// from inside its `.branches` wait, so the run may have given its running slot up, and takes it back.
    func branchStarted() -> Bool {
        state.withLock { s in
            let wasIdle = s.waits.count == s.tasks
            s.tasks += 1
            return wasIdle
        }
    }

    /// A parallel branch ended; when every remaining task waits, whether the run may be evicted and whether its
    /// recovery has just succeeded.
    func branchEnded() -> (idle: Idleness?, settles: Bool) {
        state.withLock { s in
            s.tasks -= 1
            return (s.idleness, s.settles(recovering: recovering))
        }
    }

    /// A task of the run is about to suspend on a parallel branch (its value, or the end of them all); returns
    /// whether the run's recovery has just succeeded. ``unblock(_:)`` undoes it, by whoever ends the suspension.
    func blockOnBranch() -> Bool {
        state.withLock { s in
            s.blocked += 1
            return s.settles(recovering: recovering)
        }
    }

    /// `count` tasks suspended on a branch (``blockOnBranch()``) run again.
    func unblock(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { $0.blocked -= count }
    }

    /// Evicts the run if every task still waits durably, nothing stopped it, and its wake-up has not `come`
    /// already (a wait about to end: evicting it would only replay it into the same end, again and again): records
    /// ``Stop/evicted(_:)`` with the union of its waits. The caller interrupts them outside its lock
    /// (``interruptEvicted()``). Returns whether it did.
    func evict(unless come: (WakeUp) -> Bool) -> Bool {
        state.withLock { s in
            guard s.stop == nil, !s.finished, s.idleness == .evictable else { return false }
            var wakeUp = WakeUp()
            for case (_, .durable(let part)) in s.waits { wakeUp.merge(part) }
            if come(wakeUp) { return false }
            s.stop = .evicted(wakeUp)
            return true
        }
    }

    /// Ends the waits of a run ``evict()`` evicted.
    func interruptEvicted() { interrupt.fire() }

    /// How many recorded positions the run has replayed.
    var consumedCount: Int { state.withLock { $0.consumed.count } }
}

/// Set while a step's body runs, so that a workflow operation called from inside it is refused.
enum StepBody {
    @TaskLocal static var current: String?
}
