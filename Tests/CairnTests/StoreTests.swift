import CairnLog
import CairnTesting
import Foundation
import Testing

@testable import Cairn

/// Sleeps an hour (at once on a skipping ``TestClock``), then runs one step.
private struct SleepsThenSteps: Workflow {
    static let name = "test-store-sleeps"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.sleep(for: .seconds(3_600))
        return try await context.step("after") { input + 1 }
    }
}

/// An engine running on `store`, with `run()` in a task of its own.
private struct StoreEngine {
    let engine: WorkflowEngine
    let runner: Task<Void, any Error>

    static func start(
        _ store: any WorkflowStore, _ workflows: [any Workflow.Type], clock: (any WorkflowClock)? = nil
    ) async throws -> StoreEngine {
        let engine = try await WorkflowEngine.open(
            store: store, configuration: testConfiguration(clock: clock), workflows: workflows)
        return StoreEngine(engine: engine, runner: Task { try await engine.run() })
    }

    func shutdown() async throws {
        try await within(.seconds(30), "the engine to shut down") {
            await engine.shutdown()
            try await runner.value
        }
    }

    func crash() async throws {
        try await within(.seconds(30), "the engine to stop after a crash") {
            await engine._crash()
            _ = await runner.result
        }
    }
}

/// The records of workflow `id` in a full scan of `entries`: the rule `history(of:)` keeps.
private func fullScanHistory(_ entries: [LogEntry], of id: String) throws -> [HistoryRecord] {
    try entries.compactMap { entry in
        let event = try entry.payload.withUnsafeBytes { try Event(lsn: entry.lsn, tag: entry.tag, bytes: $0) }
        let concerns = event.workflowID == id || (event.kind == .messageSent && event.target == id && event.position == nil)
        return concerns ? HistoryRecord(lsn: entry.lsn, event: event) : nil
    }
}

@Suite("The engine on a store in memory: it depends on the store protocol only")
struct MemoryStoreEngineTests {
    @Test(
        "steps run, their outcomes are recorded once, and a restart on the same store resumes from them",
        arguments: [MemoryStore.Positions.increasing, .decreasing])
    func stepsAndRestart(positions: MemoryStore.Positions) async throws {
        let store = MemoryStore(positions: positions)
        let probe = Probe()
        probe.close("s1")
        let first = try await StoreEngine.start(store, [CountedSteps.self])
        _ = try await first.engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 3), id: "steps")
        try await probe.waitForArrival("s1")
        try await first.crash()
        #expect(store.opens == 1)

        probe.open("s1")
        let second = try await StoreEngine.start(store, [CountedSteps.self])
        let values = try await result(second.engine.handle(for: "steps", of: CountedSteps.self))
        #expect(values.count == 3)
        #expect(probe.count("s0") == 1, "a recorded step is not run again after the restart")
        #expect(probe.count("s1") == 2, "the step in progress at the crash runs again")
        #expect(store.opens == 2)
        let history = try await second.engine.historyRecords(of: "steps")
        #expect(history.map(\.event.kind).filter { $0 == .stepCompleted }.count == 3)
        #expect(history == (try fullScanHistory(store.records, of: "steps")))
        try await second.shutdown()
    }

    @Test(
        "messages sent from outside, before and after the start, are received in order once; history shows them",
        arguments: [MemoryStore.Positions.increasing, .decreasing])
    func sendAndReceive(positions: MemoryStore.Positions) async throws {
        let store = MemoryStore(positions: positions)
        let probe = Probe()
        let running = try await StoreEngine.start(store, [Consumer.self])
        try await running.engine.send("early", to: "consumer", topic: "m")
        _ = try await running.engine.start(Consumer.self, input: ProbeInput(probe: probe.key, n: 2), id: "consumer")
        try await running.engine.send("late", to: "consumer", topic: "m", idempotencyKey: "k")
        try await running.engine.send("again", to: "consumer", topic: "m", idempotencyKey: "k")
        let output = try await result(running.engine.handle(for: "consumer", of: Consumer.self))
        #expect(output.received == ["early", "late"])
        #expect(output.leftOver == nil)
        let history = try await running.engine.historyRecords(of: "consumer")
        #expect(history.filter { $0.event.kind == .messageSent }.count == 3, "the three sends from outside")
        #expect(history == (try fullScanHistory(store.records, of: "consumer")))
        try await running.shutdown()

        let reopened = try await StoreEngine.start(store, [Consumer.self])
        #expect(reopened.engine.summary(of: "consumer")?.status == .completed)
        #expect(try await reopened.engine.historyRecords(of: "consumer") == history)
        try await reopened.shutdown()
    }

    @Test("a durable sleep is recorded and replayed from the store", arguments: [MemoryStore.Positions.increasing, .decreasing])
    func sleep(positions: MemoryStore.Positions) async throws {
        let store = MemoryStore(positions: positions)
        let running = try await StoreEngine.start(store, [SleepsThenSteps.self], clock: TestClock())
        let value = try await result(running.engine.start(SleepsThenSteps.self, input: 41, id: "sleeper"))
        #expect(value == 42)
        let kinds = try await running.engine.historyRecords(of: "sleeper").map(\.event.kind)
        #expect(kinds == [.workflowStarted, .sleepStarted, .stepCompleted, .workflowCompleted])
        let (live, rebuilt) = try await running.engine._projections()
        #expect(live.summary(of: "sleeper")?.status == rebuilt.summary(of: "sleeper")?.status)
        #expect(live.summary(of: "sleeper")?.historyCount == rebuilt.summary(of: "sleeper")?.historyCount)
        try await running.shutdown()
    }

    @Test("a store that is open refuses a second engine; one that does not compact says so")
    func refusals() async throws {
        let store = MemoryStore()
        let running = try await StoreEngine.start(store, [])
        await #expect(throws: WorkflowError.self) {
            _ = try await WorkflowEngine.open(store: store, configuration: testConfiguration())
        }
        await #expect(throws: WorkflowError.self) { _ = try await running.engine.compact(policy: CompactionPolicy()) }
        try await running.shutdown()
    }
}

@Suite("The log as a store")
struct LogStoreTests {
    @Test("its tail yields every record there, then each one committed after")
    func tail() async throws {
        try await withDirectory("store-tail") { dir in
            try await withEngine(dir, [Doubler.self]) { engine in
                let probe = Probe()
                _ = try await result(engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 1), id: "a"))
                let store = try #require(engine.store)
                #expect(store.ownership == .exclusive)
                #expect(try await store.renewLease() == .exclusive)
                let written = try await #require(engine.log).entries()
                let stream = store.tail(from: .first)
                let seen = try await within(.seconds(30), "the tail to catch up") { () -> [LogEntry] in
                    var iterator = stream.makeAsyncIterator()
                    var seen: [LogEntry] = []
                    while seen.count < written.count, let entry = try await iterator.next() { seen.append(entry) }
                    try await engine.send("hello", to: "a")
                    if let entry = try await iterator.next() { seen.append(entry) }
                    return seen
                }
                #expect(Array(seen.prefix(written.count)) == written)
                let sent = try #require(seen.last)
                let event = try sent.payload.withUnsafeBytes { try Event(lsn: sent.lsn, tag: sent.tag, bytes: $0) }
                #expect(event.kind == .messageSent && event.target == "a")
            }
        }
    }
}

@Suite("history(of:) reads the workflow's span of the log, not the whole log")
struct HistoryIndexTests {
    /// Many workflows over many segments, sends from outside before a start, after an end and repeated, a
    /// compaction that summarises and drops: every workflow's history equals what a full scan finds, live and
    /// after a restart (whose spans come from the rebuild).
    @Test("history of each workflow equals the full-scan result, with many workflows and compaction")
    func historyEqualsFullScan() async throws {
        try await withDirectory("history-index") { dir in
            var configuration = testConfiguration()
            configuration.log.segmentSize = 64 << 10
            let probe = Probe()
            var ids: [String] = []
            try await withEngine(dir, [Doubler.self, Consumer.self], configuration: configuration) { engine in
                for round in 0..<4 {
                    try await engine.send("early-\(round)", to: "consumer-\(round)", topic: "m")
                    for i in 0..<100 {
                        let id = "double-\(round)-\(i)"
                        ids.append(id)
                        // A random label (which does not compress) fills segments faster.
                        let label = (0..<25).map { _ in UUID().uuidString }.joined()
                        let input = ProbeInput(probe: probe.key, n: i, label: label)
                        _ = try await result(engine.start(Doubler.self, input: input, id: id))
                    }
                    let consumer = "consumer-\(round)"
                    ids.append(consumer)
                    _ = try await engine.start(Consumer.self, input: ProbeInput(probe: probe.key, n: 2), id: consumer)
                    try await engine.send("late", to: consumer, topic: "m", idempotencyKey: "k")
                    try await engine.send("late", to: consumer, topic: "m", idempotencyKey: "k")
                    _ = try await result(engine.handle(for: consumer, of: Consumer.self))
                    try await engine.send("after the end", to: consumer, topic: "m")
                    try await engine.send("to nobody", to: "nobody-\(round)", topic: "m")
                    if round == 1 {
                        let report = try await engine.compact(policy: CompactionPolicy(keepLast: 120))
                        #expect(report.summariesWritten > 0)
                        #expect(!report.plan.dropped.isEmpty)
                    }
                }
                try #require((engine.log?.state.snapshot.segments.count ?? 0) > 3)
                try await expectHistoriesMatchFullScan(engine, ids)
            }
            // Reopened: the spans are rebuilt, summaries restored from their records.
            try await withEngine(dir, [Doubler.self, Consumer.self], configuration: configuration) { engine in
                try await expectHistoriesMatchFullScan(engine, ids)
            }
        }
    }

    @Test("history of one workflow opens only the segments its span covers")
    func historyOpensOnlyItsSegments() async throws {
        let disk = SimulatedFileSystem()
        var configuration = testConfiguration()
        configuration.log.segmentSize = 64 << 10
        configuration.log._fileSystem = disk
        let probe = Probe()
        try await withEngine("/srv/cairn/history", [Doubler.self], configuration: configuration) { engine in
            for i in 0..<400 {
                let label = (0..<25).map { _ in UUID().uuidString }.joined()
                _ = try await result(engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: i, label: label), id: "w\(i)"))
            }
            let segments = try #require(engine.log).state.snapshot.segments
            try #require(segments.count >= 5)
            for id in ["w0", "w200", "w399"] {
                let opensBefore = disk.callCounts[.open, default: 0]
                let history = try await engine.historyRecords(of: id)
                let opened = disk.callCounts[.open, default: 0] - opensBefore
                #expect(history.map(\.event.kind) == [.workflowStarted, .stepCompleted, .workflowCompleted])
                #expect(opened >= 1 && opened <= 2, "history of \(id) opened \(opened) of \(segments.count) segments")
            }
        }
    }

    @Test("a long-lived workflow's history reads only the index pages that hold it, not its whole span; live and after a restart")
    func historyReadsOnlyItsPages() async throws {
        try await withDirectory("history-pages") { dir in
            let probe = Probe()
            let filler = 3 * Int(RecordIndex.pageSize)
            func check(_ engine: WorkflowEngine) async throws {
                let history = try engine.history(of: "long")
                func size(_ range: ClosedRange<LSN>) -> UInt64 { range.upperBound.rawValue - range.lowerBound.rawValue + 1 }
                let read = history.ranges.reduce(0) { $0 + size($1) }
                let span = size(history.ranges.first!.lowerBound...history.ranges.last!.upperBound)
                #expect(history.ranges.count == 2, "its first page and its last: \(history.ranges)")
                #expect(read * 2 < span, "read \(read) of a span of \(span) positions")
                let entries = try await #require(engine.log).entries()
                #expect(try await history.collect().map(\.lsn) == (try fullScanHistory(entries, of: "long")).map(\.lsn))
            }
            try await withEngine(dir, [Consumer.self]) { engine in
                let handle = try await engine.start(Consumer.self, input: ProbeInput(probe: probe.key, n: 2), id: "long")
                try await engine.send("first", to: "long", topic: "m")
                for i in 0..<filler { try await engine.send(i, to: "someone-else-\(i % 7)", topic: "m") }
                try await engine.send("second", to: "long", topic: "m")
                _ = try await result(handle)
                try await check(engine)
            }
            try await withEngine(dir, [Consumer.self]) { engine in try await check(engine) }
        }
    }

    @Test("history is read a chunk at a time, in order, and goes on after a given LSN")
    func historyInChunksAndAfter() async throws {
        try await withDirectory("history-chunks") { dir in
            let probe = Probe()
            let messages = WorkflowHistory.chunkSize + 50
            try await withEngine(dir, [Consumer.self]) { engine in
                let handle = try await engine.start(Consumer.self, input: ProbeInput(probe: probe.key, n: messages), id: "chatty")
                for i in 0..<messages { try await engine.send("m\(i)", to: "chatty", topic: "m") }
                _ = try await result(handle)
                let entries = try await #require(engine.log).entries()
                let expected = try fullScanHistory(entries, of: "chatty").map(\.lsn)
                try #require(expected.count > 2 * WorkflowHistory.chunkSize)
                var seen: [LSN] = []
                for try await event in try engine.history(of: "chatty") { seen.append(event.lsn) }
                #expect(seen == expected)
                let middle = expected[expected.count / 2]
                #expect(try await engine.history(of: "chatty", after: middle).collect().map(\.lsn) == Array(expected.drop { $0 <= middle }))
                #expect(try await engine.history(of: "chatty", after: expected.last!).collect().isEmpty)
                #expect(code(await caught { _ = try engine.history(of: "nobody") }) == .notFound)
            }
        }
    }

    private func expectHistoriesMatchFullScan(_ engine: WorkflowEngine, _ ids: [String]) async throws {
        let entries = try await #require(engine.log).entries()
        var checked = 0
        for id in ids {
            guard engine.summary(of: id) != nil else {
                await #expect(throws: WorkflowError.self) { _ = try await engine.historyRecords(of: id) }
                continue
            }
            let history = try await engine.historyRecords(of: id)
            #expect(history == (try fullScanHistory(entries, of: id)), "history of \(id)")
            checked += 1
        }
        #expect(checked > 100)
    }
}
