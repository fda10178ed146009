public import Cairn
public import Hummingbird
public import Logging

/// The order service: the order API (``OrderRoutes``) behind Hummingbird's tracing middleware, with the workflow
/// engine as one of the application's services.
///
/// The application runs its services and the HTTP server in one `ServiceGroup`: started in order, the engine
/// first; on graceful shutdown the server stops taking requests first, then the engine drains its workflows and
/// closes its log.
public func buildApplication(
    engine: WorkflowEngine, configuration: ApplicationConfiguration = ApplicationConfiguration(),
    answerWithin: Duration = .seconds(2), logger: Logger? = nil
) -> some ApplicationProtocol {
    let router = Router()
    router.middlewares.add(TracingMiddleware())  // a span per request; the engine continues its trace
    router.middlewares.add(LogRequestsMiddleware(.debug))
    OrderRoutes(engine: engine, answerWithin: answerWithin).add(to: router)
    return Application(router: router, configuration: configuration, services: [engine], logger: logger)
}
