import Cairn
import CairnAPI
import CairnCLIArguments

extension ListCommand {
    /// `list --url`: the engine's workflows with the same filters, page after page until `--limit`.
    func runRemote(_ endpoint: RemoteEndpoint) async throws {
        var filters: [(String, String)] = status.map { ("status", $0.status.rawValue) }
        if let name { filters.append(("name", name)) }
        if let since { filters.append(("since", Format.time(since.nanoseconds, iso: true))) }
        if let until { filters.append(("until", Format.time(until.nanoseconds, iso: true))) }
        let limit = self.limit == 0 ? nil : self.limit
        let (workflows, more) = try await RemoteClient.with(endpoint) { client in
            try await client.workflows(filters, limit: limit)
        }
        var out = Output()
        if options.json {
            out.bytes(try RemoteFormat.json(workflows))
            out.line()
        } else if workflows.isEmpty {
            out.line(filters.isEmpty ? "no workflows in this engine" : "no workflow matches")
        } else {
            var table = Table([
                .init(title: "ID"), .init(title: "NAME"), .init(title: "STATUS"), .init(title: "STARTED (UTC)"),
                .init(title: "UPDATED (UTC)"), .init(title: "DETAIL"),
            ])
            for workflow in workflows { table.add(RemoteFormat.row(workflow)) }
            table.render(into: &out)
            if more {
                out.line(Style.dim.apply("the first \(Format.count(workflows.count)) workflows, newest first; --limit 0 shows all"))
            }
        }
        out.flush()
    }
}
