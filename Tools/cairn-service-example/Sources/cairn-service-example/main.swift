// Runs the order service: a Hummingbird server on a Cairn engine, traced with swift-otel.
//
//   swift run cairn-service-example [--port 8080] [--directory orders-log]
//
// Spans go by OTLP/HTTP to http://localhost:4318/v1/traces (an OpenTelemetry collector, Jaeger, …) unless
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT says otherwise; OTEL_TRACES_EXPORTER=none
// turns them off. SIGTERM or SIGINT shut it down gracefully: the server stops, the engine drains and closes its
// log, the last spans are exported. Unfinished orders resume at the next start.
import Cairn
import Foundation
import Hummingbird
import Logging
import OTel
import OrderService
import ServiceLifecycle
import UnixSignals

var port = 8080
var directory = "orders-log"
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch (argument, arguments.popFirst()) {
    case ("--port", let value?) where Int(value) != nil: port = Int(value)!
    case ("--directory", let value?): directory = value
    default:
        FileHandle.standardError.write(Data("usage: cairn-service-example [--port N] [--directory PATH]\n".utf8))
        exit(64)
    }
}

// Tracing first: the tracer the engine and the middleware use is the one bootstrapped when they start spans.
var observability = OTel.Configuration.default
observability.serviceName = "cairn-service-example"
observability.traces.exporter = .otlp
observability.traces.otlpExporter.protocol = .httpProtobuf
observability.metrics.enabled = false  // traces only in this example; Cairn's metrics go to swift-metrics
observability.logs.enabled = false     // logs stay on the console
let otel = try OTel.bootstrap(configuration: observability)

let logger = Logger(label: "cairn-service-example")
let engine = try await WorkflowEngine.open(
    directory: directory, workflows: [ProcessOrder.self],
    dependencies: WorkflowDependencies()
        .with(Payments.self, SandboxPayments())
        .with(Inventory.self, SandboxInventory()))
let app = buildApplication(
    engine: engine, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port)), logger: logger)

// One group: OTel's exporter starts first and stops last, so the engine's and the server's last spans are sent.
let services = ServiceGroup(
    configuration: ServiceGroupConfiguration(
        services: [otel, app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
logger.info("order service on http://127.0.0.1:\(port)/orders, log directory \(directory)")
try await services.run()
