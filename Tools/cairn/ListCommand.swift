import ArgumentParser
import Cairn
import CairnLog

/// `cairn list DIR`: workflows with filters, newest first.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List workflows: ID, name, status, start and finish times.",
        discussion: """
            Rebuilds every workflow's status from the log (lifecycle events only) without taking its lock. Newest \
            start first. Workflows an engine is running show as pending: the log records starts and outcomes, not \
            which process runs what.

            Examples:
              cairn list /var/lib/orders/cairn
              cairn list /var/lib/orders/cairn --status failed --status parked --since 24h
              cairn list /var/lib/orders/cairn --name process-order --since 2025-01-01 --until 2025-02-01 --limit 0
              cairn list /var/lib/orders/cairn --json | jq -r '.[].id'
            """)

    @OptionGroup var options: LogOptions

    @Option(
        name: .long, parsing: .singleValue,
        help: "Only workflows with this status (repeatable): pending, running, completed, failed, cancelled, diverged, parked.")
    var status: [StatusArgument] = []

    @Option(help: "Only workflows of this workflow name.")
    var name: String?

    @Option(help: "Only workflows started at or after this time: a UTC date or date-time (2025-01-31T14:05Z) or a duration ago (24h, 7d).")
    var since: TimeArgument?

    @Option(help: "Only workflows started before this time (same forms as --since).")
    var until: TimeArgument?

    @Option(help: "Show at most this many (0: all).")
    var limit = 100

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (all) or more") }
    }

    func run() async throws {
        let directory = options.directory
        try await reportingErrors(directory: directory) {
            let access = try LogAccess(directory)
            var projection = LogProjection()
            try access.scan { record in
                if LogProjection.isLifecycle(tag: record.tag) { try projection.apply(record) }
                return true
            }
            let statuses = Set(status.map(\.status))
            var matches: [WorkflowSummary] = []
            projection.forEachSummary { s in
                if !statuses.isEmpty && !statuses.contains(s.status) { return }
                if let name, s.name != name { return }
                if let since, s.startedAt < since.nanoseconds { return }
                if let until, s.startedAt >= until.nanoseconds { return }
                matches.append(s)
            }
            let total = matches.count
            let newestFirst: (WorkflowSummary, WorkflowSummary) -> Bool = { ($0.startedAt, $0.id) > ($1.startedAt, $1.id) }
            if limit > 0 && limit < matches.count / 4 {
                // Partial selection: a full sort of a million rows costs more than the rest of the command.
                matches = topK(matches, k: limit, by: newestFirst)
            } else {
                matches.sort(by: newestFirst)
                if limit > 0 { matches = Array(matches.prefix(limit)) }
            }
            var out = Output()
            if options.json {
                var w = JSONWriter()
                w.beginArray()
                for s in matches {
                    w.beginObject()
                    w.field("id", s.id)
                    w.field("name", s.name)
                    w.field("status", s.status.rawValue)
                    w.field("startedAt", Format.time(s.startedAt, iso: true))
                    w.field("updatedAt", Format.time(s.updatedAt, iso: true))
                    w.field("parentID", s.parentID)
                    if let failure = s.failure {
                        w.key("error")
                        w.beginObject()
                        w.field("type", failure.errorType)
                        w.field("message", failure.message)
                        w.endObject()
                    }
                    if let reason = s.parkReason { w.field("parkReason", reason) }
                    w.endObject()
                    if w.bytes.count > 1 << 16 {
                        out.bytes(w.bytes)
                        w.bytes.removeAll(keepingCapacity: true)
                    }
                }
                w.endArray()
                out.bytes(w.bytes)
                out.line()
            } else {
                var table = Table([
                    .init(title: "ID"), .init(title: "NAME"), .init(title: "STATUS"), .init(title: "STARTED (UTC)"),
                    .init(title: "UPDATED (UTC)"), .init(title: "DETAIL"),
                ])
                for s in matches {
                    let detail = s.failure.map { "\($0.errorType): \($0.message)" } ?? s.parkReason ?? s.parentID.map { "child of \($0)" } ?? ""
                    table.add([
                        (s.id, nil), (s.name, nil), (s.status.rawValue, Style.status(s.status)), (Format.time(s.startedAt), nil),
                        (Format.time(s.updatedAt), nil), (Format.truncate(Format.oneLine(detail), 60), .dim),
                    ])
                }
                if matches.isEmpty {
                    out.line(total == 0 && projection.workflowCount == 0 ? "no workflows in this log" : "no workflow matches")
                } else {
                    table.render(into: &out)
                    if matches.count < total {
                        out.line(Style.dim.apply("\(Format.count(matches.count)) of \(Format.count(total)) workflows, newest first; --limit 0 shows all"))
                    }
                }
            }
            out.flush()
        }
    }
}

/// The `k` first elements of `items` in `areInOrder` order, without sorting them all.
func topK<T>(_ items: [T], k: Int, by areInOrder: (T, T) -> Bool) -> [T] {
    guard k > 0 else { return [] }
    // A max-heap (by order) of the k best so far: its root is the worst of them.
    var heap: [T] = []
    heap.reserveCapacity(k)
    func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var worst = i
            if l < heap.count && areInOrder(heap[worst], heap[l]) { worst = l }
            if r < heap.count && areInOrder(heap[worst], heap[r]) { worst = r }
            if worst == i { return }
            heap.swapAt(i, worst)
            i = worst
        }
    }
    func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            if areInOrder(heap[parent], heap[i]) {
                heap.swapAt(parent, i)
                i = parent
            } else {
                return
            }
        }
    }
    for item in items {
        if heap.count < k {
            heap.append(item)
            siftUp(heap.count - 1)
        } else if areInOrder(item, heap[0]) {
            heap[0] = item
            siftDown(0)
        }
    }
    return heap.sorted(by: areInOrder)
}
