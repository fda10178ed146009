import ArgumentParser
import Cairn
import CairnCLIArguments
import CairnLog

/// `cairn list DIR`: workflows with filters, newest first.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List workflows: ID, name, status, start and finish times.",
        discussion: """
            Rebuilds every workflow's status from the log (lifecycle events only) without taking its lock. Newest \
            start first. Workflows an engine is running show as pending: the log records starts and outcomes, not \
            which process runs what. Queued and delayed workflows (enqueued) say why they wait.

            Examples:
              cairn list /var/lib/orders/cairn
              cairn list /var/lib/orders/cairn --status failed --status parked --since 24h
              cairn list /var/lib/orders/cairn --name process-order --since 2025-01-01 --until 2025-02-01 --limit 0
              cairn list /var/lib/orders/cairn --json | jq -r '.[].id'
              cairn list --url http://127.0.0.1:8080 --status running

            With --url instead of a directory it asks a running engine (its CairnHTTPServer), with the same \
            filters and columns; --json then prints the API's workflows.
            """)

    @OptionGroup var options: SourceOptions

    @Option(
        name: .long, parsing: .singleValue,
        help: "Only workflows with this status (repeatable): enqueued, pending, running, completed, failed, cancelled, diverged, parked.")
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
        try await reportingErrors(directory: directory) {
            let access = try LogAccess(directory)
            let index = try WorkflowIndex(reading: access.reader, expectedWorkflows: access.expectedWorkflows)
            let statuses = Set(status.map(\.status))
            let name = self.name
            let since = self.since?.nanoseconds
            let until = self.until?.nanoseconds
            let (matches, total) = index.newest(limit: limit == 0 ? nil : limit) { workflowName, workflowStatus, startedAt in
                if !statuses.isEmpty && !statuses.contains(workflowStatus) { return false }
                if let name, workflowName != name { return false }
                if let since, startedAt < since { return false }
                if let until, startedAt >= until { return false }
                return true
            }
            var out = Output()
            let now = nowNanoseconds()
            if options.json {
                var w = JSONWriter()
                w.beginArray()
                for s in matches {
                    w.beginObject()
                    EventFormat.summaryFields(s, into: &w)
                    if let reason = index.waitReason(of: s.id, now: now) { w.field("waitingFor", reason) }
                    w.endObject()
                    out.drain(&w)
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
                    let detail = s.failure.map { "\($0.errorType): \($0.message)" } ?? s.parkReason
                        ?? index.waitReason(of: s.id, now: now) ?? (s.timedOut ? "deadline passed" : nil)
                        ?? s.parentID.map { "child of \($0)" } ?? ""
                    table.add([
                        (s.id, nil), (s.name, nil), (s.status.rawValue, Style.status(s.status)), (Format.time(s.startedAt), nil),
                        (Format.time(s.updatedAt), nil), (Format.truncate(Format.oneLine(detail), 60), .dim),
                    ])
                }
                if matches.isEmpty {
                    out.line(total == 0 && index.count == 0 ? "no workflows in this log" : "no workflow matches")
                } else {
                    table.render(into: &out)
                    if matches.count < total {
                        out.line(Style.dim.apply("\(Format.count(matches.count)) of \(Format.count(total)) workflows, newest first; --limit 0 shows all"))
                    }
                }
            }
            out.flush()
            exitWithoutTeardown(index)
        }
    }
}

