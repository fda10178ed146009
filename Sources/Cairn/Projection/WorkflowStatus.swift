/// Where a workflow stands.
public enum WorkflowStatus: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// Started (durably) with ``StartOptions`` and waiting for its queue: for a slot, its rate limit or its
    /// not-before time (``WorkflowEngine/start(_:input:id:options:)``). It runs no code until dequeued.
    case enqueued
    /// Started (durably) and waiting to run: not yet picked up, or waiting for recovery.
    case pending
    /// Running in this process (possibly sleeping or waiting for a message).
    case running
    /// Returned a result.
    case completed
    /// Threw an error from its body.
    case failed
    /// Cancelled with ``WorkflowEngine/cancel(_:includingChildren:)``; resumable.
    case cancelled
    /// Parked because its code no longer matches its history; resumable after a fix.
    case diverged
    /// Parked because its workflow is not registered here, or its recovery failed too often; resumable.
    case parked

    /// Completed or failed: nothing more will happen to it.
    public var isFinished: Bool { self == .completed || self == .failed }
    /// Enqueued, pending or running: it has not settled (recovery resumes the pending and running ones; a queue
    /// starts the enqueued ones).
    public var isActive: Bool { self == .pending || self == .running || self == .enqueued }

    public var description: String { rawValue }
}

/// What the engine knows about a workflow without reading its history.
public struct WorkflowSummary: Sendable, Hashable {
    /// The workflow's ID.
    public var id: String
    /// The registered name of its workflow type.
    public var name: String
    /// Where it stands.
    public var status: WorkflowStatus
    /// When it was started (nanoseconds since 1970).
    public var startedAt: Int64
    /// When its status last changed (nanoseconds since 1970).
    public var updatedAt: Int64
    /// The workflow that started it as a child, if any.
    public var parentID: String?
    /// For a failed workflow: what its body threw.
    public var failure: WorkflowFailure?
    /// For a parked or diverged workflow: why, in words (a determinism report, an unknown name, …).
    public var parkReason: String?
    /// For a parked or diverged workflow: why, as a value to decide on (``parkReason`` is the text to show).
    public var parkedBecause: ParkReason?
    /// The number of recorded operations kept for replay (0 once finished: finished workflows keep no history).
    public var historyCount: Int
    /// Its deadline, nanoseconds since 1970 (``StartOptions/timeout``, or inherited from its parent): when it passes
    /// the workflow and its descendants are cancelled. Nil when it has none.
    public var deadline: Int64? = nil
    /// Whether it was cancelled because its deadline passed (a resume clears the deadline and this).
    public var timedOut = false
    /// For a completed workflow, as the engine's queries give it: its result as recorded (``output(as:codec:)``).
    public var output: [UInt8]? = nil
    /// As the engine's queries and change sequences give it (``WorkflowEngine/summary(of:)``,
    /// ``WorkflowEngine/list(status:name:startedSince:startedBefore:idContaining:limit:after:)``, ``WorkflowHandle/summary()``,
    /// ``WorkflowEngine/changes(name:id:)``): the value of each event the workflow had set at that point, by key, as
    /// recorded (``eventValue(_:key:codec:)`` decodes one).
    public var eventValues: [String: [UInt8]] = [:]
}
