import Cairn
import CairnAPI
import CairnHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Returns its input with a greeting: `{"name": "Ada"}` → `"hello Ada"`.
struct Greet: Workflow {
    static let name = "greet"
    struct Input: Codable, Sendable { var name: String }
    static func run(_ context: WorkflowContext, input: Input) async throws -> String {
        let greeting = try await context.step("greet") { "hello \(input.name)" }
        return greeting
    }
}

/// Waits for a message on "go" and returns it, after a step; sets the event "stage".
struct AwaitGo: Workflow {
    static let name = "await-go"
    struct Go: Codable, Sendable { var text: String }
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        _ = try await context.step("prepare") { input }
        try await context.setEvent("stage", "waiting")
        guard let go = try await context.receive(Go.self, topic: "go") else { return "timed out" }
        try await context.writeStream("log", go.text)
        try await context.closeStream("log")
        return go.text
    }
}

/// Starts a Greet child and returns its result.
struct Parent: Workflow {
    static let name = "parent"
    static var children: [any Workflow.Type] { [Greet.self] }
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        try await context.runChild(Greet.self, input: Greet.Input(name: input), id: "child-of-\(context.workflowID)")
    }
}

/// An engine on a fresh log directory, run for the test, with the server's application driven by
/// HummingbirdTesting; every answer is checked against the OpenAPI document the server serves.
struct APIHarness {
    let engine: WorkflowEngine
    let server: CairnHTTPServer
    let client: any TestClientProtocol
    let checker: OpenAPIChecker

    static func run(
        configuration: CairnHTTPConfiguration = CairnHTTPConfiguration(),
        _ body: @Sendable (APIHarness) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/cairn-http-tests/\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var engineConfiguration = EngineConfiguration()
        engineConfiguration.maxPayloadSize = 4096
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: engineConfiguration, workflows: [Greet.self, AwaitGo.self, Parent.self])
        let runner = Task { try await engine.run() }
        let server = try CairnHTTPServer(engine: engine, configuration: configuration)
        let outcome: Result<Void, any Error>
        do {
            try await server.makeApplication().test(.router) { client in
                let document = try await client.execute(uri: "/api/v1/openapi.json", method: .get, headers: Self.authorization(configuration))
                let checker = try OpenAPIChecker(json: String(buffer: document.body))
                try await body(APIHarness(engine: engine, server: server, client: client, checker: checker))
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await engine.shutdown()
        _ = try? await runner.value
        try outcome.get()
    }

    static func authorization(_ configuration: CairnHTTPConfiguration) -> HTTPFields {
        configuration.token.map { [.authorization: "Bearer \($0)"] } ?? [:]
    }

    /// A request's answer: its status, headers and body, checked against the OpenAPI document.
    struct Answer {
        var status: Int
        var headers: HTTPFields
        var body: Data

        func decode<T: Decodable>(_ type: T.Type) throws -> T { try APIJSON.decoder().decode(T.self, from: body) }
        var error: APIErrorBody? { try? decode(APIErrorBody.self) }
    }

    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ path: String, json: String? = nil, headers: HTTPFields = [:], checked: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Answer {
        var headers = headers
        if json != nil && headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(
            uri: path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        let answer = Answer(
            status: Int(response.status.code), headers: response.headers, body: Data(response.body.readableBytesView))
        if checked {
            let problems = checker.problems(method: method.rawValue, path: path, status: answer.status, body: answer.body)
            #expect(problems.isEmpty, "the answer does not match the OpenAPI document: \(problems)", sourceLocation: sourceLocation)
        }
        return answer
    }

    /// Waits until workflow `id` waits for a message (its history records the receive).
    func waitUntilReceiving(_ id: String) async throws {
        try await eventually("\(id) to wait for a message") {
            let events = (try? await engine.history(of: id).collect()) ?? []
            return events.contains { $0.kind == .receiveStarted }
        }
    }

    /// Waits until workflow `id` has `status`.
    func waitFor(_ id: String, _ status: WorkflowStatus) async throws {
        try await eventually("\(id) to be \(status)") { engine.summary(of: id)?.status == status }
    }
}

/// A wait that gave up: the test fails with what it waited for.
struct GaveUpWaiting: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` until it holds; throws ``GaveUpWaiting`` after 30 seconds (a deadline so a test cannot hang,
/// not a timing assertion). The one wait of the HTTP tests.
func eventually(_ what: String = "the condition", _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw GaveUpWaiting(description: "gave up waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
