import CairnLog

/// What the projection knows of durable waits: the wait a workflow's history ends in (recovery's decisions — to
/// charge a recovery attempt, to resume the workflow by replay or leave it waiting as a record), and whether a
/// wake-up has come.
extension Projection {
    /// What ends a durable wait before its deadline.
    enum WakeCondition: Sendable, Equatable {
        /// A message on this topic of the workflow's inbox.
        case message(topic: String)
        /// This event of another workflow being set (an event read with a timeout).
        case event(workflowID: String, key: String)
        /// This child workflow settling (finishing, or stopping where it cannot give a result).
        case child(String)
    }

    /// The durable wait of a workflow's main body that `event` begins (a sleep, a step's wait for its next attempt, a
    /// receive, an event read, a child's result): its deadline (`Int64.max` for a wait without
    /// one) and what else ends it; `Int64.min` for any other operation. A wait inside a parallel branch does not
    /// count: other branches may be running code (a branch's end is not recorded, so it cannot be told apart from
    /// a branch between two steps).
    static func wait(_ event: EventEnvelope) -> (until: Int64, wakesOn: WakeCondition?) {
        guard event.kind == .sleepStarted || event.kind.declaration.beginsWait else { return (.min, nil) }
        let peek = event.peek
        guard let position = peek.position.flatMap(event.position), position.depth == 1 else { return (.min, nil) }
        switch event.kind {
        case .sleepStarted, .retryWaitStarted:
            return (peek.deadline ?? .min, nil)
        case .childWaitStarted:
            return (.max, peek.target.map { .child(event.string($0)) })
        default:
            // A receive carries no target; an event read waiting with a timeout does (the workflow it reads from).
            guard let target = peek.target else { return (peek.deadline ?? .max, .message(topic: event.name)) }
            return (peek.deadline ?? .max, .event(workflowID: event.string(target), key: event.name))
        }
    }

    /// The wake-up of the durable wait workflow `id`'s history ends in; nil when it does not end in one (it runs
    /// code as soon as it is resumed).
    static func wakeUp(of w: Workflow, id: String) -> WakeUp? {
        guard w.waitingUntil != .min else { return nil }
        var wakeUp = WakeUp(deadline: w.waitingUntil)
        switch w.wakesOn {
        case .message(let topic): wakeUp.keys = [.message(Key(workflowID: id, name: topic))]
        case .event(let workflowID, let key): wakeUp.keys = [.event(Key(workflowID: workflowID, name: key))]
        case .child(let child): wakeUp.keys = [.settled(child)]
        case nil: break
        }
        return wakeUp
    }

    /// Whether `wakeUp` has come at `now`: its deadline passed, or something it waits on is there.
    func hasCome(_ wakeUp: WakeUp, now: Int64) -> Bool {
        if wakeUp.deadline <= now { return true }
        for key in wakeUp.keys where hasCome(key) { return true }
        return false
    }

    /// Whether `key` is there: a message in the inbox, the event set, the workflow settled (or unknown: a wait for
    /// it ends at once, with an error).
    func hasCome(_ key: WakeKey) -> Bool {
        switch key {
        case .message(let inbox): return inboxes[inbox]?.isEmpty == false
        case .event(let event): return events[event] != nil
        case .settled(let id): return workflows.index(forKey: id).map { !workflows[at: $0].summary.status.isActive } ?? true
        }
    }
}
