import Cairn
import CairnAPI

extension ShowCommand {
    /// What `show --url --json` prints: the API's workflow and its whole history.
    private struct RemoteShowing: Encodable {
        var workflow: APIWorkflow
        var events: [APIEvent]
    }

    /// `show --url`: the workflow (`GET /api/v1/workflows/ID`) and its history, page after page, in the layout of
    /// a log's.
    func runRemote(_ endpoint: RemoteEndpoint, id: String) async throws {
        let (workflow, events) = try await RemoteClient.with(endpoint) { client in
            let workflow: APIWorkflow = try await client.get(RemoteClient.workflowPath(id))
            return (workflow, try await client.history(of: id))
        }
        var out = Output()
        if options.json {
            out.bytes(try RemoteFormat.json(RemoteShowing(workflow: workflow, events: events)))
            out.line()
            out.flush()
            return
        }
        func row(_ label: String, _ value: String) { out.line(Style.bold.apply(label.padding(10)) + value) }
        row("Workflow", workflow.id)
        row("Name", workflow.name)
        row("Status", Style.status(workflow.status).apply(workflow.status.rawValue))
        row("Started", RemoteFormat.time(workflow.startedAt) + " UTC")
        row(workflow.status.isFinished ? "Finished" : "Updated", RemoteFormat.time(workflow.updatedAt) + " UTC")
        if let parent = workflow.parentID { row("Parent", parent) }
        let max = width == 0 ? Int.max : Swift.max(width, 20)
        row("Input", RemoteFormat.preview(workflow.input, max: max))
        if let output = workflow.output { row("Result", RemoteFormat.preview(output, max: max)) }
        if let failure = workflow.failure { row("Error", Style.red.apply("\(failure.errorType): \(failure.message)")) }
        if let reason = workflow.parkReason { row("Parked", Style.magenta.apply(Format.oneLine(reason))) }
        if let waiting = workflow.waitingFor { row("Waiting", waiting) }
        if workflow.status.isActive, let last = events.last(where: { $0.position != nil }),
            let retrying = RemoteFormat.retrying(last)
        {
            row("Waiting", retrying)
        }
        out.line()
        var table = Table(EventFormat.tableColumns(workflowColumn: false))
        for event in events { table.add(RemoteFormat.row(event, workflowColumn: false, previewWidth: max)) }
        table.render(into: &out)
        out.line(Style.dim.apply("\(Format.count(events.count)) events"))
        let streams = Self.streams(events)
        if !streams.isEmpty {
            out.line()
            var listing = Table([.init(title: "STREAM"), .init(title: "VALUES", alignment: .right), .init(title: "STATE")])
            for stream in streams {
                listing.add([(stream.key, nil), (Format.count(stream.count), nil), (stream.closed ? "closed" : "open", nil)])
            }
            listing.render(into: &out)
        }
        out.flush()
    }

    /// The workflow's streams, from its history (a stream event's key is in its details, else its name).
    private static func streams(_ events: [APIEvent]) -> [StreamListing.Stream] {
        StreamListing(events.compactMap { event -> (kind: EventKind, name: String)? in
            guard let kind = RemoteFormat.kind(event.kind) else { return nil }
            if case .string(let key)? = event.details["key"] { return (kind, key) }
            return (kind, event.name)
        }).streams
    }
}
