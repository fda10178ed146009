import CairnLog
import Synchronization

/// What a workflow's code uses to do anything that must survive a crash: steps, durable sleeps, messages,
/// events, streams, child workflows, recorded values and parallel branches.
///
/// Every operation takes the next **position** in the workflow's history and records its call site. On replay,
/// an operation whose position is recorded checks that it matches the record (kind and name; in strict mode its
/// details too) and returns the recorded outcome without running anything; the first operation past the record
/// runs live and is appended.
///
/// A context belongs to one line of execution: use it from the workflow's body (or a branch's body for a branch
/// context), one operation at a time. For concurrent work use ``parallel(_:file:line:_:)`` or
/// ``map(_:file:line:_:)``, which give each branch its own context. Operations called inside a step's body, from a
/// task the workflow spawned itself, or after the workflow returned are refused with ``WorkflowError/Code/misuse``:
/// they could not be recorded at a stable position.
public final class WorkflowContext: Sendable {
    let run: WorkflowRun
    let prefix: [UInt32]

    private struct Scope: ~Copyable {
        var next: UInt32 = 0
        var busy = false
        /// The step whose operation is in progress, when it is one: an operation of this context called from that
        /// step's body finds the context busy, and the refusal names the step.
        var step: String?
        /// Outcomes appended but not yet durable: written by the next operation's barrier, or with the
        /// workflow's completion.
        var pending: [Event] = []
    }

    private let scope = Mutex(Scope())
    /// The task that runs this context's code (the workflow's body, or a branch's); operations from any other
    /// task are refused. Nil until that task adopts the context.
    private let owner = Mutex<TaskIdentity?>(nil)

    init(run: WorkflowRun, prefix: [UInt32]) {
        self.run = run
        self.prefix = prefix
    }

    /// Makes the calling task the only one allowed to use this context. Called first thing by the task that runs
    /// the workflow's body or a branch's.
    func adoptCurrentTask() {
        let current = TaskIdentity.current
        owner.withLock { $0 = current }
    }

    /// The workflow's ID.
    public var workflowID: String { run.id }
    /// The workflow's registered name.
    public var workflowName: String { run.name }

    var engine: WorkflowEngine { run.engine }

    // MARK: The operation protocol

    /// Starts an operation: refuses misuse, takes the next position, makes earlier outcomes durable (the commit
    /// rule), and compares with the record. Returns the recorded entry when there is one. Must be paired with
    /// ``end()``.
    ///
    /// Only the commit is asynchronous; the checks before and after it are `@inline(never)` functions so that this
    /// frame, allocated from the workflow's task for every operation, stays small.
    @inline(never)
    func begin(_ attempted: AttemptedOperation) async throws -> (Position, Recorded?) {
        let (position, pending) = try open(attempted)
        do {
            // Earlier outcomes first, even when the run must stop: they happened (a step that finished after a
            // cancellation, a message taken off the inbox), and dropping them would run or lose them again.
            if !pending.isEmpty { try await engine.commit(pending) }
            return (position, try replayed(attempted, at: position))
        } catch {
            end()
            throw error
        }
    }

    /// The first half of ``begin(_:)``: refuses misuse, takes the next position and the outcomes still to write.
    @inline(never)
    private func open(_ attempted: AttemptedOperation) throws -> (Position, [Event]) {
        if let step = StepBody.current {
            throw WorkflowError(
                .misuse,
                "\(attempted.kind.rawValue) '\(attempted.name)' at \(attempted.callSite) was called inside the body of step '\(step)'; workflow operations belong in the workflow's body, not in a step",
                workflowID: run.id)
        }
        if let owner = owner.withLock({ $0 }), owner != TaskIdentity.current {
            throw WorkflowError(
                .misuse,
                "\(attempted.kind.rawValue) '\(attempted.name)' at \(attempted.callSite) was called from a task the workflow spawned itself (Task {}, a task group, async let); its position would depend on timing — give concurrent work a context of its own with parallel(_:) or map(_:)",
                workflowID: run.id)
        }
        return try scope.withLock { s throws(WorkflowError) -> (Position, [Event]) in
            if s.busy, let step = s.step {
                throw WorkflowError(
                    .misuse,
                    "\(attempted.kind.rawValue) '\(attempted.name)' at \(attempted.callSite) was called inside the body of step '\(step)'; workflow operations belong in the workflow's body, not in a step",
                    workflowID: run.id)
            }
            if s.busy {
                throw WorkflowError(
                    .misuse,
                    "\(attempted.kind.rawValue) '\(attempted.name)' at \(attempted.callSite) was called while another operation of the same context is running; give concurrent work its own context with parallel(_:) or map(_:)",
                    workflowID: run.id)
            }
            s.busy = true
            if attempted.kind == .step { s.step = attempted.name }
            defer { s.next += 1 }
            let pending = s.pending
            s.pending = []
            return (Position(prefix: prefix, index: s.next), pending)
        }
    }

    /// The second half of ``begin(_:)``: the recorded entry at `position`, checked against the attempt; nil when the
    /// operation runs live.
    @inline(never)
    private func replayed(_ attempted: AttemptedOperation, at position: Position) throws -> Recorded? {
        try run.checkRunnable()
        guard let entry = run.history[position] else {
            if run.replayOnly { throw run.reachFrontier(position, attempted: attempted) }
            return nil
        }
        try match(attempted, at: position, entry: entry)
        run.consume(position)
        return Recorded(entry)
    }

    func match(_ attempted: AttemptedOperation, at position: Position, entry: Projection.HistoryEntry) throws {
        guard let recorded = entry.event ?? entry.waitStarted else { return }
        // A wait that ended has two records: its outcome, and its start, which alone holds the timeout.
        var mismatch: (Event, String)? = attempted.mismatch(with: recorded, mode: run.mode).map { (recorded, $0) }
        if mismatch == nil, entry.event != nil, let wait = entry.waitStarted {
            mismatch = attempted.mismatch(with: wait, mode: run.mode).map { (wait, $0) }
        }
        if let (recorded, reason) = mismatch {
            let report = DeterminismError(
                workflowID: run.id, workflowName: run.name, position: position, recorded: describe(recorded),
                attempted: attempted.description, reason: reason, mode: run.mode)
            throw run.diverge(report)
        }
    }

    /// The position the next operation will take.
    func peekPosition() -> Position {
        Position(prefix: prefix, index: scope.withLock { $0.next })
    }

    /// Ends an operation begun with ``begin(_:)``.
    func end() {
        scope.withLock { s in
            s.busy = false
            s.step = nil
        }
    }

    /// Queues an outcome to be made durable before the next operation (or with the completion).
    func enqueue(_ event: Event) {
        scope.withLock { s in
            // Room for one more: a workflow's last outcome is written together with its completion.
            if s.pending.isEmpty { s.pending.reserveCapacity(2) }
            s.pending.append(event)
        }
    }

    /// Takes the queued outcomes (at the end of a branch or of the workflow).
    func takePending() -> [Event] {
        scope.withLock { s in
            defer { s.pending = [] }
            return s.pending
        }
    }

    /// An event of this workflow at `position`, stamped with the clock and call site.
    func event(
        _ kind: EventKind, at position: Position, name: String, callSite: CallSite, digest: UInt64? = nil,
        target: String? = nil, deadline: Int64? = nil, number: UInt64? = nil, errorType: String? = nil,
        flags: Event.Flags = [], payload: [UInt8] = []
    ) -> Event {
        Event(
            kind: kind, workflowID: run.id, position: position, name: name, callSite: callSite, time: engine.clock.now(),
            digest: digest, target: target, deadline: deadline, number: number, errorType: errorType, flags: flags,
            payload: payload)
    }

    /// Decodes a recorded (or just received) value; one that does not decode as `T` parks the workflow (see
    /// ``WorkflowRun/undecodable(_:)``) rather than failing it for good.
    func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], what: @autoclosure () -> String, at position: Position) throws -> T {
        do {
            return try engine.decode(T.self, from: bytes, what: what(), workflowID: run.id, position: position)
        } catch let error as WorkflowError {
            throw run.undecodable(error)
        }
    }

    func encode<T: Encodable>(_ value: T, what: @autoclosure () -> String, at position: Position) throws -> [UInt8] {
        try engine.encode(value, what: what(), workflowID: run.id, position: position)
    }

    /// Maps a cancellation that reached an operation to the run's reason for stopping.
    func stopError(_ error: any Error) -> any Error {
        if error is CancellationError, run.stop != nil {
            do { try run.checkRunnable() } catch { return error }
        }
        return error
    }
}

/// What was recorded at an operation's position, when it is replayed.
///
/// A reference rather than the entry itself: operations hold it across their suspension points, and each such
/// value is part of the operation's async frame, allocated from the workflow's task for every operation — live ones
/// too, which never get a record.
final class Recorded: Sendable {
    let entry: Projection.HistoryEntry

    init(_ entry: Projection.HistoryEntry) { self.entry = entry }

    /// The operation's outcome, when it has one.
    var event: Event? { entry.event }
    /// Whether it has an outcome. (Ask this rather than `event != nil` in an async function: an `Event` is large,
    /// and each temporary copy of one becomes part of the frame.)
    var hasOutcome: Bool { entry.event != nil }
    /// For a wait: when it began (with its deadline).
    var waitStarted: Event? { entry.waitStarted }
}

/// Which task is running: compared, never used to act on the task.
struct TaskIdentity: Equatable, @unchecked Sendable {
    // @unchecked: `UnsafeCurrentTask` is not Sendable because acting on a task from elsewhere is unsafe; this only
    // compares identities. The stored value keeps a strong reference to its task, so the address cannot be reused
    // by another task while it is kept.
    private let task: UnsafeCurrentTask

    /// The calling task, if the caller runs in one.
    static var current: TaskIdentity? { withUnsafeCurrentTask { $0.map(TaskIdentity.init) } }

    private init(_ task: UnsafeCurrentTask) { self.task = task }
}
