import Cairn
import CairnLog
import CairnTestSupport
import Foundation
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Directories

/// A unique, not yet existing directory path under the temporary directory.
func temporaryPath(_ label: String = "enginetest") -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("cairn-\(label)-\(UUID().uuidString)").path
}

/// Runs `body` with a fresh directory path and removes the directory afterwards, whatever happens.
func withDirectory<R>(_ label: String = "enginetest", _ body: (String) async throws -> R) async throws -> R {
    let path = temporaryPath(label)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

// MARK: Waiting without sleeping on a guess

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds; fails the test (and throws) if it does not within `timeout`. The timeout is a
/// safety net against a hang, never a measurement.
func eventually(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        if ContinuousClock.now >= deadline {
            let error = TimedOut(what: what())
            Issue.record(error, sourceLocation: sourceLocation)
            throw error
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}

/// Awaits `operation`, failing (and throwing) if it does not finish within `timeout`: for results that a bug could
/// make wait forever.
func within<T: Sendable>(
    _ timeout: Duration = .seconds(30), _ what: String = "an operation", sourceLocation: SourceLocation = #_sourceLocation,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    do {
        return try await raceDeadline(timeout, operation, expired: { TimedOut(what: what) })
    } catch let error as TimedOut where error.what == what {
        Issue.record(error, sourceLocation: sourceLocation)
        throw error
    }
}


// MARK: Probe: what workflow bodies did, and gates that hold them

/// Per-test instrumentation that workflow code reaches through a key in its input (workflow types are static, and
/// tests run in parallel): counters of side effects, gates that hold a step body until the test opens them, and
/// notes workflow code leaves for the test.
final class Probe: Sendable {
    private static let registry = Mutex<[String: Probe]>([:])

    let key: String

    private struct Waiter {
        var gate: String
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var counts: [String: Int] = [:]
        var closed: Set<String> = []
        var arrivals: [String: Int] = [:]
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        var notes: [String: [String]] = [:]
    }

    private let state = Mutex(State())

    init() {
        key = UUID().uuidString
        Probe.registry.withLock { $0[key] = self }
    }

    /// The probe registered under `key`.
    static func get(_ key: String) -> Probe {
        guard let probe = registry.withLock({ $0[key] }) else { fatalError("no probe \(key)") }
        return probe
    }

    /// Counts one occurrence of `name`; returns the new count.
    @discardableResult
    func hit(_ name: String) -> Int {
        state.withLock { s in
            s.counts[name, default: 0] += 1
            return s.counts[name]!
        }
    }

    func count(_ name: String) -> Int { state.withLock { $0.counts[name] ?? 0 } }
    var counts: [String: Int] { state.withLock { $0.counts } }

    /// Makes `pass(gate)` wait until `open(gate)`.
    func close(_ gate: String) { _ = state.withLock { $0.closed.insert(gate) } }

    func open(_ gate: String) {
        let resumed = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.closed.remove(gate)
            let ids = s.waiters.filter { $0.value.gate == gate }.map(\.key)
            return ids.compactMap { s.waiters.removeValue(forKey: $0)?.continuation }
        }
        for c in resumed { c.resume() }
    }

    /// Opens every gate (so that nothing stays blocked when a test ends early).
    func openAll() {
        let resumed = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.closed.removeAll()
            defer { s.waiters.removeAll() }
            return s.waiters.values.map(\.continuation)
        }
        for c in resumed { c.resume() }
    }

    /// Counts an arrival at `gate` and waits while it is closed. Throws `CancellationError` if the task is
    /// cancelled while waiting (so a crashed or shut-down engine's runs can end).
    func pass(_ gate: String) async throws {
        let id = state.withLock { s -> Int in
            s.arrivals[gate, default: 0] += 1
            defer { s.nextWaiter += 1 }
            return s.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let go = state.withLock { s -> Bool in
                    if !s.closed.contains(gate) { return true }
                    if Task.isCancelled { return true }
                    s.waiters[id] = Waiter(gate: gate, continuation: c)
                    return false
                }
                if go { c.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    func arrivals(_ gate: String) -> Int { state.withLock { $0.arrivals[gate] ?? 0 } }

    /// Waits until `gate` has been reached `count` times in all.
    func waitForArrival(_ gate: String, count: Int = 1, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await eventually("arrival \(count) at gate '\(gate)'", sourceLocation: sourceLocation) { arrivals(gate) >= count }
    }

    /// Leaves a note for the test.
    func note(_ key: String, _ value: String) { state.withLock { $0.notes[key, default: []].append(value) } }
    func notes(_ key: String) -> [String] { state.withLock { $0.notes[key] ?? [] } }
}

/// A tiny lock-protected dictionary for static test state.
final class LockedBox<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func get() -> Value { value.withLock { $0 } }
    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    func set<K: Hashable, V>(_ key: K, _ v: V?) where Value == [K: V] { value.withLock { $0[key] = v } }
    subscript<K: Hashable, V>(key: K) -> V? where Value == [K: V] { value.withLock { $0[key] } }
}

// MARK: A clock the test moves

/// A ``WorkflowClock`` whose time moves only when the test advances it; sleeps wait until then. The test can see
/// which deadlines are being waited for, so it knows a workflow reached its sleep (and until when) without
/// guessing.
final class ManualClock: WorkflowClock {
    private struct Sleeper {
        var deadline: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Int64
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0
    }

    private let state: Mutex<State>

    /// A clock at `start` nanoseconds since 1970 (default: a fixed instant in 2023).
    init(start: Int64 = 1_700_000_000_000_000_000) { state = Mutex(State(now: start)) }

    func now() -> Int64 { state.withLock { $0.now } }

    func sleep(until deadline: Int64) async throws {
        let id = state.withLock { s -> Int in
            defer { s.nextID += 1 }
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let due = state.withLock { s -> Bool in
                    if deadline <= s.now || Task.isCancelled { return true }
                    s.sleepers[id] = Sleeper(deadline: deadline, continuation: c)
                    return false
                }
                if due { c.resume() }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    /// The deadlines being waited for, earliest first.
    var deadlines: [Int64] { state.withLock { $0.sleepers.values.map(\.deadline).sorted() } }

    /// Moves the clock to `time` (never back) and wakes every sleep whose deadline has come.
    func advance(to time: Int64) {
        let due = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.now = max(s.now, time)
            let now = s.now
            let ids = s.sleepers.filter { $0.value.deadline <= now }.map(\.key)
            return ids.compactMap { s.sleepers.removeValue(forKey: $0)?.continuation }
        }
        for c in due { c.resume() }
    }

    func advance(by duration: Duration) { advance(to: now() + duration.nanos) }

    /// Waits until someone sleeps until exactly `deadline`.
    func waitForSleeper(until deadline: Int64, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await eventually("a sleep until \(deadline)", sourceLocation: sourceLocation) { deadlines.contains(deadline) }
    }
}

extension Duration {
    var nanos: Int64 {
        let (s, a) = components
        return s * 1_000_000_000 + a / 1_000_000_000
    }
}

// MARK: Logs the engine writes

/// Keeps what the engine logs, so tests can check that something was reported.
final class LogCapture: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    var all: [Entry] { entries.withLock { $0 } }

    func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    var logger: Logger {
        var logger = Logger(label: "cairn-test") { _ in Handler(capture: self) }
        logger.logLevel = .info
        return logger
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var flat: [String: String] = [:]
            for (k, v) in metadata { flat[k] = "\(v)" }
            for (k, v) in event.metadata ?? [:] { flat[k] = "\(v)" }
            capture.append(Entry(level: event.level, message: "\(event.message)", metadata: flat))
        }
    }
}

// MARK: Engines

/// The configuration tests use: no fsync (a process crash keeps what was written; power loss is the log's
/// concern), no preallocation, a short grace period, logs captured instead of printed.
func testConfiguration(clock: (any WorkflowClock)? = nil, logs: LogCapture = LogCapture()) -> EngineConfiguration {
    var configuration = EngineConfiguration()
    configuration.log.durability = .never
    configuration.log.preallocationStep = 0
    configuration.logger = logs.logger
    configuration.shutdownGracePeriod = .seconds(5)
    if let clock { configuration.clock = clock }
    return configuration
}

/// An engine whose `run()` runs in a task of its own, so a test can crash it, shut it down, or reopen the directory.
final class RunningEngine: Sendable {
    let engine: WorkflowEngine
    let directory: String
    private let runner: Task<Void, any Error>

    private init(engine: WorkflowEngine, directory: String, runner: Task<Void, any Error>) {
        self.engine = engine
        self.directory = directory
        self.runner = runner
    }

    /// Opens the engine on `directory` and starts `run()`.
    static func start(
        _ directory: String, _ workflows: [any Workflow.Type], configuration: EngineConfiguration = testConfiguration()
    ) async throws -> RunningEngine {
        let engine = try await WorkflowEngine.open(directory: directory, configuration: configuration, workflows: workflows)
        let runner = Task { try await engine.run() }
        return RunningEngine(engine: engine, directory: directory, runner: runner)
    }

    /// Stops as a crash would (nothing more written, no clean-stop record) and waits for `run()` to return.
    /// Fails (rather than hangs) if that takes over 30 s.
    func crash() async throws {
        let (engine, runner) = (self.engine, self.runner)
        try await within(.seconds(30), "the engine to stop after a crash") {
            await engine._crash()
            _ = await runner.result
        }
    }

    /// Graceful shutdown; rethrows what `run()` threw. Fails (rather than hangs) if it takes over 30 s.
    func shutdown() async throws {
        let (engine, runner) = (self.engine, self.runner)
        try await within(.seconds(30), "the engine to shut down") {
            await engine.shutdown()
            do {
                try await runner.value
            } catch let error as WorkflowError where error.code == .invalidState {
                // The shutdown came before the runner task called run(), which is then refused: nothing ran.
            }
        }
    }

    /// The `run()` task, for tests that cancel it.
    var runTask: Task<Void, any Error> { runner }
}

/// Opens and runs an engine on `directory` for `body`, then shuts it down gracefully (also when `body` throws).
@discardableResult
func withEngine<R: Sendable>(
    _ directory: String, _ workflows: [any Workflow.Type], configuration: EngineConfiguration = testConfiguration(),
    _ body: (WorkflowEngine) async throws -> R
) async throws -> R {
    let running = try await RunningEngine.start(directory, workflows, configuration: configuration)
    let result: Result<R, any Error>
    do { result = .success(try await body(running.engine)) } catch { result = .failure(error) }
    try await running.shutdown()
    return try result.get()
}

/// Waits (bounded) for a workflow's result.
func result<W: Workflow>(
    _ handle: WorkflowHandle<W>, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> W.Output {
    try await within(.seconds(30), "the result of \(handle.id)", sourceLocation: sourceLocation) { try await handle.result() }
}

/// Waits until workflow `id` has `status`.
func waitForStatus(
    _ engine: WorkflowEngine, _ id: String, _ status: WorkflowStatus, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    try await eventually("\(id) to be \(status) (is \(engine.summary(of: id)?.status.description ?? "missing"))", sourceLocation: sourceLocation) {
        engine.summary(of: id)?.status == status
    }
}

/// The operation events of a workflow's history, in log order.
func operations(_ engine: WorkflowEngine, _ id: String) async throws -> [Event] {
    try await engine.history(of: id).collect().map(\.event).filter { $0.kind.isOperation && $0.position != nil }
}

/// The top-level position with index `i`.
func pos(_ path: UInt32...) -> Position { Position(path) }

/// Decodes a JSON payload (the default codec).
func decodePayload<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
    try JSONPayloadCodec().decode(T.self, from: bytes)
}

/// Catches the error `body` throws, or records an issue if it throws none.
func caught(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> (any Error)? {
    do {
        try await body()
        Issue.record("expected an error", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// The `WorkflowError` code of `error`, if it is one.
func code(_ error: (any Error)?) -> WorkflowError.Code? { (error as? WorkflowError)?.code }

/// The outcome of `body` as a `Result`.
func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
