import CairnLog
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
    /// The workflow at `slot` joined a queue (its ``EventKind/workflowEnqueued`` record; its status is `enqueued`).
    mutating func enqueued(_ slot: Int, _ event: EventEnvelope)
    /// The workflow at `slot` left its queue's waiting members for a slot (status `pending`).
    mutating func dequeued(_ slot: Int, _ event: EventEnvelope)
    /// Whether the workflow at `slot` joined a queue and was never dequeued: a resume makes it `enqueued` again.
    func awaitsQueue(_ slot: Int) -> Bool
    /// A queue's declaration was recorded (``EventKind/queueDeclared``).
    mutating func queueDeclared(_ event: EventEnvelope)
    /// A record that can change a status was applied to the workflow at `slot` (whether it changed or not).
    mutating func statusChanged(_ slot: Int)
    /// A recovery of the workflow at `slot` began.
    mutating func attemptedRecovery(_ slot: Int)
    /// The workflow at `slot`, resumed after an unclean stop, reached a wait: its recovery attempts start afresh.
    mutating func recoverySucceeded(_ slot: Int)
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
    mutating func enqueued(_ slot: Int, _ event: EventEnvelope) {}
    mutating func dequeued(_ slot: Int, _ event: EventEnvelope) {}
    func awaitsQueue(_ slot: Int) -> Bool { false }
    mutating func statusChanged(_ slot: Int) {}
    mutating func queueDeclared(_ event: EventEnvelope) {}
    mutating func attemptedRecovery(_ slot: Int) {}
    mutating func recoverySucceeded(_ slot: Int) {}
    mutating func engineStopped() {}
    mutating func deliver(_ event: EventEnvelope, to destination: Range<Int>) -> Wakeup? { nil }
    mutating func consume(messageID: UInt64, _ event: EventEnvelope) {}
    mutating func setEvent(_ slot: Int?, _ event: EventEnvelope) -> Wakeup? { nil }
    mutating func record(_ slot: Int?, _ event: EventEnvelope) {}
}

/// A store that keeps the queues' state (``QueueBook``): the engine's projection, for its dispatcher, and the
/// index of the CLI, to say why each queued workflow waits. The queue rules are carried out here, once for both.
protocol QueueKeepingStore: WorkflowLifecycleStore {
    var queues: QueueBook { get set }
    /// The ID of the workflow at `slot`.
    func workflowID(at slot: Int) -> String
}

extension QueueKeepingStore {
    mutating func enqueued(_ slot: Int, _ event: EventEnvelope) {
        let peek = event.peek
        queues.enqueue(
            workflowID(at: slot),
            QueueBook.Member(
                queue: event.string(peek.name), partition: peek.target.map(event.string) ?? "",
                deduplicationID: peek.idempotencyKey.map(event.string),
                priority: peek.number.map { Int64(bitPattern: $0) } ?? 0, notBefore: peek.deadline ?? .min,
                order: event.lsn.rawValue))
    }

    mutating func dequeued(_ slot: Int, _ event: EventEnvelope) {
        queues.dequeue(workflowID(at: slot), at: event.peek.time)
    }

    func awaitsQueue(_ slot: Int) -> Bool {
        guard !queues.isEmpty, let member = queues.member(workflowID(at: slot)) else { return false }
        return !member.dequeued
    }

    mutating func queueDeclared(_ event: EventEnvelope) {
        let name = event.string(event.peek.name)
        let declared = WorkflowQueue.Record(recorded: event.payload)?.queue(named: name)
        queues.declarations[name] = declared
        if !queues.configuredWindows { queues.rateWindows[name] = declared?.rateLimit?.count ?? 0 }
    }

    mutating func statusChanged(_ slot: Int) {
        guard !queues.isEmpty else { return }
        queues.statusChanged(workflowID(at: slot), to: self[summaryAt: slot].status)
    }
}
