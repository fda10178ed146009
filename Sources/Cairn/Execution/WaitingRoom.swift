import HeapModule

/// The evicted workflows: pending workflows in a durable wait that have no task, only their ``WakeUp`` — a timer
/// and the keys (an inbox, an event, a child) whose change resumes them by replay.
///
/// Why: a waiting workflow kept as a task costs its frames, its decoded history and the tasks racing its deadline,
/// some 10 KB; kept here it costs its projection record and a few dozen bytes, so a million can wait on one engine
/// (`cairn-bench --workload waiting` measures it). The engine keeps a bounded cache of waiting runs besides
/// (``EngineConfiguration/maxCachedWorkflows``), so that a short wait pays no replay.
///
/// Lives under the engine's lock, beside the projection whose changes wake its workflows. Timers are a min-heap with
/// lazy removal: a workflow woken by a key leaves its timer behind, recognised as stale by its ticket when it
/// comes up (and swept when stale timers outnumber live ones).
struct WaitingRoom {
    private struct Entry {
        var wakeUp: WakeUp
        var ticket: UInt32
    }

    private struct Timer: Comparable {
        var deadline: Int64
        var ticket: UInt32
        var id: String

        static func < (a: Timer, b: Timer) -> Bool { (a.deadline, a.ticket) < (b.deadline, b.ticket) }
        static func == (a: Timer, b: Timer) -> Bool { a.deadline == b.deadline && a.ticket == b.ticket }
    }

    private var entries: [String: Entry] = [:]
    private var byKey: [WakeKey: [String]] = [:]
    private var timers = Heap<Timer>()
    private var liveTimers = 0
    private var nextTicket: UInt32 = 0

    /// How many workflows wait here.
    var count: Int { entries.count }

    /// Whether workflow `id` waits here.
    func contains(_ id: String) -> Bool { entries[id] != nil }

    /// The earliest deadline of a workflow waiting here (perhaps one already woken by a key: waking early is
    /// harmless), if any.
    var nextDeadline: Int64? { timers.min?.deadline }

    /// Adds workflow `id`, waiting for `wakeUp` (replacing what it waited for, if it was here).
    mutating func add(_ id: String, _ wakeUp: WakeUp) {
        remove(id)
        let ticket = nextTicket
        nextTicket &+= 1
        entries[id] = Entry(wakeUp: wakeUp, ticket: ticket)
        for key in wakeUp.keys { byKey[key, default: []].append(id) }
        if wakeUp.deadline != .max {
            timers.insert(Timer(deadline: wakeUp.deadline, ticket: ticket, id: id))
            liveTimers += 1
        }
    }

    /// Removes workflow `id`; returns whether it was here.
    @discardableResult
    mutating func remove(_ id: String) -> Bool {
        guard let entry = entries.removeValue(forKey: id) else { return false }
        for key in entry.wakeUp.keys {
            guard var waiting = byKey.removeValue(forKey: key) else { continue }
            if let index = waiting.firstIndex(of: id) { waiting.remove(at: index) }
            if !waiting.isEmpty { byKey[key] = waiting }
        }
        if entry.wakeUp.deadline != .max {
            liveTimers -= 1
            if timers.count > 1024 && timers.count > 2 * liveTimers { sweepTimers() }
        }
        return true
    }

    /// Takes out the workflows that `key` wakes.
    mutating func take(_ key: WakeKey) -> [String] {
        guard let waiting = byKey[key] else { return [] }
        for id in waiting { remove(id) }
        return waiting
    }

    /// Takes out the workflows whose deadline is `now` or earlier, earliest first.
    mutating func takeDue(now: Int64) -> [String] {
        var due: [String] = []
        while let first = timers.min, first.deadline <= now {
            let timer = timers.removeMin()
            guard entries[timer.id]?.ticket == timer.ticket else { continue }  // woken by a key since
            remove(timer.id)
            due.append(timer.id)
        }
        return due
    }

    /// Drops the timers of workflows no longer here.
    private mutating func sweepTimers() {
        timers = Heap(timers.unordered.filter { entries[$0.id]?.ticket == $0.ticket })
    }
}
