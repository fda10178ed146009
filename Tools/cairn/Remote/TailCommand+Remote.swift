import Cairn
import CairnAPI
import NIOCore

extension TailCommand {
    /// `tail --url`: the engine's latest events (a workflow's from its history), then with `--follow` each new one
    /// from the event stream.
    ///
    /// The stream does not mark where its backlog ends, so without `--follow` it is read until the event the
    /// engine had recorded last when the command began (its overview's `lastRecorded`), `--lines` events, or 5 s
    /// without a byte, whichever comes first.
    func runRemote(_ endpoint: RemoteEndpoint) async throws {
        try await RemoteClient.with(endpoint, streamIdleTimeout: follow ? .seconds(60) : .seconds(5)) { client in
            var out = Output()
            var printer = TailPrinter()
            let json = options.json
            func emit(_ events: [APIEvent]) throws {
                if json {
                    for event in events {
                        out.bytes(try RemoteFormat.json(event))
                        out.line()
                    }
                } else {
                    printer.print(events.map { RemoteFormat.row($0, workflowColumn: true) }, into: &out)
                }
                out.flush()
            }
            let first = from.map { max(1, $0) }
            var backlog: [APIEvent] = []
            var live: RemoteEventStream.Iterator?
            if let workflow {
                let history = try await client.history(of: workflow)
                backlog = first.map { first in history.filter { $0.lsn >= first } } ?? Array(history.suffix(count))
                if follow {
                    let after = max(history.last?.lsn ?? 0, (first ?? 1) - 1)
                    let stream = try await client.eventStream(
                        "/api/v1/events", query: [("workflow", workflow), ("after", String(after))])
                    live = stream.makeAsyncIterator()
                }
            } else {
                let horizon = try await client.get("/api/v1/overview", as: APIOverview.self).lastRecorded
                let query = first.map { [("after", String($0 - 1))] } ?? [("last", String(count))]
                let wantsBacklog = horizon > 0 && (first.map { $0 <= horizon } ?? (count > 0))
                if follow || wantsBacklog {
                    var iterator = try await client.eventStream("/api/v1/events", query: query).makeAsyncIterator()
                    if wantsBacklog {
                        do {
                            while let event = try await iterator.next() {
                                backlog.append(event)
                                if event.lsn >= horizon || (first == nil && backlog.count >= count) { break }
                            }
                        } catch is RemoteEventStream.Quiet where !follow {
                            // Nothing more came: the backlog is what there is.
                        }
                    }
                    if follow { live = iterator }
                }
            }
            if !backlog.isEmpty || !follow { try emit(backlog) }
            guard var live else { return }
            do {
                while let event = try await live.next() { try emit([event]) }
            } catch is RemoteEventStream.Quiet {
                throw CLIError("nothing came from \(endpoint.base) for 60 s, not even a keep-alive: the event stream is lost")
            }
            throw CLIError("the engine at \(endpoint.base) ended the event stream (is it shutting down?)")
        }
    }
}
