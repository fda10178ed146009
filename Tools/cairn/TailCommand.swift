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

            With --url instead of a directory it reads a running engine's event stream (its CairnHTTPServer): the \
            last events, then with --follow each new one as the engine records it. Without --follow it stops at \
            the last event recorded when it began (or after 5 s without one).

            Examples:
              cairn tail /var/lib/orders/cairn
              cairn tail /var/lib/orders/cairn --follow --workflow order-1042
              cairn tail /var/lib/orders/cairn --follow --json | jq -c 'select(.kind == "workflowFailed")'
              cairn tail --url http://127.0.0.1:8080 --follow --workflow order-1042
            """)

    @OptionGroup var options: SourceOptions

    @Flag(name: [.short, .long], help: "Keep running and print events as they are appended.")
    var follow = false

    @Option(name: [.customShort("n"), .customLong("lines")], help: "How many of the latest events to print first.")
    var count = 10

    @Option(help: "Start at this LSN instead of the latest events.")
    var from: UInt64?

    @Option(help: "Only this workflow's events.")
    var workflow: String?

    @Option(help: "How often --follow looks for new events in a directory, in milliseconds.")
    var poll = 100

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--lines must be 0 or more") }
        guard poll > 0 else { throw ValidationError("--poll must be positive") }
        _ = try options.source()
    }

    func run() async throws {
        let directory: String
        switch try options.source() {
        case .engine(let endpoint):
            try await reportingErrors(directory: endpoint.base) { try await runRemote(endpoint) }
            return
        case .directory(let path):
            directory = path
        }
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
            var printer = TailPrinter()
            func emit(_ rows: [(LSN, Event)]) {
                if json {
                    var w = JSONWriter()
                    for (lsn, event) in rows {
                        EventFormat.json(event, lsn: lsn, into: &w)
                        w.newLine()
                        out.drain(&w)
                    }
                    out.bytes(w.bytes)
                } else {
                    printer.print(rows.map { EventFormat.row($0.1, lsn: $0.0, workflowColumn: true) }, into: &out)
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
