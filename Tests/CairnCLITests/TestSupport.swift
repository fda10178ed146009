import Cairn
import CairnLog
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Workflows the tests record

/// Two steps and an event; returns the shouted greeting.
struct Greet: Workflow {
    static let name = "greet"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        let hello = try await context.step("hello") { "hello \(input)" }
        try await context.setEvent("greeting", hello)
        return try await context.step("shout") { hello.uppercased() }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
}

/// One step, then throws.
struct Fails: Workflow {
    static let name = "fails"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let n = try await context.step("double") { input * 2 }
        throw TestFailure(description: "boom \(n)")
    }
}

/// Waits for a message on "go", then finishes with it: stays unfinished until one is sent.
struct Waits: Workflow {
    static let name = "waits"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        let first = try await context.step("before") { "\(input):" }
        let message = try await context.receive(String.self, topic: "go") ?? "timeout"
        return try await context.step("after") { first + message }
    }
}

/// Starts a `Greet` child and returns its result.
struct Parent: Workflow {
    static let name = "parent"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        let child = try await context.runChild(Greet.self, input: input)
        return "parent got \(child)"
    }
}

let allWorkflows: [any Workflow.Type] = [Greet.self, Fails.self, Waits.self, Parent.self]

/// The system clock shifted by an adjustable offset: workflows can finish "ten days ago".
final class ShiftedClock: WorkflowClock {
    let offset = Atomic<Int64>(0)

    func now() -> Int64 { SystemWorkflowClock().now() + offset.load(ordering: .relaxed) }

    func sleep(until deadline: Int64) async throws {
        let remaining = deadline - now()
        if remaining > 0 { try await Task.sleep(for: .nanoseconds(remaining)) }
    }
}

let day: Int64 = 86_400_000_000_000

// MARK: Engines and logs

/// An engine running in this process on `directory`, with small segments so logs have sealed segments.
struct RunningEngine {
    let engine: WorkflowEngine
    let task: Task<Void, any Error>

    static func open(_ directory: String, clock: ShiftedClock = ShiftedClock(), segmentSize: Int = 64 << 10) async throws -> RunningEngine {
        var configuration = EngineConfiguration()
        configuration.log.durability = .never
        configuration.log.segmentSize = segmentSize
        configuration.log.preallocationStep = 0
        configuration.clock = clock
        let engine = try await WorkflowEngine.open(directory: directory, configuration: configuration, workflows: allWorkflows)
        let task = Task { try await engine.run() }
        return RunningEngine(engine: engine, task: task)
    }

    func stop() async throws {
        await engine.shutdown()
        do {
            try await task.value
        } catch let error as WorkflowError where error.code == .invalidState {
            // Shut down before its run() task started: it never ran, which is fine here.
        }
    }
}

/// A fresh directory under the temporary directory, removed when the test's scope ends (by the caller).
func temporaryDirectory(_ name: String = #function) -> String {
    let base = FileManager.default.temporaryDirectory.path + "/cairn-cli-tests"
    try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    let clean = name.filter { $0.isLetter || $0.isNumber }
    let path = base + "/\(clean)-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.removeItem(atPath: path)
    return path
}

func removeDirectory(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// What `healthyLog` recorded.
struct RecordedLog {
    var directory: String
    var completed: [String: String] = [:]
    var failed: [String] = []
    var waiting: [String] = []
    var parents: [String: String] = [:]

    /// Every workflow, children of the parents included.
    var workflowCount: Int { completed.count + failed.count + waiting.count + 2 * parents.count }
    /// Completed workflows, children included.
    var completedCount: Int { completed.count + 2 * parents.count }
}

/// Random letters, so payloads do not compress away and logs get several segments.
func noise(_ count: Int) -> String {
    String((0..<count).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
}

/// A log with completed (some finished "ten days ago"), failed, unfinished and parent/child workflows, and
/// undelivered messages; enough records for several sealed segments.
func healthyLog(_ directory: String, greetings: Int = 80, oldGreetings: Int = 30) async throws -> RecordedLog {
    var recorded = RecordedLog(directory: directory)
    let clock = ShiftedClock()
    clock.offset.store(-10 * day, ordering: .relaxed)
    var running = try await RunningEngine.open(directory, clock: clock)
    for i in 0..<oldGreetings {
        let id = "old-\(i)"
        recorded.completed[id] = try await running.engine.start(Greet.self, input: "old \(i) " + noise(1000), id: id).result()
    }
    try await running.stop()
    clock.offset.store(0, ordering: .relaxed)
    running = try await RunningEngine.open(directory, clock: clock)
    let engine = running.engine
    for i in 0..<greetings {
        let id = "greet-\(i)"
        recorded.completed[id] = try await engine.start(Greet.self, input: "world \(i) " + noise(1000), id: id).result()
    }
    for i in 0..<5 {
        let id = "fail-\(i)"
        do {
            _ = try await engine.start(Fails.self, input: i, id: id).result()
        } catch is WorkflowFailure {
            recorded.failed.append(id)
        }
    }
    for i in 0..<2 {
        let id = "parent-\(i)"
        recorded.parents[id] = try await engine.start(Parent.self, input: "kid \(i)", id: id).result()
    }
    for i in 0..<4 {
        let id = "wait-\(i)"
        _ = try await engine.start(Waits.self, input: "w\(i)", id: id)
        recorded.waiting.append(id)
    }
    // A message to a workflow that does not exist yet, and one to a finished workflow: both stay undelivered.
    try await engine.send("early", to: "not-yet", topic: "go")
    try await engine.send("late", to: "greet-0", topic: "go", idempotencyKey: "k1")
    // Let the waiting workflows reach their receive before stopping.
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        let history = recorded.waiting.compactMap { engine.summary(of: $0)?.historyCount }
        if history.count == recorded.waiting.count && history.allSatisfy({ $0 >= 1 }) { break }
        try await Task.sleep(for: .milliseconds(5))
    }
    try await running.stop()
    return recorded
}

/// Every workflow's state as the engine's projection rebuilds it from the log.
func projectionStates(_ directory: String) throws -> [String: LogProjection.WorkflowState] {
    var projection = LogProjection()
    try LogReader(directory: directory).scan { record in
        try projection.apply(record)
        return true
    }
    var states: [String: LogProjection.WorkflowState] = [:]
    for id in projection.workflowIDs { states[id] = projection.state(of: id) }
    return states
}

// MARK: Running the binary

/// The built `cairn` executable, beside the test bundle.
let cairnBinary: URL = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    // `swift test` runs the xctest bundle's binary from inside the bundle on some platforms.
    for _ in 0..<4 {
        let candidate = url.appendingPathComponent("cairn")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        url = url.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cairn")
}()

struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Standard output parsed as JSON.
    func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(stdout.utf8), options: [.fragmentsAllowed]) }

    /// Each line of standard output parsed as JSON.
    func jsonLines() throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }
}

/// Runs `cairn ARGS` to completion.
@discardableResult
func cairn(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
    let process = Process()
    process.executableURL = cairnBinary
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes while the process runs, so a large output cannot block it.
    final class Sink: @unchecked Sendable {
        // @unchecked: written by one reader thread before `group.leave()`, read after `group.wait()`.
        var data = Data()
    }
    let outSink = Sink()
    let errSink = Sink()
    let group = DispatchGroup()
    for (pipe, sink) in [(out, outSink), (err, errSink)] {
        group.enter()
        DispatchQueue.global().async {
            sink.data = pipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
    }
    process.waitUntilExit()
    group.wait()
    return CLIResult(
        status: process.terminationStatus,
        stdout: String(decoding: outSink.data, as: UTF8.self),
        stderr: String(decoding: errSink.data, as: UTF8.self))
}

/// Asserts a one-line error: non-zero status `status`, one line on stderr starting with "cairn:", no trace.
func expectOneLineError(_ result: CLIResult, status: Int32, containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == status, "status \(result.status), stderr: \(result.stderr)", sourceLocation: sourceLocation)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderr.hasPrefix("cairn: "), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderr.lowercased().contains(text.lowercased()), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"), sourceLocation: sourceLocation)
}

/// Segment files of a log, in order.
func segmentFiles(_ directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted()
        .map { directory + "/" + $0 }
}

/// Flips one byte of a file.
func flipByte(_ path: String, at offset: Int) throws {
    let handle = try #require(FileHandle(forUpdatingAtPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    let byte = try #require(try handle.read(upToCount: 1)?.first)
    try handle.seek(toOffset: UInt64(offset))
    try handle.write(contentsOf: Data([byte ^ 0x5A]))
}

func fileSize(_ path: String) -> Int {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
}
