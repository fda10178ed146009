import Cairn
import CairnLog
import CairnTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import OrderService
import Synchronization

/// A warehouse that counts what it was asked to do.
final class RecordingInventory: InventoryClient {
    private let calls = Mutex<[String]>([])

    /// The calls made so far, as `method id`.
    var log: [String] { calls.withLock { $0 } }

    func count(_ method: String) -> Int { log.filter { $0.hasPrefix(method + " ") }.count }

    func reserve(orderID: String) async throws -> String {
        calls.withLock { $0.append("reserve \(orderID)") }
        return "res_\(orderID)"
    }

    func release(reservation: String) async throws {
        calls.withLock { $0.append("release \(reservation)") }
    }

    func ship(reservation: String) async throws -> String {
        calls.withLock { $0.append("ship \(reservation)") }
        return "trk_\(reservation.dropFirst(4))"
    }
}

/// A payment provider that counts charges and declines ``SandboxPayments/declinedCard``.
final class RecordingPayments: PaymentClient {
    private let charges = Mutex<[String]>([])

    var charged: [String] { charges.withLock { $0 } }

    func charge(amount: Int, card: String, idempotencyKey: String) async throws -> String {
        charges.withLock { $0.append(idempotencyKey) }
        return try await SandboxPayments().charge(amount: amount, card: card, idempotencyKey: idempotencyKey)
    }
}

/// What a test's service runs on: fakes it can look at, and a log directory that outlives one engine.
struct TestService: Sendable {
    let inventory = RecordingInventory()
    let payments = RecordingPayments()
    let directory = TemporaryDirectory(prefix: "order-service")

    /// Opens an engine on the directory (again, for a restart) with the fakes.
    func openEngine() async throws -> WorkflowEngine {
        var configuration = EngineConfiguration()
        configuration.logger.logLevel = .warning
        configuration.log.durability = .never  // a test needs no fdatasync
        return try await WorkflowEngine.open(
            directory: directory.path, configuration: configuration, workflows: [ProcessOrder.self],
            dependencies: WorkflowDependencies().with(Inventory.self, inventory).with(Payments.self, payments))
    }

    /// Runs `test` against the order service on a new engine on the directory; the engine stops (gracefully)
    /// when `test` returns.
    func run<Value: Sendable>(
        _ setup: TestingSetup = .router,
        _ test: @Sendable (any TestClientProtocol, WorkflowEngine) async throws -> Value
    ) async throws -> Value {
        let engine = try await openEngine()
        var logger = Logger(label: "order-service-test")
        logger.logLevel = .warning
        // Long enough for an order with nothing to wait for to answer 201 on a loaded machine; the 202 tests wait it out.
        let app = buildApplication(engine: engine, answerWithin: .seconds(5), logger: logger)
        return try await app.test(setup) { client in try await test(client, engine) }
    }
}

/// The orders the tests send.
enum Orders {
    /// Below the review threshold: finishes at once.
    static func small(_ id: String, card: String = "tok_visa") -> Order { Order(id: id, amount: 2_500, card: card) }
    /// Above the review threshold: waits for an approval.
    static func large(_ id: String) -> Order { Order(id: id, amount: 250_000, card: "tok_visa") }
}

extension TestClientProtocol {
    func post(_ uri: String, json: String) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: json))
    }

    func post(_ uri: String, _ value: some Encodable) async throws -> TestResponse {
        try await post(uri, json: String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(body.readableBytesView))
    }

    var text: String { String(buffer: body) }
}

/// The events of a `text/event-stream` body, as (event, data) pairs.
func serverSentEvents(_ text: String) -> [(event: String, data: String)] {
    text.components(separatedBy: "\n\n").compactMap { block in
        var event = "message"
        var data: String?
        for line in block.split(separator: "\n") {
            if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
        }
        return data.map { (event, $0) }
    }
}

/// The progress stages of server-sent events, then the final status: `["shipped", "end completed"]`.
func stages(_ events: [(event: String, data: String)]) throws -> [String] {
    try events.map { event in
        if event.event == "end" {
            let status = try JSONDecoder.iso.decode(OrderStatus.self, from: Data(event.data.utf8))
            return "end \(status.status)"
        }
        return try JSONDecoder().decode(OrderProgress.self, from: Data(event.data.utf8)).stage.rawValue
    }
}

extension JSONDecoder {
    static var iso: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
