public import Cairn
import Foundation
import HTTPTypes
public import Hummingbird
import ServiceLifecycle

/// The order API: start an order, read its status, follow its progress, approve it.
///
/// | route | answer |
/// |---|---|
/// | `POST /orders` | 201 and the receipt when the order finishes within ``answerWithin``; 402 when the card is declined; otherwise 202, `Location: /orders/{id}` |
/// | `GET /orders/{id}` | 200 and the ``OrderStatus`` (with the receipt or the error once finished); 404 |
/// | `GET /orders/{id}/progress` | `text/event-stream`: the ``OrderProgress`` stages from the first (or after `Last-Event-ID`), live, ending when the order ends; 404 |
/// | `POST /orders/{id}/approval` | 202: the ``Approval`` is sent to the waiting workflow; 404; 409 when the order has finished |
///
/// Malformed bodies get 400 and start nothing. Every error answer is an ``APIError`` as JSON.
public struct OrderRoutes: Sendable {
    public let engine: WorkflowEngine
    /// How long `POST /orders` waits for the order to finish before answering 202.
    public var answerWithin: Duration

    public init(engine: WorkflowEngine, answerWithin: Duration = .seconds(2)) {
        self.engine = engine
        self.answerWithin = answerWithin
    }

    public func add<Context: RequestContext>(to router: Router<Context>) {
        router.post("orders") { request, context in try await create(request, context: context) }
        router.get("orders/{id}") { _, context in try await status(context.parameters.require("id")) }
        router.get("orders/{id}/progress") { request, context in
            try await progress(context.parameters.require("id"), after: request.headers[Self.lastEventID].flatMap { Int($0) })
        }
        router.post("orders/{id}/approval") { request, context in
            try await approve(context.parameters.require("id"), request, context: context)
        }
    }

    static func statusPath(_ id: String) -> String { "/orders/\(id)" }

    /// The header a reconnecting `EventSource` sends: the `id` of the last event it got.
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    // MARK: POST /orders

    func create(_ request: Request, context: some RequestContext) async throws -> Response {
        let order: Order
        switch await decode(Order.self, from: request, context: context) {
        case .success(let decoded): order = decoded
        case .failure(let bad): return bad.response
        }
        if let problem = Self.problem(with: order) {
            return try .error(.badRequest, "invalid-order", problem, orderID: order.id)
        }
        // The order's ID is the workflow's: a retried request finds the workflow the first one started.
        let handle: WorkflowHandle<ProcessOrder>
        do {
            handle = try await engine.start(ProcessOrder.self, input: order, id: order.id)
        } catch let error as WorkflowError where error.code == .shuttingDown {
            return try .error(.serviceUnavailable, "shutting-down", "the service is restarting; try again", orderID: order.id)
        } catch let error as WorkflowError where error.code == .idConflict {
            return try .error(.conflict, "id-conflict", error.message, orderID: order.id)
        }
        let location = Self.statusPath(order.id)
        do {
            if let receipt = try await handle.result(timeout: answerWithin) {
                var body = OrderStatus(orderID: order.id, status: .completed, summary: try? await handle.summary())
                body.receipt = receipt
                return try .json(body, status: .created, headers: [.location: location])
            }
        } catch let declined as PaymentDeclined {
            return try .error(.paymentRequired, PaymentDeclined.errorType, declined.reason, orderID: order.id)
        } catch let error as WorkflowError where error.code == .shuttingDown {
            // Started durably: it finishes after the restart, and the status URL tells.
        } catch {
            return try .error(.internalServerError, "order-failed", "\(error)", orderID: order.id)
        }
        // Still running: the client follows the status URL.
        let summary = try? await handle.summary()
        return try .json(
            OrderStatus(orderID: order.id, status: summary?.status ?? .pending, summary: summary), status: .accepted,
            headers: [.location: location])
    }

    /// What is wrong with an order that decoded, or nil.
    static func problem(with order: Order) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        if order.id.isEmpty || order.id.count > 64 || !order.id.allSatisfy(allowed.contains) {
            return "'id' must be 1 to 64 letters, digits, '-' or '_' (it becomes the status URL)"
        }
        if order.amount <= 0 { return "'amount' must be a positive number of cents" }
        if order.card.isEmpty { return "'card' must be the payment provider's card token" }
        return nil
    }

    // MARK: GET /orders/{id}

    func status(_ id: String) async throws -> Response {
        let handle = engine.handle(for: id, of: ProcessOrder.self)
        guard let summary = try await summary(of: handle) else { return try notFound(id) }
        var body = OrderStatus(orderID: id, status: summary.status, summary: summary)
        if summary.status.isFinished {
            do {
                body.receipt = try await handle.result(timeout: .zero)
            } catch let declined as PaymentDeclined {
                body.error = APIError(error: PaymentDeclined.errorType, message: declined.reason, orderID: id)
            } catch {
                body.error = APIError(error: "order-failed", message: "\(error)", orderID: id)
            }
        }
        return try .json(body, status: .ok)
    }

    // MARK: GET /orders/{id}/progress

    /// - Parameter after: the ID of the last event a reconnecting client got (its `Last-Event-ID`): the stage's index.
    func progress(_ id: String, after: Int?) async throws -> Response {
        let handle = engine.handle(for: id, of: ProcessOrder.self)
        guard try await summary(of: handle) != nil else { return try notFound(id) }
        let first = after.map { max(0, $0 + 1) } ?? 0
        let updates = progressUpdates(of: id, in: engine, from: first)
        let body = ResponseBody { writer in
            do {
                // Ends when the workflow ends — or when the service shuts down gracefully, which would otherwise
                // wait for this stream (the server stops before the engine).
                var index = first
                for try await progress in updates.cancelOnGracefulShutdown() {
                    try await writer.write(ServerSentEvent(event: "progress", id: "\(index)", json: progress).buffer)
                    index += 1
                }
                let status = try await handle.status()
                if !status.isActive {
                    // The workflow has ended: say how, so a client tells the end from a dropped connection.
                    try await writer.write(ServerSentEvent(event: "end", json: OrderStatus(orderID: id, status: status)).buffer)
                }
            } catch let error as WorkflowError where error.code == .shuttingDown || error.code == .fellBehind {
                // The engine stops (or this reader fell behind): end the stream; the client reconnects.
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    // MARK: POST /orders/{id}/approval

    func approve(_ id: String, _ request: Request, context: some RequestContext) async throws -> Response {
        let approval: Approval
        switch await decode(Approval.self, from: request, context: context) {
        case .success(let decoded): approval = decoded
        case .failure(let bad): return bad.response
        }
        let handle = engine.handle(for: id, of: ProcessOrder.self)
        guard let summary = try await summary(of: handle) else { return try notFound(id) }
        if !summary.status.isActive {
            return try .error(.conflict, "not-pending", "the order is \(summary.status) and takes no approval", orderID: id)
        }
        // One approval per order: a repeated request is ignored.
        try await handle.send(approval, topic: Approval.topic, idempotencyKey: "approval")
        return try .json(OrderStatus(orderID: id, status: summary.status, summary: summary), status: .accepted,
                         headers: [.location: Self.statusPath(id)])
    }

    // MARK: Helpers

    /// The workflow's summary; nil when there is no order of this ID.
    private func summary(of handle: WorkflowHandle<ProcessOrder>) async throws -> WorkflowSummary? {
        do {
            let summary = try await handle.summary()
            return summary.name == ProcessOrder.name ? summary : nil
        } catch let error as WorkflowError where error.code == .notFound {
            return nil
        }
    }

    private func notFound(_ id: String) throws -> Response {
        try .error(.notFound, "not-found", "no order with this ID", orderID: id)
    }

    /// The request's JSON body as a `T`, or the 400 answer that says what is wrong with it.
    private func decode<T: Decodable>(
        _ type: T.Type, from request: Request, context: some RequestContext
    ) async -> Result<T, BadRequest> {
        var request = request
        do {
            let body = try await request.collectBody(upTo: 64 * 1024)
            return .success(try JSONDecoder().decode(T.self, from: Data(body.readableBytesView)))
        } catch let error as DecodingError {
            return .failure(BadRequest(Self.describe(error)))
        } catch {
            return .failure(BadRequest("the body could not be read: \(error)"))
        }
    }

    /// A decoding error, said briefly: which field, and what was wrong with it.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _): return "the body is missing '\(key.stringValue)'"
        case .typeMismatch(let type, let context): return "'\(path(context))' must be a \(type)"
        case .valueNotFound(let type, let context): return "'\(path(context))' must be a \(type), not null"
        case .dataCorrupted(let context) where context.codingPath.isEmpty: return "the body is not valid JSON"
        case .dataCorrupted(let context): return "'\(path(context))' is invalid: \(context.debugDescription)"
        @unknown default: return "the body is not valid: \(error)"
        }
    }
}

/// A 400 answer, as the failure of a decode.
struct BadRequest: Error {
    let response: Response

    init(_ message: String) {
        // Encoding an APIError cannot fail.
        response = (try? Response.error(.badRequest, "malformed-body", message)) ?? Response(status: .badRequest)
    }
}
