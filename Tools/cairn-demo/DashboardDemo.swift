import Cairn
import CairnHTTP
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `cairn-demo --dashboard`: after the crash-and-recover story, the shop keeps running with the HTTP API and the
/// dashboard beside the engine, with workflows in every state to look at — completed orders, an order waiting for
/// its pickup, a gift bundle with children, a return that failed, one that waits for approval, and one that
/// diverged (recorded by the code before a change, replayed by the code after it). Stops on SIGINT or SIGTERM.
struct DashboardDemo {
    /// Where the log directory and the side-effect file are.
    let root: String
    /// The port to serve on (0: a free one).
    let port: Int
    /// The token the dashboard and the API ask for, if any.
    let token: String?

    /// Records the return the new code diverges on, then serves until SIGINT or SIGTERM.
    func run() async throws {
        try await recordBeforeChange()
        let engine = try await WorkflowEngine.open(
            directory: root + "/log", configuration: configuration(),
            workflows: [ProcessOrder.self, ReturnOrderV2.self, GiftBundle.self], dependencies: dependencies(root))
        var http = CairnHTTPConfiguration()
        http.port = port
        http.token = token
        http.logger = quiet
        let server = try CairnHTTPServer(engine: engine, configuration: http)
        let group = ServiceGroup(services: [engine, server], gracefulShutdownSignals: [.sigterm, .sigint], logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let listening = await server.waitUntilListening() ?? port
            try await populate(engine)
            say("\nDashboard: http://127.0.0.1:\(listening) (Ctrl-C to stop)")
            if token != nil { say("Sign in with the token given to --token.") }
            try await tasks.waitForAll()
        }
        say("stopped")
    }

    /// Records a return with the code before the change (``ReturnOrder``), up to its wait for approval: the
    /// engine after the change diverges on it.
    func recordBeforeChange() async throws {
        let engine = try await WorkflowEngine.open(
            directory: root + "/log", configuration: configuration(), workflows: [ProcessOrder.self, ReturnOrder.self],
            dependencies: dependencies(root))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await engine.run() }
            _ = try await engine.start(ReturnOrder.self, input: ReturnRequest(id: "return-301", item: "mugs", cents: 1_800), id: "return-301")
            try await waitFor("return-301 to wait for approval") {
                try await engine.history(of: "return-301").collect().contains { $0.kind == .receiveStarted }
            }
            await engine.shutdown()
            try await tasks.waitForAll()
        }
    }

    /// Starts the workflows the dashboard shows beside the recovered orders.
    func populate(_ engine: WorkflowEngine) async throws {
        // The recorded return replays through the new code when its approval comes: it diverges.
        try await engine.send("clerk-ana", to: "return-301", topic: "approval")
        _ = try await engine.start(ReturnOrderV2.self, input: ReturnRequest(id: "return-302", item: "opened-kettle", cents: 1_250), id: "return-302")
        _ = try await engine.start(ReturnOrderV2.self, input: ReturnRequest(id: "return-303", item: "teapot", cents: 2_500), id: "return-303")
        _ = try await engine.start(ReturnOrderV2.self, input: ReturnRequest(id: "return-304", item: "tea", cents: 900), id: "return-304")
        try await engine.send("clerk-bo", to: "return-304", topic: "approval")
        _ = try await engine.start(ProcessOrder.self, input: Order(id: "order-106", item: "tea cosy", quantity: 1, cents: 1_500), id: "order-106")
        let bundle = [
            Order(id: "order-201", item: "kettle", quantity: 1, cents: 4_000),
            Order(id: "order-202", item: "mugs", quantity: 2, cents: 2_400),
        ]
        _ = try await engine.start(GiftBundle.self, input: bundle, id: "gift-401")
        try await waitFor("order-201 to start") { engine.summary(of: "order-201") != nil }
        try await engine.send("van-9", to: "order-201", topic: "pickup", idempotencyKey: "pickup-order-201")
        try await waitFor("return-301 to diverge and return-302 to fail") {
            engine.summary(of: "return-301")?.status == .diverged && engine.summary(of: "return-302")?.status == .failed
        }
    }

    /// Polls `condition` until it holds, for up to 30 seconds.
    func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                throw DemoError(description: "gave up waiting for \(what) after 30 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// The demo could not set up what it shows.
struct DemoError: Error, CustomStringConvertible {
    let description: String
}
