import DequeModule
import HeapModule

/// The queues' state, part of the ``Projection``: which workflows wait in which queue, in what order, which hold
/// a slot, which deduplication IDs are taken, and when the latest starts were (for rate limits). Rebuilt from the
/// ``EventKind/workflowEnqueued`` and ``EventKind/workflowDequeued`` records and the status changes of their
/// workflows, live and at open by the same code (``Projection/apply(_:)``), so a restart finds every limit where it
/// was.
///
/// A workflow of a queue is a *member* of it from its enqueue until it settles:
/// - **waiting** from its enqueue until a dequeue (status ``WorkflowStatus/enqueued``), in a ready heap (by priority,
///   then enqueue order) of its partition, or in the delayed heap until its not-before time;
/// - **active** from its dequeue until it completes, fails, is cancelled or parked (status pending or running,
///   sleeping and waiting included: a slot is held until the workflow settles, as DBOS counts it);
/// - neither while cancelled or parked (its deduplication ID is released); a resume makes it waiting again if it was
///   never dequeued, active otherwise. A finished member is forgotten.
///
/// Heaps use lazy removal: an entry is live while its member waits with the same enqueue order.
///
/// The dispatcher (``WorkflowEngine/dispatchLoop()``) reserves a slot by calling ``dequeue(_:at:)`` before its
/// record is written; applying the record then changes nothing here (only the workflow's status), so the live book
/// is at most a commit ahead of the log, never behind, and equals the rebuilt one once the record is applied.
struct QueueBook {
    enum Place { case waiting, active }

    struct Member {
        var queue: String
        var partition: String
        var deduplicationID: String?
        var priority: Int64
        var notBefore: Int64
        /// The LSN of its enqueue record: FIFO order among equal priorities.
        var order: UInt64
        var place: Place?
        /// Dequeued at least once (a resume makes it active again, not waiting).
        var dequeued = false
    }

    struct Ready: Comparable {
        var priority: Int64
        var order: UInt64
        var id: String
        static func < (a: Ready, b: Ready) -> Bool { (a.priority, a.order) < (b.priority, b.order) }
        static func == (a: Ready, b: Ready) -> Bool { a.order == b.order }
    }

    struct Delayed: Comparable {
        var notBefore: Int64
        var order: UInt64
        var id: String
        static func < (a: Delayed, b: Delayed) -> Bool { (a.notBefore, a.order) < (b.notBefore, b.order) }
        static func == (a: Delayed, b: Delayed) -> Bool { a.order == b.order }
    }

    /// One queue (the empty name: delayed starts without a queue, unlimited).
    struct Line {
        /// Waiting members whose not-before time has come, by partition key ("" when unpartitioned).
        var ready: [String: Heap<Ready>] = [:]
        /// Waiting members whose not-before time had not come when they were last looked at.
        var delayed = Heap<Delayed>()
        var waiting = 0
        var active = 0
        var activeByPartition: [String: Int] = [:]
        /// The times of the latest dequeues, oldest first, at most the rate limit's count of them.
        var recentStarts = Deque<Int64>()
        /// Deduplication IDs held by waiting or active members, and by whom.
        var deduplication: [String: String] = [:]
    }

    private(set) var members: [String: Member] = [:]
    private(set) var lines: [String: Line] = [:]
    /// How many dequeue times each queue keeps: its rate limit's count — the engine's own declarations for the
    /// engine (``configuredWindows``), the ones the log records for a tool (0 when undeclared).
    var rateWindows: [String: Int] = [:]
    /// Whether ``rateWindows`` come from the engine's configuration (recorded declarations then do not change them).
    var configuredWindows = false
    /// The latest declaration of each queue the log records (``EventKind/queueDeclared``).
    var declarations: [String: WorkflowQueue] = [:]
    /// Set when a slot may have freed or a workflow joined a queue: the dispatcher should look.
    var needsDispatch = false
    /// Set when a member left its slot (cleared by the engine, which times the dispatch that follows).
    var slotFreed = false

    var isEmpty: Bool { members.isEmpty }

    /// The queues anything ever joined.
    var queueNames: [String] { Array(lines.keys) }

    /// The member `id`, if it belongs to a queue.
    func member(_ id: String) -> Member? { members[id] }

    /// How many members of queue `name` wait and how many hold a slot (zeros when nothing joined it). No `Line` is
    /// handed out: a copy held while the book changes would make that change copy every heap of the line (measured:
    /// a 10,000-entry heap copied per dequeue).
    func counts(of name: String) -> (waiting: Int, active: Int) {
        guard let index = lines.index(forKey: name) else { return (0, 0) }
        return (lines.values[index].waiting, lines.values[index].active)
    }

    /// The workflow holding deduplication ID `id` in `queue`, if any.
    func holder(ofDeduplicationID id: String, in queue: String) -> String? { lines[queue]?.deduplication[id] }

    // MARK: Records

    /// Workflow `id` joined `member.queue` (its ``EventKind/workflowEnqueued`` record).
    mutating func enqueue(_ id: String, _ member: Member) {
        guard members[id] == nil else { return }  // a repeated record changes nothing
        var member = member
        member.place = nil
        members[id] = member
        setWaiting(id)
    }

    /// Workflow `id` leaves the waiting members for a slot of its queue (the dispatcher's reservation, or its
    /// ``EventKind/workflowDequeued`` record, whichever comes first; the second changes nothing).
    mutating func dequeue(_ id: String, at time: Int64) {
        guard var member = members[id], member.place == .waiting else { return }
        leave(id, &member)
        member.place = .active
        member.dequeued = true
        lines[member.queue, default: Line()].active += 1
        lines[member.queue]!.activeByPartition[member.partition, default: 0] += 1
        holdDeduplication(id, member)
        let window = rateWindows[member.queue] ?? 0
        if window > 0 {
            lines[member.queue]!.recentStarts.append(time)
            while lines[member.queue]!.recentStarts.count > window { lines[member.queue]!.recentStarts.removeFirst() }
        }
        members[id] = member
    }

    /// Workflow `id`'s status changed to `status`: keeps its membership in step (see the type's rules).
    mutating func statusChanged(_ id: String, to status: WorkflowStatus) {
        guard members[id] != nil else { return }
        switch status {
        case .enqueued:
            if members[id]!.place != .waiting { setWaiting(id) }
        case .pending, .running:
            if members[id]!.place == nil {
                if members[id]!.dequeued { setActive(id) } else { setWaiting(id) }
            }
        case .completed, .failed:
            var member = members.removeValue(forKey: id)!
            leave(id, &member)
        case .cancelled, .diverged, .parked:
            var member = members[id]!
            leave(id, &member)
            members[id] = member
        }
    }

    // MARK: Decisions

    /// Moves the delayed members whose not-before time has come into their ready heaps; returns the next
    /// not-before time still to come in queue `name` (`Int64.max`: none).
    mutating func promote(_ name: String, now: Int64) -> Int64 {
        while let first = lines[name]?.delayed.min {
            guard let member = members[first.id], member.place == .waiting, member.order == first.order else {
                _ = lines[name]!.delayed.removeMin()
                continue
            }
            guard first.notBefore <= now else { return first.notBefore }
            _ = lines[name]!.delayed.removeMin()
            lines[name]!.ready[member.partition, default: Heap()].insert(
                Ready(priority: member.priority, order: member.order, id: first.id))
        }
        return .max
    }

    /// The next waiting member of queue `name` to start: the best by priority then enqueue order among the heads of
    /// the partitions `admits` lets start. Does not remove it (``dequeue(_:at:)`` does).
    mutating func next(in name: String, admits: (String, Int) -> Bool) -> String? {
        // An array, not the keys view: the view would share the dictionary's storage, and the first heap changed
        // below would then copy every partition's heap (10,000 entries per pop, measured).
        guard let partitions = lines[name].map({ Array($0.ready.keys) }) else { return nil }
        var best: Ready?
        for partition in partitions {
            guard let head = head(of: partition, in: name) else { continue }
            guard admits(partition, lines[name]!.activeByPartition[partition] ?? 0) else { continue }
            if best == nil || head < best! { best = head }
        }
        return best?.id
    }

    /// Removes from `queue`'s rate window the starts at or before `cutoff`; returns how many remain.
    mutating func startsInWindow(_ queue: String, after cutoff: Int64) -> (count: Int, oldest: Int64?) {
        guard lines[queue] != nil else { return (0, nil) }
        while let first = lines[queue]!.recentStarts.first, first <= cutoff { lines[queue]!.recentStarts.removeFirst() }
        return (lines[queue]!.recentStarts.count, lines[queue]!.recentStarts.first)
    }

    /// The live head of a partition's ready heap (stale entries dropped on the way); an empty heap is removed.
    private mutating func head(of partition: String, in name: String) -> Ready? {
        while let first = lines[name]!.ready[partition]?.min {
            if let member = members[first.id], member.place == .waiting, member.order == first.order { return first }
            _ = lines[name]!.ready[partition]!.removeMin()
        }
        lines[name]!.ready[partition] = nil
        return nil
    }

    // MARK: Membership

    private mutating func setWaiting(_ id: String) {
        guard var member = members[id] else { return }
        leave(id, &member)
        member.place = .waiting
        var line = lines.removeValue(forKey: member.queue) ?? Line()
        line.waiting += 1
        if member.notBefore == .min {
            line.ready[member.partition, default: Heap()].insert(Ready(priority: member.priority, order: member.order, id: id))
        } else {
            line.delayed.insert(Delayed(notBefore: member.notBefore, order: member.order, id: id))
        }
        lines[member.queue] = line
        members[id] = member
        holdDeduplication(id, member)
        needsDispatch = true
    }

    private mutating func setActive(_ id: String) {
        guard var member = members[id] else { return }
        leave(id, &member)
        member.place = .active
        lines[member.queue, default: Line()].active += 1
        lines[member.queue]!.activeByPartition[member.partition, default: 0] += 1
        members[id] = member
        holdDeduplication(id, member)
    }

    /// Takes `member` out of its place (its heap entries go stale), releasing its slot and deduplication ID.
    private mutating func leave(_ id: String, _ member: inout Member) {
        guard let place = member.place else { return }
        member.place = nil
        switch place {
        case .waiting:
            lines[member.queue]!.waiting -= 1
        case .active:
            lines[member.queue]!.active -= 1
            let left = (lines[member.queue]!.activeByPartition[member.partition] ?? 1) - 1
            lines[member.queue]!.activeByPartition[member.partition] = left > 0 ? left : nil
            needsDispatch = true
            slotFreed = true
        }
        if let key = member.deduplicationID, lines[member.queue]!.deduplication[key] == id {
            lines[member.queue]!.deduplication[key] = nil
        }
    }

    private mutating func holdDeduplication(_ id: String, _ member: Member) {
        guard let key = member.deduplicationID else { return }
        if lines[member.queue, default: Line()].deduplication[key] == nil { lines[member.queue]!.deduplication[key] = id }
    }
}
