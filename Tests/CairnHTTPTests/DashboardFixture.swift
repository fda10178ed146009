import Cairn
import CairnHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// A small workflow with two named steps.
enum DashAdd: Workflow {
    static let name = "dash-add"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("add-one") { input + 1 }
        return try await context.step("double-it") { a * 2 }
    }
}

/// A workflow before a code change: a step, then a wait for a message. Its call sites are pinned so the test knows
/// what the divergence report must show.
enum DashBefore: Workflow {
    static let name = "dash-change"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("old-step", file: "Orders.swift", line: 11) { input }
        _ = try await context.receive(String.self, topic: "go")
        return a
    }
}

/// The same workflow after the change: a different first step, so a history recorded by ``DashBefore`` diverges.
enum DashAfter: Workflow {
    static let name = "dash-change"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("new-step", file: "Orders.swift", line: 22) { input }
        _ = try await context.receive(String.self, topic: "go")
        return a
    }
}

/// A running engine with workflows in the states the dashboard's tests look at, and the server to ask: `done`
/// (completed), a hostile ID (completed), `waiting` (running, waiting for a message), `changed` (diverged).
struct DashboardFixture {
    static let hostileID = "<script>x</script>"
    let engine: WorkflowEngine
    let server: CairnHTTPServer

    /// Sets the fixture up (extra workflows: `extra` more `dash-add` ones), runs `body`, and shuts the engine down.
    static func with(
        token: String? = nil, extra: Int = 0, _ body: @Sendable (DashboardFixture) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-dashboard-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Record `changed` with the code before the change, up to its wait.
        // The divergence is expected: keep its error log out of the test output.
        var quiet = EngineConfiguration()
        quiet.logger = Logger(label: "dashboard-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let before = try await WorkflowEngine.open(directory: directory, configuration: quiet, workflows: [DashBefore.self])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await before.run() }
            _ = try await before.start(DashBefore.self, input: 1, id: "changed")
            try await poll("changed to wait") {
                try await before.history(of: "changed").collect().contains { $0.kind == .receiveStarted }
            }
            await before.shutdown()
            try await group.waitForAll()
        }
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: quiet, workflows: [DashAdd.self, DashAfter.self])
        var configuration = CairnHTTPConfiguration()
        configuration.token = token
        configuration.port = 0
        let server = try CairnHTTPServer(engine: engine, configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            defer { group.cancelAll() }
            do {
                #expect(try await engine.start(DashAdd.self, input: 5, id: "done").result() == 12)
                _ = try await engine.start(DashAdd.self, input: 1, id: hostileID).result()
                for index in 0..<extra { _ = try await engine.start(DashAdd.self, input: index, id: "extra-\(index)") }
                _ = try await engine.start(DashAfter.self, input: 2, id: "waiting")
                try await engine.send("now", to: "changed", topic: "go")
                try await poll("changed to diverge") { engine.summary(of: "changed")?.status == .diverged }
                try await poll("waiting to wait") {
                    try await engine.history(of: "waiting").collect().contains { $0.kind == .receiveStarted }
                }
                try await body(DashboardFixture(engine: engine, server: server))
            } catch {
                await engine.shutdown()
                throw error
            }
            await engine.shutdown()
            try await group.waitForAll()
        }
    }

    /// Polls `condition` until it holds (``eventually(_:_:)``: throws after 30 seconds).
    static func poll(_ what: String, _ condition: () async throws -> Bool) async throws {
        try await eventually(what, condition)
    }

    /// The answer to one request: its status, headers and body as text.
    struct Answer {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: String
    }

    /// Sends one request to the server's router.
    func request(
        _ uri: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:], body: String? = nil
    ) async throws -> Answer {
        let app = server.makeApplication()
        return try await app.test(.router) { client in
            try await client.execute(
                uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }
            ) { response in
                Answer(status: response.status, headers: response.headers, body: String(buffer: response.body))
            }
        }
    }
}

