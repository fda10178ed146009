/// Who follows the engine's changes (``WorkflowEngine/changes(name:id:)``, ``WorkflowHandle/updates()``,
/// ``WorkflowHandle/eventValues(_:key:)``), kept in ``EngineState`` behind the engine's lock.
///
/// ``WorkflowEngine/applyCommitted(_:)`` hands each applied record's change to the subscribers that want it, under
/// the same lock that applies it: changes reach every subscriber in commit order, and a subscription that reads
/// the current state while it registers (a handle's first update) can neither miss a change nor see one twice.
/// Followers of one workflow are found by its ID (one lookup per change), so that thousands of handles waiting on
/// their own workflows cost a change nothing for the others.
///
/// A subscriber's buffer is its stream's, bounded (``EngineConfiguration/maxBufferedChanges``): the writer never
/// waits for a consumer. A consumer that falls that far behind is removed, and its sequence ends with
/// ``WorkflowError/Code/fellBehind`` once it has read what was buffered.
struct ChangeSubscribers {
    typealias Continuation = AsyncThrowingStream<WorkflowChange, any Error>.Continuation

    /// Which event values a subscriber wants.
    enum Events {
        case all, none
        case key(String)

        func contains(_ key: String) -> Bool {
            switch self {
            case .all: true
            case .none: false
            case .key(let wanted): wanted == key
            }
        }
    }

    struct Subscriber {
        let id: Int
        let continuation: Continuation
        /// Only workflows of this name.
        let name: String?
        let statuses: Bool
        let events: Events
        /// Ends once its workflow's status ends updates (``WorkflowStatus/endsUpdates``): a handle's subscription.
        let endsWithWorkflow: Bool
        /// Its buffer's bound, for the error that says it was exceeded.
        let limit: Int
    }

    /// A subscription to end, once the engine's lock is released: finishing a stream runs its termination handler,
    /// which takes the lock to unsubscribe.
    struct Ending {
        let continuation: Continuation
        /// Nil: the sequence ends normally.
        let error: WorkflowError?

        func finish() {
            if let error { continuation.finish(throwing: error) } else { continuation.finish() }
        }
    }

    private var everyWorkflow: [Subscriber] = []
    private var byWorkflow: [String: [Subscriber]] = [:]
    private var nextID = 0
    /// How many subscribers there are: the commit path looks at nothing else when there are none.
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// Registers a subscriber to `workflowID`'s changes (nil: every workflow's); returns its ID.
    mutating func add(
        _ continuation: Continuation, workflowID: String?, name: String?, statuses: Bool, events: Events,
        endsWithWorkflow: Bool, limit: Int
    ) -> Int {
        nextID += 1
        let subscriber = Subscriber(
            id: nextID, continuation: continuation, name: name, statuses: statuses, events: events,
            endsWithWorkflow: endsWithWorkflow, limit: limit)
        if let workflowID {
            byWorkflow[workflowID, default: []].append(subscriber)
        } else {
            everyWorkflow.append(subscriber)
        }
        count += 1
        return nextID
    }

    /// Removes subscriber `id` if it is still registered.
    mutating func remove(_ id: Int, workflowID: String?) {
        if let workflowID {
            guard var subscribers = byWorkflow[workflowID],
                let index = subscribers.firstIndex(where: { $0.id == id })
            else { return }
            subscribers.remove(at: index)
            byWorkflow[workflowID] = subscribers.isEmpty ? nil : subscribers
        } else {
            guard let index = everyWorkflow.firstIndex(where: { $0.id == id }) else { return }
            everyWorkflow.remove(at: index)
        }
        count -= 1
    }

    /// Removes every subscriber, to end each with `error`.
    mutating func removeAll(ending error: WorkflowError) -> [Ending] {
        let all = everyWorkflow + byWorkflow.values.joined()
        everyWorkflow = []
        byWorkflow = [:]
        count = 0
        return all.map { Ending(continuation: $0.continuation, error: error) }
    }

    /// Hands workflow `workflowID`'s status change to the subscribers that want it. `summary` makes the change's
    /// summary (once, and only when someone wants it); `name` is the workflow's.
    mutating func publish(
        status summary: () -> WorkflowSummary, of workflowID: String, name: String, endsUpdates: Bool,
        ending: inout [Ending]
    ) {
        var change: WorkflowChange?
        func made() -> WorkflowChange {
            if let change { return change }
            let made = WorkflowChange.status(summary())
            change = made
            return made
        }
        func wants(_ subscriber: Subscriber) -> WorkflowChange? {
            guard subscriber.statuses, subscriber.name == nil || subscriber.name == name else { return nil }
            return made()
        }
        if !everyWorkflow.isEmpty {
            Self.deliver(to: &everyWorkflow, of: nil, count: &count, ending: &ending, ends: false, wants)
        }
        if !byWorkflow.isEmpty, var subscribers = byWorkflow[workflowID] {
            Self.deliver(to: &subscribers, of: workflowID, count: &count, ending: &ending, ends: endsUpdates, wants)
            byWorkflow[workflowID] = subscribers.isEmpty ? nil : subscribers
        }
    }

    /// Hands an event value set by workflow `workflowID` to the subscribers that want it. `name` gives the
    /// workflow's name (asked only when a subscriber filters by name).
    mutating func publish(event key: Projection.Key, value: [UInt8], name: () -> String?, ending: inout [Ending]) {
        var workflowName: String??
        func named() -> String? {
            if let workflowName { return workflowName }
            let found = name()
            workflowName = found
            return found
        }
        let change = WorkflowChange.event(.init(workflowID: key.workflowID, key: key.name, value: value))
        func wants(_ subscriber: Subscriber) -> WorkflowChange? {
            guard subscriber.events.contains(key.name) else { return nil }
            if let wanted = subscriber.name, wanted != named() { return nil }
            return change
        }
        if !everyWorkflow.isEmpty {
            Self.deliver(to: &everyWorkflow, of: nil, count: &count, ending: &ending, ends: false, wants)
        }
        if !byWorkflow.isEmpty, var subscribers = byWorkflow[key.workflowID] {
            Self.deliver(to: &subscribers, of: key.workflowID, count: &count, ending: &ending, ends: false, wants)
            byWorkflow[key.workflowID] = subscribers.isEmpty ? nil : subscribers
        }
    }

    /// Yields to each of `subscribers` (the followers of workflow `workflowID`; nil: of every workflow) the change
    /// `wants` gives it (nil: none). Removes, to be ended, a subscriber whose buffer is full (with
    /// ``WorkflowError/Code/fellBehind``), whose consumer is gone, or — when `ends` — that ends with its workflow.
    private static func deliver(
        to subscribers: inout [Subscriber], of workflowID: String?, count: inout Int, ending: inout [Ending], ends: Bool,
        _ wants: (Subscriber) -> WorkflowChange?
    ) {
        var index = 0
        while index < subscribers.count {
            let subscriber = subscribers[index]
            var end: Ending?
            if let change = wants(subscriber) {
                switch subscriber.continuation.yield(change) {
                case .enqueued:
                    break
                case .dropped:
                    end = Ending(continuation: subscriber.continuation, error: fellBehind(subscriber, of: workflowID))
                case .terminated:
                    end = Ending(continuation: subscriber.continuation, error: nil)
                @unknown default:
                    break
                }
            }
            if end == nil && ends && subscriber.endsWithWorkflow {
                end = Ending(continuation: subscriber.continuation, error: nil)
            }
            if let end {
                ending.append(end)
                subscribers.remove(at: index)
                count -= 1
            } else {
                index += 1
            }
        }
    }

    private static func fellBehind(_ subscriber: Subscriber, of workflowID: String?) -> WorkflowError {
        WorkflowError(
            .fellBehind,
            "the consumer of these changes fell \(subscriber.limit) changes behind (EngineConfiguration.maxBufferedChanges) and was unsubscribed; the changes after the last one it read are not delivered: read the current state again (summary(of:), list) and subscribe again",
            workflowID: workflowID)
    }
}
