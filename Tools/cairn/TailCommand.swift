import ArgumentParser
import Cairn
import CairnLog

/// `cairn tail DIR [--follow]`: the latest events, then each new one as it is appended.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print the latest events; with --follow, keep printing them as an engine appends them.",
        discussion: """
            Read-only and lock-free: run it beside a running engine. Stop --follow with Ctrl-C.

            Examples:
              cairn tail /var/lib/orders/cairn
              cairn tail /var/lib/orders/cairn --follow --workflow order-1042
              cairn tail /var/lib/orders/cairn --follow --json | jq -c 'select(.kind == "workflowFailed")'
            """)

    @OptionGroup var options: LogOptions

    @Flag(name: [.short, .long], help: "Keep running and print events as they are appended.")
    var follow = false

    @Option(name: [.customShort("n"), .customLong("lines")], help: "How many of the latest events to print first.")
    var count = 10

    @Option(help: "Start at this LSN instead of the latest events.")
    var from: UInt64?

    @Option(help: "Only this workflow's events.")
    var workflow: String?

    @Option(help: "How often --follow looks for new events, in milliseconds.")
    var poll = 100

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--lines must be 0 or more") }
        guard poll > 0 else { throw ValidationError("--poll must be positive") }
    }

    func run() async throws {
        let directory = options.directory
        let wanted = workflow.map { Array($0.utf8) }
        let json = options.json
        try await reportingErrors(directory: directory) {
            let access = try LogAccess(directory)
            var out = Output()
            func matches(tag: UInt8, bytes: UnsafeRawBufferPointer) -> Bool {
                guard let wanted else { return true }
                guard let peek = try? EnvelopePeek(tag: tag, bytes: bytes) else { return true }
                return EnvelopePeek.equals(peek.workflowID, in: bytes, wanted)
            }
            // The latest `count` matching events (or all from --from).
            var latest: [(LSN, Event)] = []
            var ring = 0
            let summary = try access.scan(from: LSN(max(1, from ?? 1))) { record in
                guard matches(tag: record.tag, bytes: record.bytes) else { return true }
                if from != nil {
                    latest.append((record.lsn, try Event(record: record)))
                } else if count > 0 {
                    let entry = (record.lsn, try Event(record: record))
                    if latest.count < count { latest.append(entry) } else { latest[ring] = entry }
                    ring = (ring + 1) % count
                }
                return true
            }
            if from == nil && latest.count == count && count > 0 { latest = Array(latest[ring...] + latest[..<ring]) }
            var headerPrinted = false
            var widths: [Int] = []
            func emit(_ rows: [(LSN, Event)]) {
                if json {
                    var w = JSONWriter()
                    for (lsn, event) in rows {
                        EventFormat.json(event, lsn: lsn, into: &w)
                        w.newLine()
                        out.drain(&w)
                    }
                    out.bytes(w.bytes)
                } else if !headerPrinted {
                    var table = Table(EventFormat.tableColumns(workflowColumn: true))
                    for (lsn, event) in rows { table.add(EventFormat.row(event, lsn: lsn, workflowColumn: true)) }
                    let lines = table.lines()
                    // Later events line up with these columns as far as they fit.
                    widths = EventFormat.tableColumns(workflowColumn: true).indices.map { i in
                        table.rows.reduce(table.columns[i].title.count) { Swift.max($0, i < $1.count ? $1[i].text.count : 0) }
                    }
                    for line in lines { out.line(line) }
                    headerPrinted = true
                } else {
                    for (lsn, event) in rows {
                        let cells = EventFormat.row(event, lsn: lsn, workflowColumn: true)
                        var line = ""
                        for (i, cell) in cells.enumerated() {
                            let width = i < widths.count ? widths[i] : 0
                            let padded = i == cells.count - 1 ? cell.text
                                : i == 0 ? String(repeating: " ", count: Swift.max(0, width - cell.text.count)) + cell.text
                                : cell.text.padding(width)
                            line += (i == 0 ? "" : "  ") + (cell.style?.apply(padded) ?? padded)
                        }
                        out.line(line)
                    }
                }
                out.flush()
            }
            if !latest.isEmpty || !follow { emit(latest) }
            guard follow else { return }
            let next = (summary.lastLSN ?? LSN(max(1, from ?? 1) - 1)).next
            for try await entry in access.reader.tail(from: next, pollInterval: .milliseconds(poll)) {
                let matched = entry.payload.withUnsafeBytes { matches(tag: entry.tag, bytes: $0) }
                guard matched else { continue }
                let event = try entry.payload.withUnsafeBytes { try Event(lsn: entry.lsn, tag: entry.tag, bytes: $0) }
                emit([(entry.lsn, event)])
            }
        }
    }
}
