import Foundation
import Hummingbird
import HummingbirdTesting
import OTel
import OrderService
import CairnTesting
import ServiceLifecycle
import Synchronization
import Testing

/// The request bodies an OTLP/HTTP receiver got on `POST /v1/traces`: protobuf `ExportTraceServiceRequest`s.
final class ReceivedTraces: Sendable {
    private let bodies = Mutex<[[UInt8]]>([])

    func append(_ body: [UInt8]) { bodies.withLock { $0.append(body) } }

    /// Whether a span named `name` arrived. A span's name is field 5 of the protobuf `Span` (tag 0x2A), then its
    /// length and UTF-8: that matches no attribute holding the same text (attribute values are field 1 of AnyValue).
    func containsSpan(named name: String) -> Bool {
        let utf8 = Array(name.utf8)
        precondition(utf8.count < 128, "a longer name's length is more than one varint byte")
        let field = [0x2A, UInt8(utf8.count)] + utf8
        return bodies.withLock { bodies in
            bodies.contains { body in
                body.count >= field.count && (0...(body.count - field.count)).contains { body[$0..<($0 + field.count)].elementsEqual(field) }
            }
        }
    }
}

// OTel's bootstrap is process-global (once per process): this suite bootstraps it, in its one test.
@Suite("Tracing with swift-otel's OTLP/HTTP exporter")
struct TracingTests {
    @Test("The request's span and Cairn's start, run and step spans reach an OTLP/HTTP receiver")
    func requestSpanIsExported() async throws {
        // The receiver: a tiny OTLP/HTTP endpoint on 127.0.0.1, on a port of the system's choosing.
        let received = ReceivedTraces()
        let receiverRouter = Router()
        receiverRouter.post("v1/traces") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 16 * 1024 * 1024)
            received.append(Array(body.readableBytesView))
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf"])  // an empty response message
        }
        let receiver = Application(router: receiverRouter, configuration: .init(address: .hostname("127.0.0.1", port: 0)))

        try await receiver.test(.live) { receiverClient in
            let port = try #require(receiverClient.port)
            var configuration = OTel.Configuration.default
            configuration.serviceName = "cairn-service-example-test"
            configuration.logs.enabled = false
            configuration.metrics.enabled = false
            configuration.traces.exporter = .otlp
            configuration.traces.otlpExporter.protocol = .httpProtobuf
            configuration.traces.otlpExporter.endpoint = "http://127.0.0.1:\(port)/v1/traces"
            configuration.traces.batchSpanProcessor.scheduleDelay = .milliseconds(100)
            let observability = try OTel.bootstrap(configuration: configuration, environment: [:])

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await observability.run() }
                let service = TestService()
                defer { service.directory.remove() }
                try await service.run(.live) { client, _ in
                    let response = try await client.post("/orders", Orders.small("o-traced"))
                    #expect(response.status == .created)
                }

                let names = ["/orders", "start ProcessOrder", "workflow ProcessOrder", "step charge"]
                let deadline = ContinuousClock.now + .seconds(30)
                while !names.allSatisfy(received.containsSpan(named:)), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))  // polling the receiver, with a deadline
                }
                // Hummingbird's TracingMiddleware names the request's span after its route.
                #expect(received.containsSpan(named: "/orders"))

                // Cairn's spans, through the tracer OTel bootstrapped: the start (under the request's span), the
                // workflow's run, and a span per step attempt.
                #expect(received.containsSpan(named: "start ProcessOrder"))
                #expect(received.containsSpan(named: "workflow ProcessOrder"))
                #expect(received.containsSpan(named: "step charge"))

                group.cancelAll()
            }
        }
    }
}
