import HeapModule

/// The timed-start loop's debounce timers: each pending debounce's firing time as the loop last saw it, in a heap
/// by time (entries whose debounce was re-armed since are skipped when they come up). Owned by the loop's task
/// alone; the loop re-arms only the debounces a call changed, so a round costs the changes, not every pending one.
struct DebounceTimers {
    private struct Entry: Comparable {
        var fireAt: Int64
        var id: String
        static func < (a: Entry, b: Entry) -> Bool { (a.fireAt, a.id) < (b.fireAt, b.id) }
    }

    private var heap = Heap<Entry>()
    private var armed: [String: Int64] = [:]

    /// Arms debounce `id` to fire at `fireAt` (nil: it is no longer pending).
    mutating func arm(_ id: String, at fireAt: Int64?) {
        armed[id] = fireAt
        if let fireAt { heap.insert(Entry(fireAt: fireAt, id: id)) }
    }

    /// The debounces due at `now`, disarmed: the loop fires them, or re-arms one that changed meanwhile.
    mutating func takeDue(now: Int64) -> [String] {
        var due: [String] = []
        while let top = heap.min, top.fireAt <= now {
            _ = heap.removeMin()
            guard armed[top.id] == top.fireAt else { continue }  // re-armed since
            armed[top.id] = nil
            due.append(top.id)
        }
        return due
    }

    /// The earliest firing time of an armed debounce.
    mutating func earliest() -> Int64? {
        while let top = heap.min {
            if armed[top.id] == top.fireAt { return top.fireAt }
            _ = heap.removeMin()
        }
        return nil
    }
}
