import CairnLog
import Dispatch
import Foundation
import Synchronization
import Testing

@testable import Cairn

/// Receives `n` messages on "m", holds in gate "hold", then takes whatever else is in the inbox at once.
private struct TakesMessages: Workflow {
    static let name = "test-takes-messages"

    struct Output: Codable, Sendable, Equatable {
        var received: [String]
        var extra: String?
    }

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Output {
        let probe = Probe.get(input.probe)
        var received: [String] = []
        for _ in 0..<input.n {
            received.append(try await context.receive(String.self, topic: "m") ?? "<timeout>")
        }
        _ = try await context.step("hold") {
            try await probe.pass("hold")
            return 0
        }
        let extra = try await context.receive(String.self, topic: "m", timeout: .zero)
        return Output(received: received, extra: extra)
    }
}

/// The projection rebuilt from what `engine`'s log holds now.
private func rebuilt(_ engine: WorkflowEngine) throws -> Projection {
    let builder = ProjectionBuilder()
    _ = try #require(engine.log).scan { record in
        try builder.apply(record)
        return true
    }
    return builder.take()
}

/// What the inboxes hold, comparably: (workflow, topic) → message LSNs in delivery order.
private func inboxes(_ projection: Projection) -> [String: [UInt64]] {
    var result: [String: [UInt64]] = [:]
    for (key, messages) in projection.inboxes { result["\(key.workflowID)/\(key.name)"] = messages.map(\.id) }
    return result
}

/// Holds the log's writer thread before it writes frames while closed, so that a test can queue appends into one
/// group commit in an order of its choosing.
private final class WriterGate: Sendable {
    private let state = Mutex((closed: false, held: 0))
    private let semaphore = DispatchSemaphore(value: 0)

    var faults: LogFaults {
        LogFaults(beforeWrite: { [self] _, what in
            guard what == .frames else { return nil }
            let wait = state.withLock { s -> Bool in
                guard s.closed else { return false }
                s.held += 1
                return true
            }
            if wait { semaphore.wait() }  // the writer's own thread: blocking it is the point
            return nil
        })
    }

    func close() { state.withLock { $0.closed = true } }

    /// Lets the held writer go on, and every later write through.
    func open() {
        let held = state.withLock { s -> Int in
            s.closed = false
            defer { s.held = 0 }
            return s.held
        }
        for _ in 0..<held { semaphore.signal() }
    }

    var holding: Bool { state.withLock { $0.held > 0 } }
}

/// A task executor that runs its jobs on a serial queue, or keeps them while held: a test resumes the tasks that
/// prefer it later than the others, whatever order their continuations were resumed in.
private final class HoldingExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "cairn-test-holding-executor")
    private let state = Mutex((held: false, jobs: [UnownedJob]()))

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let run = state.withLock { s -> Bool in
            guard !s.held else {
                s.jobs.append(job)
                return false
            }
            return true
        }
        if run { schedule(job) }
    }

    private func schedule(_ job: UnownedJob) {
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func hold() { state.withLock { $0.held = true } }

    func release() {
        let jobs = state.withLock { s -> [UnownedJob] in
            s.held = false
            defer { s.jobs = [] }
            return s.jobs
        }
        for job in jobs { schedule(job) }
    }

    var holding: Int { state.withLock { $0.jobs.count } }
}

/// JSON, counting what it encodes: an engine's `send` encodes its message right before it queues the append, so the
/// count tells a test when a send is queued.
private final class CountingCodec: PayloadCodec {
    private let count = Mutex(0)
    private let json = JSONPayloadCodec()
    var encoded: Int { count.withLock { $0 } }

    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        defer { count.withLock { $0 += 1 } }
        return try json.encode(value)
    }

    func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T { try json.decode(type, from: bytes) }
}

@Suite("Commit order: the live projection applies commits in LSN order")
struct CommitOrderTests {
    /// Queues two different sends with one idempotency key ("<key>-a" then "<key>-b") to each of `count` workflows,
    /// for each key, all into one group commit while the writer is held, each pair adjacent (usually in that order).
    /// Then lets the writer go, with the first of each pair held back: its task resumes only once every second one
    /// has returned — an order in which a busy executor may well resume them.
    private static func sendPairs(
        _ engine: WorkflowEngine, gate: WriterGate, codec: CountingCodec, count: Int, keys: [String]
    ) async throws {
        let late = HoldingExecutor()
        gate.close()
        let warmUp = Task { try await engine.send("warm-up", to: "nobody") }
        try await eventually("the writer to be held") { gate.holding }
        try await withThrowingTaskGroup(of: Void.self) { firsts in
            try await withThrowingTaskGroup(of: Void.self) { seconds in
                for key in keys {
                    for i in 0..<count {
                        let queued = codec.encoded
                        firsts.addTask(executorPreference: late) {
                            try await engine.send("\(key)-a", to: "w\(i)", topic: "m", idempotencyKey: key)
                        }
                        try await eventually("the send of \(key)-a to w\(i) to be queued") { codec.encoded > queued }
                        seconds.addTask {
                            try await engine.send("\(key)-b", to: "w\(i)", topic: "m", idempotencyKey: key)
                        }
                        try await eventually("the send of \(key)-b to w\(i) to be queued") { codec.encoded > queued + 1 }
                    }
                }
                late.hold()
                gate.open()
                try await seconds.waitForAll()
            }
            try await eventually("every first send to be acknowledged") { late.holding == count * keys.count }
            late.release()
            try await firsts.waitForAll()
        }
        try await warmUp.value
    }

    private static func configuration(_ gate: WriterGate, _ codec: CountingCodec) -> EngineConfiguration {
        var configuration = testConfiguration()
        configuration.log._faults = gate.faults
        configuration.codec = codec
        return configuration
    }

    @Test("sends with one idempotency key resumed out of LSN order: the live projection equals the rebuilt one")
    func liveEqualsRebuilt() async throws {
        try await withDirectory { dir in
            let (gate, codec) = (WriterGate(), CountingCodec())
            defer { gate.open() }
            try await withEngine(dir, [], configuration: Self.configuration(gate, codec)) { engine in
                try await Self.sendPairs(engine, gate: gate, codec: codec, count: 150, keys: ["k"])
                let live = engine.state.withLock { inboxes($0.projection) }
                let fromLog = inboxes(try rebuilt(engine))
                let differing = live.keys.filter { live[$0] != fromLog[$0] }.sorted()
                #expect(differing.isEmpty, "\(differing.count) inboxes differ, e.g. \(differing.prefix(3))")
                #expect(live.count == fromLog.count)
                // One message per workflow, the copy the log holds first.
                #expect(live.filter { $0.key.hasPrefix("w") }.values.allSatisfy { $0.count == 1 })
            }
        }
    }

    @Test("a message sent twice at once with one key is delivered once, also after a restart")
    func exactlyOnceAcrossRestart() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("hold")
            let (gate, codec) = (WriterGate(), CountingCodec())
            defer { gate.open() }
            let (count, keys) = (50, ["k0", "k1"])
            let first = try await RunningEngine.start(dir, [TakesMessages.self], configuration: Self.configuration(gate, codec))
            try await Self.sendPairs(first.engine, gate: gate, codec: codec, count: count, keys: keys)
            for i in 0..<count {
                _ = try await first.engine.start(
                    TakesMessages.self, input: ProbeInput(probe: probe.key, n: keys.count), id: "w\(i)")
            }
            // Each has taken one message per key durably (the step's commit barrier wrote the last receive) and
            // holds.
            try await probe.waitForArrival("hold", count: count)
            try await first.crash()

            probe.open("hold")
            let second = try await RunningEngine.start(dir, [TakesMessages.self])
            var twice: [String] = []
            for i in 0..<count {
                let output = try await result(second.engine.handle(for: "w\(i)", of: TakesMessages.self))
                #expect(output.received.map { String($0.prefix { $0 != "-" }) } == keys, "w\(i): \(output)")
                if let extra = output.extra { twice.append("w\(i) got \(extra) again") }
            }
            #expect(twice.isEmpty, "\(twice.count) of \(count) workflows received a second copy: \(twice.prefix(5))")
            try await second.shutdown()
        }
    }
}
