import ArgumentParser
import Cairn
import CairnLog

/// `cairn show DIR ID`: one workflow's summary and history.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a workflow's status and its history: position, kind, name, call site, time, payload.",
        discussion: """
            Payloads are shown decoded when they are JSON (the default payload codec); error messages as text; \
            other bytes in hex (--json: base64). Messages sent to the workflow from outside are listed with it. \
            A finished workflow whose history a compaction dropped shows its summary record (and its streams, \
            which compaction keeps while the workflow is retained). The workflow's streams are listed after its \
            history: key, values written, open or closed.

            Examples:
              cairn show /var/lib/orders/cairn order-1042
              cairn show /var/lib/orders/cairn order-1042 --json | jq '.events[] | select(.kind == "stepFailed")'
              cairn show --url http://127.0.0.1:8080 order-1042

            With --url instead of a directory it asks a running engine (its CairnHTTPServer) for the workflow and \
            its history, shown the same way; --json then prints the API's workflow and events.
            """)

    @OptionGroup var options: SourceOptions

    @Argument(help: "The workflow's ID (after the directory; alone with --url).")
    var id: String?

    @Option(help: "Characters of each payload shown in the table (0: all; at least 20 otherwise).")
    var width = 60

    func validate() throws {
        guard width >= 0 else { throw ValidationError("--width must be 0 (all) or a positive number of characters") }
        _ = try target()
    }

    /// Where to read and the workflow's ID: `DIR ID`, or `ID` with `--url` (which the parser gives as the first
    /// argument).
    private func target() throws -> (source: SourceOptions.Source, id: String) {
        if options.url != nil, id == nil, let only = options.directory {
            return (try options.source(directory: nil), only)
        }
        let source = try options.source()
        guard let id else { throw ValidationError("give the workflow's ID") }
        return (source, id)
    }

    func run() async throws {
        let (source, id) = try target()
        let directory: String
        switch source {
        case .engine(let endpoint):
            try await reportingErrors(directory: endpoint.base) { try await runRemote(endpoint, id: id) }
            return
        case .directory(let path):
            directory = path
        }
        try await reportingErrors(directory: directory) {
            let access = try LogAccess(directory)
            let wanted = Array(id.utf8)
            var events: [(LSN, Event)] = []
            var projection = LogProjection()
            try access.scan { record in
                guard let peek = try? EnvelopePeek(tag: record.tag, bytes: record.bytes) else {
                    // Not readable: say so when it might be this workflow's (a full decode names the problem).
                    _ = try Event(record: record)
                    return true
                }
                guard peek.concerns(wanted, in: record.bytes) else { return true }
                events.append((record.lsn, try Event(record: record)))
                try projection.apply(record)
                return true
            }
            guard let summary = projection.summary(of: id) else {
                throw CLIError("no workflow with ID '\(id)' in \(directory)", status: ExitStatus.notFound)
            }
            let output = projection.output(of: id)
            let streams = StreamListing(events.map(\.1))
            var out = Output()
            if options.json {
                var w = JSONWriter()
                w.beginObject()
                w.key("workflow")
                w.beginObject()
                EventFormat.summaryFields(summary, into: &w)
                w.key("input")
                EventFormat.payload(projection.input(of: id) ?? [], text: false, into: &w)
                if let output {
                    w.key("output")
                    EventFormat.payload(output, text: false, into: &w)
                }
                if summary.status.isActive, let retry = Self.retryWait(of: id, in: events) {
                    w.key("retrying")
                    w.beginObject()
                    w.field("at", Format.time(retry.deadline, iso: true))
                    w.field("attempt", retry.attempt)
                    if let maxAttempts = retry.maxAttempts { w.field("maxAttempts", maxAttempts) }
                    w.field("errorType", retry.failure.errorType)
                    w.field("message", retry.failure.message)
                    w.endObject()
                }
                w.endObject()
                w.key("events")
                w.beginArray()
                for (lsn, event) in events { EventFormat.json(event, lsn: lsn, into: &w) }
                w.endArray()
                w.key("streams")
                w.beginArray()
                for stream in streams.streams {
                    w.beginObject()
                    w.field("key", stream.key)
                    w.key("count")
                    w.number(stream.count)
                    w.key("closed")
                    w.bool(stream.closed)
                    w.endObject()
                }
                w.endArray()
                w.endObject()
                out.bytes(w.bytes)
                out.line()
            } else {
                func row(_ label: String, _ value: String) { out.line(Style.bold.apply(label.padding(10)) + value) }
                row("Workflow", summary.id)
                row("Name", summary.name)
                row("Status", Style.status(summary.status).apply(summary.status.rawValue))
                row("Started", Format.time(summary.startedAt) + " UTC")
                row(summary.status.isFinished ? "Finished" : "Updated", Format.time(summary.updatedAt) + " UTC")
                if let parent = summary.parentID { row("Parent", parent) }
                let max = width == 0 ? Int.max : Swift.max(width, 20)
                row("Input", EventFormat.preview(bytes: projection.input(of: id) ?? [], text: false, max: max))
                if let output { row("Result", EventFormat.preview(bytes: output, text: false, max: max)) }
                if let failure = summary.failure { row("Error", Style.red.apply("\(failure.errorType): \(failure.message)")) }
                if let reason = summary.parkReason { row("Parked", Style.magenta.apply(Format.oneLine(reason))) }
                if summary.status.isActive, let retry = Self.retryWait(of: id, in: events) {
                    row("Waiting", EventFormat.retrying(retry))
                }
                out.line()
                var table = Table(EventFormat.tableColumns(workflowColumn: false))
                for (lsn, event) in events {
                    table.add(EventFormat.row(event, lsn: lsn, workflowColumn: false, previewWidth: max))
                }
                table.render(into: &out)
                out.line(Style.dim.apply("\(Format.count(events.count)) events"))
                if !streams.streams.isEmpty {
                    out.line()
                    var listing = Table([.init(title: "STREAM"), .init(title: "VALUES", alignment: .right), .init(title: "STATE")])
                    for stream in streams.streams {
                        listing.add([(stream.key, nil), (Format.count(stream.count), nil), (stream.closed ? "closed" : "open", nil)])
                    }
                    listing.render(into: &out)
                }
            }
            out.flush()
        }
    }

    /// The retry wait workflow `id` is in: the one its last operation began, if that is one.
    static func retryWait(of id: String, in events: [(LSN, Event)]) -> RetryWaitRecord? {
        events.last { $0.1.workflowID == id && $0.1.position != nil }.flatMap { RetryWaitRecord($0.1) }
    }
}

/// A workflow's streams, from its history: each key in the order first written, with its values counted and
/// whether it was closed.
struct StreamListing {
    struct Stream {
        var key: String
        var count = 0
        var closed = false
    }

    private(set) var streams: [Stream] = []

    init(_ events: [Event]) { self.init(events.lazy.map { (kind: $0.kind, name: $0.name) }) }

    /// From each event's kind and name (a stream event's name is its key), in log order.
    init(_ events: some Sequence<(kind: EventKind, name: String)>) {
        var index: [String: Int] = [:]
        for (kind, key) in events where kind == .streamWritten || kind == .streamClosed {
            let i = index[key] ?? {
                streams.append(Stream(key: key))
                index[key] = streams.count - 1
                return streams.count - 1
            }()
            if kind == .streamWritten { streams[i].count += 1 } else { streams[i].closed = true }
        }
    }
}
