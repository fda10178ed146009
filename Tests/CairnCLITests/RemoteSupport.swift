import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `cairn-testhost http-serve`: an engine with `remote-greet` and `remote-waits` and its HTTP API, in a child
/// process, on a port the system picked.
final class TestServer {
    let directory: String
    let port: Int
    let token: String?
    private let process: Process
    var url: String { "http://127.0.0.1:\(port)" }

    private init(directory: String, port: Int, token: String?, process: Process) {
        self.directory = directory
        self.port = port
        self.token = token
        self.process = process
    }

    static var hostPath: String { cairnBinary.deletingLastPathComponent().appendingPathComponent("cairn-testhost").path }

    /// Starts a server on a fresh directory; returns once it listens.
    static func start(token: String? = nil, name: String = #function) async throws -> TestServer {
        try #require(FileManager.default.isExecutableFile(atPath: hostPath), "cairn-testhost is built next to the test bundle")
        let directory = temporaryDirectory(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let portFile = directory + ".port"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: hostPath)
        process.arguments = ["http-serve", directory + "/log", portFile]
        var environment = ProcessInfo.processInfo.environment
        environment["CAIRN_TESTHOST_TOKEN"] = token
        process.environment = environment
        // Files, not pipes: nothing here waits for an end of file a sibling process could hold open.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        do {
            let port = try await waitUntil("cairn-testhost http-serve to listen") { () -> Int? in
                if !process.isRunning { throw RemoteTestError("cairn-testhost http-serve exited with \(process.terminationStatus)") }
                return (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            try? FileManager.default.removeItem(atPath: portFile)
            return TestServer(directory: directory, port: port, token: token, process: process)
        } catch {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            removeDirectory(directory)
            try? FileManager.default.removeItem(atPath: portFile)
            throw error
        }
    }

    /// Ends the server (SIGTERM, then SIGKILL if it lingers) and removes its directory.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        removeDirectory(directory)
    }
}

/// Runs `body` with a fresh server, and stops the server afterwards, also when `body` throws.
func withTestServer(token: String? = nil, name: String = #function, _ body: (TestServer) async throws -> Void) async throws {
    let server = try await TestServer.start(token: token, name: name)
    defer { server.stop() }
    try await body(server)
}

struct RemoteTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Polls `value` until it gives a value, for at most 60 s (a deadline against hanging, not a timing check).
func waitUntil<T>(_ what: String, _ value: () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + .seconds(60)
    while true {
        if let value = try await value() { return value }
        guard ContinuousClock.now < deadline else { throw RemoteTestError("gave up waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Polls until `condition` holds (see ``waitUntil(_:_:)-(_,()->T?)``).
func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
    _ = try await waitUntil(what) { () async throws -> Bool? in try await condition() ? true : nil }
}

/// `cairn ARGS --url SERVER` (and its token, when it has one).
@discardableResult
func cairn(_ arguments: [String], on server: TestServer, environment: [String: String] = [:]) throws -> CLIResult {
    var environment = environment
    if let token = server.token, environment["CAIRN_TOKEN"] == nil { environment["CAIRN_TOKEN"] = token }
    return try cairn(arguments + ["--url", server.url], environment: environment)
}

/// A workflow as `show --url --json` prints it, once its status is `status`.
@discardableResult
func waitForStatus(_ id: String, _ status: String, on server: TestServer) async throws -> [String: Any] {
    try await waitUntil("\(id) to be \(status)") { () -> [String: Any]? in
        let shown = try cairn(["show", id, "--json"], on: server)
        guard shown.status == 0, let json = try shown.json() as? [String: Any],
            let workflow = json["workflow"] as? [String: Any]
        else { return nil }
        return workflow["status"] as? String == status ? json : nil
    }
}

/// `cairn ARGS` running in the background (`tail --follow`), its standard output collected as it comes.
final class BackgroundCLI {
    /// What the pipe's reader thread appends to.
    private final class Collected: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }

    private let process: Process
    private let output = Collected()

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = cairnBinary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                output.bytes.withLock { $0 += data }
            }
        }
        try process.run()
    }

    var stdout: String { output.bytes.withLock { String(decoding: $0, as: UTF8.self) } }
    var isRunning: Bool { process.isRunning }

    /// Waits until the output contains `text` (failing if the process exits without it).
    func waitFor(_ text: String) async throws {
        try await waitUntil("'\(text)' in the output") {
            if stdout.contains(text) { return true }
            if !process.isRunning {
                try await Task.sleep(for: .milliseconds(100))  // the pipe's last bytes
                if stdout.contains(text) { return true }
                throw RemoteTestError("cairn exited with \(process.terminationStatus) without printing '\(text)': \(stdout)")
            }
            return false
        }
    }

    /// Ends the process (SIGTERM) and waits for it.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
    }
}
