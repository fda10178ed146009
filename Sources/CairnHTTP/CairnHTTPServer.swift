public import Cairn
package import Hummingbird
import Logging
package import NIOCore
public import ServiceLifecycle
import Synchronization

/// The engine's HTTP API and web dashboard: a `Service` to run beside the engine in the service's `ServiceGroup`.
///
/// ```swift
/// let engine = try await WorkflowEngine.open(directory: "/var/lib/orders/cairn", workflows: [ProcessOrder.self])
/// let dashboard = try CairnHTTPServer(engine: engine)      // http://127.0.0.1:8080
/// let group = ServiceGroup(services: [engine, dashboard, httpServer], logger: logger)
/// ```
///
/// Off unless added: the engine knows nothing of it, and it costs the engine nothing while no one asks. It reads
/// what the engine's public API gives (summaries, histories, queues, schedules, statistics) and acts through it
/// (start, send, cancel, resume, fork): on any store the engine runs on.
///
/// The JSON API is under `/api/v1` (its OpenAPI document at `/api/v1/openapi.json`); the dashboard at `/`.
public final class CairnHTTPServer: Service, Sendable {
    /// The engine it serves.
    public let engine: WorkflowEngine
    /// Its configuration.
    public let configuration: CairnHTTPConfiguration
    private let boundPort = Mutex<Int?>(nil)
    private let running = Signal()

    /// - Throws: ``CairnHTTPError`` when the configuration is unsafe or cannot work: a host other than loopback
    ///   without a ``CairnHTTPConfiguration/token``, an empty token, a port out of range.
    public init(engine: WorkflowEngine, configuration: CairnHTTPConfiguration = CairnHTTPConfiguration()) throws {
        if let token = configuration.token, token.count < 16 {
            throw CairnHTTPError("the token is \(token.count) characters; use at least 16 random ones (e.g. `openssl rand -hex 32`)")
        }
        if !configuration.bindsLoopback && configuration.token == nil {
            throw CairnHTTPError(
                "binding to \(configuration.host) exposes the engine beyond this machine: set CairnHTTPConfiguration.token, or bind to 127.0.0.1")
        }
        guard (0...65535).contains(configuration.port) else {
            throw CairnHTTPError("port \(configuration.port) is not a TCP port (0...65535)")
        }
        if let limit = configuration.maxRequestBodySize, limit < 1024 {
            throw CairnHTTPError("maxRequestBodySize \(limit) is too small for any request; use at least 1024 bytes")
        }
        self.engine = engine
        self.configuration = configuration
    }

    /// The port the server listens on, once it runs (the configured one, or the one picked for port 0).
    public var port: Int? { boundPort.withLock { $0 } }

    /// Waits until the server listens, and returns its port; nil when ``run()`` ended without listening (the
    /// address was in use, say: `run()` throws why).
    public func waitUntilListening() async -> Int? {
        await running.wait()
        return port
    }

    /// Serves until the service group shuts down gracefully (open streams end; then the server stops).
    public func run() async throws {
        defer { running.fire() }  // a waiter learns that it never will listen, too
        let application = makeApplication(onListening: { [self] channel in
            boundPort.withLock { $0 = channel.localAddress?.port }
            running.fire()
        })
        try await application.runService()
    }

    /// The Hummingbird application: the router with the API and the dashboard (tests drive it with
    /// HummingbirdTesting).
    package func makeApplication(onListening: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "cairn"),
            onServerRunning: onListening, logger: configuration.logger)
    }

    package func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(LogRequestsMiddleware(.debug, includeHeaders: .none))
        router.middlewares.add(AccessMiddleware(token: configuration.token))
        let payloads = PayloadView(redact: configuration.redact)
        let limit = configuration.maxRequestBodySize ?? engine.configuration.maxPayloadSize + 64 << 10
        APIRoutes(engine: engine, payloads: payloads, maxBodySize: limit).add(to: router)
        DashboardRoutes(engine: engine, payloads: payloads, token: configuration.token).add(to: router)
        return router
    }
}

/// A configuration the server refuses, with what to change.
public struct CairnHTTPError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and what to change.
    public let description: String
    init(_ description: String) { self.description = description }
}
