// The HTTP command of cairn-testhost, for the CLI's remote tests (Tests/CairnCLITests/Remote*.swift):
//
//   cairn-testhost http-serve DIR PORTFILE
//       Opens a workflow engine on DIR with `remote-greet` and `remote-waits`, serves its HTTP API
//       (CairnHTTPServer) on 127.0.0.1 at a port the system picks, with the token in CAIRN_TESTHOST_TOKEN when
//       that is set, and writes the port to PORTFILE (whole, by a rename) once the server listens; prints
//       "listening PORT". Runs until killed (SIGTERM).
import Cairn
import CairnHTTP
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `remote-greet`: two steps; returns "hello NAME!".
struct RemoteGreet: Workflow {
    static let name = "remote-greet"

    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        let hello = try await context.step("hello") { "hello \(input)" }
        return try await context.step("shout") { hello + "!" }
    }
}

/// `remote-waits`: a step, then waits for a message on topic "go"; returns "INPUT:MESSAGE".
struct RemoteWaits: Workflow {
    static let name = "remote-waits"

    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        let first = try await context.step("before") { "\(input):" }
        let message = try await context.receive(String.self, topic: "go") ?? "timeout"
        return try await context.step("after") { first + message }
    }
}

/// The `http-serve` child: an engine and its HTTP API until killed.
func httpServeMain(_ arguments: [String]) async -> Never {
    guard arguments.count >= 4 else {
        FileHandle.standardError.write(Data("usage: cairn-testhost http-serve DIR PORTFILE\n".utf8))
        exit(2)
    }
    let portFile = arguments[3]
    do {
        var configuration = EngineConfiguration()
        configuration.logger.logLevel = .warning
        let engine = try await WorkflowEngine.open(
            directory: arguments[2], configuration: configuration, workflows: [RemoteGreet.self, RemoteWaits.self])
        var serving = CairnHTTPConfiguration()
        serving.port = 0
        serving.token = ProcessInfo.processInfo.environment["CAIRN_TESTHOST_TOKEN"]
        serving.logger.logLevel = .warning
        let server = try CairnHTTPServer(engine: engine, configuration: serving)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            group.addTask { try await server.run() }
            guard let port = await server.waitUntilListening() else {
                emit("error the server listens on no port")
                exit(1)
            }
            let temporary = portFile + ".partial"
            try Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, portFile) == 0 else {
                emit("error cannot write \(portFile)")
                exit(1)
            }
            emit("listening \(port)")
            try await group.next()
            emit("error a service stopped")
            exit(1)
        }
    } catch {
        emit("error \(error)")
        exit(1)
    }
    exit(1)
}
