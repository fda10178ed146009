import HeapModule

/// The deadlines of unfinished workflows (``StartOptions/timeout``), earliest first: part of the ``Projection``,
/// filled as starts are applied (live and at open alike), taken by the engine's waker when they pass.
///
/// Lazy removal: an entry whose workflow has settled, or whose deadline changed (a resume after a timeout clears
/// it), is dropped when it comes up (``WorkflowEngine/expiredWorkflows(now:)`` checks the workflow).
struct WorkflowDeadlines {
    struct Entry: Comparable {
        var deadline: Int64
        var id: String
        static func < (a: Entry, b: Entry) -> Bool { a.deadline < b.deadline }
        static func == (a: Entry, b: Entry) -> Bool { a.deadline == b.deadline && a.id == b.id }
    }

    private var heap = Heap<Entry>()

    /// The earliest deadline, if any.
    var next: Int64? { heap.min?.deadline }

    mutating func add(_ id: String, deadline: Int64) {
        heap.insert(Entry(deadline: deadline, id: id))
    }

    /// Takes out the entries whose deadline is `now` or earlier.
    mutating func takeDue(now: Int64) -> [Entry] {
        var due: [Entry] = []
        while let first = heap.min, first.deadline <= now { due.append(heap.removeMin()) }
        return due
    }
}
