import AsyncHTTPClient
import Cairn
import CairnAPI
import CairnHTTP
import Foundation
import CairnLog
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

@Suite("HTTP API: the live event stream")
struct EventStreamTests {
    /// A live server on a free port beside a running engine, for `body`.
    static func withServer(_ body: @Sendable (WorkflowEngine, Int) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/cairn-http-tests/\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let engine = try await WorkflowEngine.open(directory: directory, workflows: [Greet.self, AwaitGo.self, Parent.self])
        var configuration = CairnHTTPConfiguration()
        configuration.port = 0
        let server = try CairnHTTPServer(engine: engine, configuration: configuration)
        let group = ServiceGroup(services: [engine, server], logger: configuration.logger)
        let running = Task { try await group.run() }
        let outcome: Result<Void, any Error>
        do {
            let port = try #require(await server.waitUntilListening())
            try await body(engine, port)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        try outcome.get()
    }

    /// Reads server-sent events from `url` until `count` events arrived: their IDs and JSON.
    static func read(
        _ url: String, headers: [(String, String)] = [], count: Int = .max, until last: @Sendable (APIEvent) -> Bool = { _ in false }
    ) async throws -> [(id: UInt64, event: APIEvent)] {
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.status.code == 200)
        #expect(response.headers.first(name: "content-type") == "text/event-stream")
        var events: [(UInt64, APIEvent)] = []
        var text = ""
        for try await chunk in response.body {
            text += String(buffer: chunk)
            while let end = text.range(of: "\n\n") {
                let block = String(text[..<end.lowerBound])
                text = String(text[end.upperBound...])
                var id: UInt64?
                var data: String?
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("id: ") { id = UInt64(line.dropFirst(4)) }
                    if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
                }
                guard let id, let data else { continue }
                events.append((id, try APIJSON.decoder().decode(APIEvent.self, from: Data(data.utf8))))
                if events.count == count || last(events[events.count - 1].1) { return events }
            }
        }
        return events
    }

    @Test("a second server on a port in use fails to start, and says so to whoever waits for it")
    func portInUse() async throws {
        try await Self.withServer { engine, port in
            var configuration = CairnHTTPConfiguration()
            configuration.port = port
            let second = try CairnHTTPServer(engine: engine, configuration: configuration)
            let running = Task { try await second.run() }
            #expect(await second.waitUntilListening() == nil)
            await #expect(throws: (any Error).self) { try await running.value }
        }
    }

    @Test("events arrive live, in log order, and a reconnect with Last-Event-ID misses none")
    func live() async throws {
        try await Self.withServer { engine, port in
            let base = "http://127.0.0.1:\(port)/api/v1/events"
            _ = try await engine.start(AwaitGo.self, input: "x", id: "w-1")
            // From the live end on: the rest of w-1's events can only arrive live, as they are recorded.
            let end = engine.lastRecorded?.rawValue ?? 0
            let reader = Task { try await Self.read(base + "?workflow=w-1&after=\(end)", until: { $0.kind == "workflowCompleted" }) }
            try await engine.send(AwaitGo.Go(text: "go"), to: "w-1", topic: "go")
            let events = try await reader.value
            #expect(events.map(\.id) == events.map(\.id).sorted(), "events out of log order")
            #expect(events.map(\.id) == events.map(\.event.lsn))
            // Its own events, and the message sent to it from outside (recorded under no workflow).
            #expect(events.allSatisfy { ($0.event.workflowID == "w-1" || $0.event.details["destination"] == .string("w-1")) && $0.id > end })
            #expect(events.contains { $0.event.kind == "messageReceived" })
            #expect(events.last?.event.kind == "workflowCompleted")
            #expect(events.last?.event.payload?.json == .string("go"))

            _ = try await engine.start(Parent.self, input: "Ada", id: "p-1")
            _ = try await engine.handle(for: "p-1", of: Parent.self).result()
            // From the beginning, after the second event: exactly the events after it.
            let all = try await Self.read(base + "?after=0", count: 6)
            #expect(all.first?.event.kind == "workflowStarted" && all.first?.id == 1)
            let resumed = try await Self.read(base, headers: [("Last-Event-ID", "\(all[1].id)")], count: 4)
            #expect(resumed.map(\.id) == all[2...].map(\.id))
            // One workflow's events only.
            let child = try await Self.read(base + "?workflow=child-of-p-1&last=100", count: 3)
            #expect(child.allSatisfy { $0.event.workflowID == "child-of-p-1" })
        }
    }
}
