import ArgumentParser
import Cairn
import CairnLog

/// `cairn export DIR`: every event as one JSON object per line.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print every event as JSON lines, one event per line, for other tools.",
        discussion: """
            Each line has lsn, kind, workflow, position, name, callSite, time (ISO 8601, UTC) and timeNs, the fields \
            the event has (target, deadline, number, errorType, parentPosition, idempotencyKey, traceContext, flags), and payload: \
            the JSON value itself when the payload is JSON, a string for text, else {"base64": ...}; a failure \
            that carries a durable error's value has it as errorValue, the same way. A summary \
            record left by compaction has "summary" instead. Output is always JSON (--json is accepted).

            Examples:
              cairn export /var/lib/orders/cairn > events.jsonl
              cairn export /var/lib/orders/cairn --workflow order-1042 | jq .kind
              cairn export /var/lib/orders/cairn --from 1000000
            """)

    @OptionGroup var options: LogOptions

    @Option(help: "Start at this LSN.")
    var from: UInt64 = 1

    @Option(help: "Only this workflow's events.")
    var workflow: String?

    func run() async throws {
        let directory = options.directory
        let wanted = workflow.map { Array($0.utf8) }
        try await reportingErrors(directory: directory) {
            let access = try LogAccess(directory)
            var out = Output()
            var w = JSONWriter()
            try access.scan(from: LSN(max(1, from))) { record in
                if let wanted {
                    let peek = try? EnvelopePeek(tag: record.tag, bytes: record.bytes)
                    if let peek, !EnvelopePeek.equals(peek.workflowID, in: record.bytes, wanted) { return true }
                }
                let event = try Event(record: record)
                EventFormat.json(event, lsn: record.lsn, into: &w)
                w.newLine()
                out.drain(&w)
                return true
            }
            out.bytes(w.bytes)
            out.flush()
        }
    }
}
