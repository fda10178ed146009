/// What ``WorkflowLifecycle/reduce(_:into:)`` changes: a store of workflows, each at an integer slot, with a
/// ``WorkflowSummary`` apiece and whatever else the store keeps (inputs, histories, inboxes; or only IDs).
///
/// The reducer decides what a record does; the store's methods carry it out on what it keeps, and decide nothing
/// the lifecycle rules decide. Methods a store has no use for default to doing nothing. The reducer is generic over
/// the store, so each store's code is specialized: no existential, no allocation of its own per record.
protocol WorkflowLifecycleStore {
    /// How the store finds a workflow again when it inserts it (the ID's hash, computed once per record).
    associatedtype Hint
    /// What may proceed after a record (the engine's waiters); `Never` for a store with no waiters.
    associatedtype Wakeup

    /// The slot of the workflow whose ID lies at `id` of the event's bytes (nil when unknown), and the hint to
    /// insert it with.
    func find(_ id: Range<Int>, in event: EventEnvelope) -> (slot: Int?, hint: Hint)
    /// Adds the workflow `event` starts (the store does not hold its ID); returns its slot. Its summary is
    /// ``WorkflowSummary/init(started:id:name:)``.
    mutating func insert(started event: EventEnvelope, hint: Hint) -> Int
    /// Adds a finished workflow from its summary record (the store does not hold its ID); returns its slot. Its
    /// summary is ``WorkflowSummary/init(restoring:)``.
    mutating func insert(restored record: WorkflowSummaryRecord, hint: Hint, _ event: EventEnvelope) -> Int
    /// The summary of the workflow at `slot`, changed in place.
    subscript(summaryAt slot: Int) -> WorkflowSummary { get set }

    /// A ``EventKind/workflowSummary`` record of the workflow at `slot` was applied (restored or not).
    mutating func summarized(_ slot: Int, _ event: EventEnvelope)
    /// The workflow at `slot` completed or failed (its summary says which): keep its output, drop its history.
    mutating func finished(_ slot: Int, _ event: EventEnvelope)
    /// The workflow at `slot` was resumed.
    mutating func resumed(_ slot: Int)
    /// A recovery of the workflow at `slot` began.
    mutating func attemptedRecovery(_ slot: Int)
    /// The engine stopped cleanly.
    mutating func engineStopped()

    /// Records that a message to the workflow at `destination` (bytes of the event) carried idempotency key `key`;
    /// false when that (destination, key) was recorded before, and the message is then not delivered.
    mutating func claim(idempotencyKey key: Range<Int>, destination: Range<Int>, _ event: EventEnvelope) -> Bool
    /// Puts the message `event` sends in the inbox of the workflow at `destination` (bytes of the event), under the
    /// event's name (the topic) and ID `event.lsn`.
    mutating func deliver(_ event: EventEnvelope, to destination: Range<Int>) -> Wakeup?
    /// Takes message `messageID` out of the inbox the receive `event` reads (its workflow, its name).
    mutating func consume(messageID: UInt64, _ event: EventEnvelope)
    /// The workflow whose record `event` is (at `slot`, when known) set an event's value.
    mutating func setEvent(_ slot: Int?, _ event: EventEnvelope) -> Wakeup?
    /// An operation of the workflow at `slot` (when known): the store may add it to the workflow's history.
    mutating func record(_ slot: Int?, _ event: EventEnvelope)

    /// What may proceed now that the workflow at `slot` (nil: not known, the event's workflow ID) changed status.
    func wakeup(workflowAt slot: Int?, _ event: EventEnvelope) -> Wakeup?
}

extension WorkflowLifecycleStore {
    func wakeup(workflowAt slot: Int?, _ event: EventEnvelope) -> Wakeup? { nil }
    mutating func summarized(_ slot: Int, _ event: EventEnvelope) {}
    mutating func finished(_ slot: Int, _ event: EventEnvelope) {}
    mutating func resumed(_ slot: Int) {}
    mutating func attemptedRecovery(_ slot: Int) {}
    mutating func engineStopped() {}
    mutating func deliver(_ event: EventEnvelope, to destination: Range<Int>) -> Wakeup? { nil }
    mutating func consume(messageID: UInt64, _ event: EventEnvelope) {}
    mutating func setEvent(_ slot: Int?, _ event: EventEnvelope) -> Wakeup? { nil }
    mutating func record(_ slot: Int?, _ event: EventEnvelope) {}
}
