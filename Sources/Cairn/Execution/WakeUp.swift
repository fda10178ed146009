/// What ends a durable wait: a deadline, and the events that end it sooner. An evicted workflow
/// (``EngineConfiguration/maxCachedWorkflows``) is kept as its wake-up alone, in the ``WaitingRoom``, and resumed by
/// replay when any part of it happens.
///
/// A wake-up never has to be exact, only complete: waking a workflow too early costs a replay that waits again; one
/// that is never woken is lost. So a run whose tasks wait on several things (parallel branches) waits on their union.
struct WakeUp: Sendable, Equatable {
    /// When the wait ends at the latest, in nanoseconds since 1970; `Int64.max` when it has no deadline.
    var deadline: Int64 = .max
    /// What else ends it.
    var keys: [WakeKey] = []

    /// The union of two waits: the earlier deadline, every key.
    mutating func merge(_ other: WakeUp) {
        deadline = min(deadline, other.deadline)
        for key in other.keys where !keys.contains(key) { keys.append(key) }
    }
}

/// One thing that ends a durable wait before its deadline.
enum WakeKey: Hashable, Sendable {
    /// A message in this inbox (the receiving workflow, the topic).
    case message(Projection.Key)
    /// This event being set (the workflow that sets it, the key).
    case event(Projection.Key)
    /// This workflow settling: finishing, or stopping where it cannot give a result (a child's result).
    case settled(String)
}

/// What one task of a run waits for (``WorkflowEngine/waiting(_:_:_:)``), which decides whether the run can be
/// evicted while it waits.
enum Wait: Sendable {
    /// A wait whose start is recorded: replaying the history brings the code back into it, so the task may be
    /// released and the workflow resumed by replay when the wake-up comes.
    case durable(WakeUp)
    /// A parallel call waiting for its branches: it ends when they do, so it adds nothing to the wake-up.
    case branches
    /// A wait the history does not know (an event read without a timeout): replay would not come back to it, so a
    /// run in it is never evicted.
    case pause
}
