import DequeModule

/// The runs kept in memory while every task of them waits durably, least recently idle first: at most
/// ``EngineConfiguration/maxCachedWorkflows``; beyond it the oldest is evicted (``WorkflowRun/evict()``) and its
/// workflow waits in the ``WaitingRoom``. A workflow that waits milliseconds between steps stays cached and pays no
/// replay; one that waits long is evicted as newer ones come.
///
/// Under the engine's lock. A run leaving the cache (a wait ended) is forgotten in ``members`` at once and left in
/// the order queue until it comes up (each entry has the ticket of its stay, so a stale one is skipped); the queue is
/// swept when stale entries outnumber live ones.
///
/// Only ``members`` holds the runs: the order queue holds their identities. A run holds its engine, and the engine
/// holds this cache, so a stale entry that held its run kept the engine — its log, files and lock included — alive
/// after shutdown, for ever (an in-process restart leaked two descriptors and megabytes per open).
struct RunCache {
    private var order = Deque<(id: ObjectIdentifier, ticket: UInt64)>()
    private var members: [ObjectIdentifier: (run: WorkflowRun, ticket: UInt64)] = [:]
    private var nextTicket: UInt64 = 0

    /// How many runs are cached.
    var count: Int { members.count }

    /// Caches `run`, which has just become idle and evictable.
    mutating func insert(_ run: WorkflowRun) {
        let ticket = nextTicket
        nextTicket &+= 1
        let id = ObjectIdentifier(run)
        members[id] = (run, ticket)
        order.append((id, ticket))
    }

    /// Forgets `run` (a wait of it ended, or it stopped).
    mutating func remove(_ run: WorkflowRun) {
        guard members.removeValue(forKey: ObjectIdentifier(run)) != nil else { return }
        if order.count > 64 && order.count > 2 * members.count {
            order = Deque(order.filter { members[$0.id]?.ticket == $0.ticket })
        }
    }

    /// Takes out the least recently cached run.
    mutating func popOldest() -> WorkflowRun? {
        // A stale entry's identity may belong to a newer run at the same address by now: its ticket tells them apart.
        while let (id, ticket) = order.popFirst() {
            guard let member = members[id], member.ticket == ticket else { continue }
            members[id] = nil
            return member.run
        }
        return nil
    }
}
