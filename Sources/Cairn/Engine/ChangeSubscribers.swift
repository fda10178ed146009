import CairnLog

/// Who follows the engine's changes (``WorkflowEngine/changes(name:id:)``, ``WorkflowHandle/updates()``,
/// ``WorkflowHandle/eventValues(_:key:)``) and the values of its streams
/// (``WorkflowEngine/readStream(_:of:key:from:)``), kept in ``EngineState`` behind the engine's lock.
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
///
/// A stream's readers are kept apart from the change subscribers, by workflow, and get only their stream's values
/// (``StreamValue``): a workflow writing thousands of tokens costs the followers of its changes nothing.
struct ChangeSubscribers {
    typealias Continuation = AsyncThrowingStream<WorkflowChange, any Error>.Continuation
    typealias StreamContinuation = AsyncThrowingStream<StreamValue, any Error>.Continuation

    /// A value written to a stream, as a reader of that stream is handed it: its record's LSN and its bytes.
    struct StreamValue: Sendable {
        var lsn: LSN
        var bytes: [UInt8]
    }

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

    struct Subscriber: Follower {
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

    /// A reader of one stream of one workflow: gets each value written to it, and ends when the stream is closed or
    /// the workflow's status ends updates.
    struct StreamReader: Follower {
        let id: Int
        let continuation: StreamContinuation
        let key: String
        let limit: Int
    }

    /// A subscription to end, once the engine's lock is released: finishing a stream runs its termination handler,
    /// which takes the lock to unsubscribe.
    struct Ending {
        private let end: @Sendable () -> Void

        /// Ends the sequence `continuation` feeds with `error` (nil: normally).
        init<Element>(continuation: AsyncThrowingStream<Element, any Error>.Continuation, error: WorkflowError?) {
            end = { if let error { continuation.finish(throwing: error) } else { continuation.finish() } }
        }

        func finish() { end() }
    }

    private var everyWorkflow: [Subscriber] = []
    private var byWorkflow: [String: [Subscriber]] = [:]
    /// Stream readers, by the workflow whose stream they read.
    private var streamReaders: [String: [StreamReader]] = [:]
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

    /// Registers a reader of stream `key` of workflow `workflowID`; returns its ID.
    mutating func addReader(_ continuation: StreamContinuation, workflowID: String, key: String, limit: Int) -> Int {
        nextID += 1
        streamReaders[workflowID, default: []].append(StreamReader(id: nextID, continuation: continuation, key: key, limit: limit))
        count += 1
        return nextID
    }

    /// Removes subscriber `id` if it is still registered.
    mutating func remove(_ id: Int, workflowID: String?) {
        if let workflowID {
            guard Self.remove(id, of: workflowID, from: &byWorkflow) else { return }
        } else {
            guard let index = everyWorkflow.firstIndex(where: { $0.id == id }) else { return }
            everyWorkflow.remove(at: index)
        }
        count -= 1
    }

    /// Removes stream reader `id` if it is still registered.
    mutating func removeReader(_ id: Int, workflowID: String) {
        if Self.remove(id, of: workflowID, from: &streamReaders) { count -= 1 }
    }

    private static func remove<F: Follower>(_ id: Int, of workflowID: String, from table: inout [String: [F]]) -> Bool {
        guard var followers = table[workflowID], let index = followers.firstIndex(where: { $0.id == id }) else { return false }
        followers.remove(at: index)
        table[workflowID] = followers.isEmpty ? nil : followers
        return true
    }

    /// Removes every subscriber and stream reader, to end each with `error`.
    mutating func removeAll(ending error: WorkflowError) -> [Ending] {
        let all = (everyWorkflow + byWorkflow.values.joined()).map { Ending(continuation: $0.continuation, error: error) }
        let readers = streamReaders.values.joined().map { Ending(continuation: $0.continuation, error: error) }
        everyWorkflow = []
        byWorkflow = [:]
        streamReaders = [:]
        count = 0
        return all + readers
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
            Self.deliver(to: &everyWorkflow, of: nil, count: &count, ending: &ending, ends: { _ in false }, wants)
        }
        if !byWorkflow.isEmpty, var subscribers = byWorkflow[workflowID] {
            Self.deliver(
                to: &subscribers, of: workflowID, count: &count, ending: &ending,
                ends: { endsUpdates && $0.endsWithWorkflow }, wants)
            byWorkflow[workflowID] = subscribers.isEmpty ? nil : subscribers
        }
        if endsUpdates, !streamReaders.isEmpty, var readers = streamReaders[workflowID] {
            // The workflow writes no more: every stream of it ends.
            Self.deliver(to: &readers, of: workflowID, count: &count, ending: &ending, ends: { _ in true }) { _ in nil }
            streamReaders[workflowID] = readers.isEmpty ? nil : readers
        }
    }

    /// Whether anyone reads a stream (the commit path looks no further at stream records when no one does).
    var hasStreamReaders: Bool { !streamReaders.isEmpty }

    /// Hands a record of stream `key` of workflow `workflowID` to its readers: a value written (`value`), or the
    /// stream's close (nil), which ends them.
    mutating func publish(stream key: String, of workflowID: String, value: StreamValue?, ending: inout [Ending]) {
        guard var readers = streamReaders[workflowID] else { return }
        Self.deliver(
            to: &readers, of: workflowID, count: &count, ending: &ending, ends: { value == nil && $0.key == key }
        ) { $0.key == key ? value : nil }
        streamReaders[workflowID] = readers.isEmpty ? nil : readers
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
            Self.deliver(to: &everyWorkflow, of: nil, count: &count, ending: &ending, ends: { _ in false }, wants)
        }
        if !byWorkflow.isEmpty, var subscribers = byWorkflow[key.workflowID] {
            Self.deliver(to: &subscribers, of: key.workflowID, count: &count, ending: &ending, ends: { _ in false }, wants)
            byWorkflow[key.workflowID] = subscribers.isEmpty ? nil : subscribers
        }
    }

    /// Yields to each of `subscribers` (the followers of workflow `workflowID`; nil: of every workflow) the element
    /// `wants` gives it (nil: none). Removes, to be ended, a subscriber whose buffer is full (with
    /// ``WorkflowError/Code/fellBehind``), whose consumer is gone, or for which `ends` holds (normally).
    private static func deliver<F: Follower>(
        to subscribers: inout [F], of workflowID: String?, count: inout Int, ending: inout [Ending],
        ends: (F) -> Bool, _ wants: (F) -> F.Element?
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
            if end == nil && ends(subscriber) {
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

    private static func fellBehind<F: Follower>(_ subscriber: F, of workflowID: String?) -> WorkflowError {
        WorkflowError(
            .fellBehind,
            "the consumer of these changes fell \(subscriber.limit) changes behind (EngineConfiguration.maxBufferedChanges) and was unsubscribed; the changes after the last one it read are not delivered: read the current state again (summary(of:), list) and subscribe again",
            workflowID: workflowID)
    }
}

/// A subscriber of ``ChangeSubscribers``: a change subscriber or a stream reader, fed through its continuation.
protocol Follower {
    associatedtype Element: Sendable
    var id: Int { get }
    var continuation: AsyncThrowingStream<Element, any Error>.Continuation { get }
    /// Its buffer's bound, for the error that says it was exceeded.
    var limit: Int { get }
}
