@testable import Cairn
import CairnLog
import CairnTestSupport
import Foundation
import Synchronization
import Testing

// MARK: Workflows that write streams

/// Writes 0 ..< n to stream "out", waiting for a message on "next" after each write (so a test decides when the
/// next value comes); with label "close" it closes the stream, then tries one more write. Then waits for "end" and
/// returns what the write after the close did.
private struct PacedWriter: Workflow {
    static let name = "streams-paced"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        for i in 0..<input.n {
            try await context.writeStream("out", i)
            _ = try await context.receive(String.self, topic: "next")
        }
        var late = "not tried"
        if input.label == "close" {
            try await context.closeStream("out")
            try await context.closeStream("out")  // closing again does nothing
            do {
                try await context.writeStream("out", 99)
                late = "written"
            } catch let error as WorkflowError where error.code == .streamClosed {
                late = "refused"
            }
        }
        _ = try await context.receive(String.self, topic: "end")
        return late
    }
}

/// Writes 0 ..< n to stream "out" as fast as it can; halfway it passes the probe's gate "half" in a step, and
/// with label "pause" it waits for "end" before returning.
private struct FreeWriter: Workflow {
    static let name = "streams-free"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        for i in 0..<input.n {
            if i == input.n / 2 {
                _ = try await context.step("half") {
                    probe.hit("half")
                    try await probe.pass("half")
                    return true
                }
            }
            try await context.writeStream("out", i)
        }
        if input.label == "pause" { _ = try await context.receive(String.self, topic: "end") }
        return input.n
    }
}

/// Writes n values of about 4 KiB each (that do not compress) to stream "big", and closes it.
private struct BigWriter: Workflow {
    static let name = "streams-big"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        for i in 0..<input.n { try await context.writeStream("big", "\(i) " + filler(seed: UInt64(i) &+ UInt64(input.label.count))) }
        try await context.closeStream("big")
        return input.n
    }
}

private func filler(seed: UInt64) -> String {
    var random = SeededGenerator(seed: seed)
    return String((0..<4096).map { _ in Character(Unicode.Scalar(UInt8.random(in: 97...122, using: &random))) })
}

// MARK: Reading

/// Reads `values` to its end; returns what was read and the error it ended with. Fails after 30 s.
private func drain<V: Sendable>(
    _ values: WorkflowStreamValues<V>, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> (read: [V], error: (any Error)?) {
    try await within(.seconds(30), "a stream to end", sourceLocation: sourceLocation) {
        var read: [V] = []
        do {
            for try await value in values { read.append(value) }
            return (read, nil)
        } catch {
            return (read, error)
        }
    }
}

/// The first `count` values of `values` (fewer if it ends before). Fails after 30 s.
private func take<V: Sendable>(
    _ count: Int, _ values: WorkflowStreamValues<V>, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> [V] {
    try await within(.seconds(30), "\(count) values of a stream", sourceLocation: sourceLocation) {
        var read: [V] = []
        for try await value in values {
            read.append(value)
            if read.count == count { break }
        }
        return read
    }
}

/// The stream records in workflow `id`'s history.
private func streamRecords(_ engine: WorkflowEngine, _ id: String) async throws -> [HistoryEvent] {
    try await engine.history(of: id).collect().filter { $0.kind == .streamWritten || $0.kind == .streamClosed }
}

@Suite("Durable streams: writeStream / closeStream, engine.readStream")
struct StreamTests {
    @Test(
        "a reader gets each value live as it commits, in order; the close ends it while the workflow goes on (also when the writer is evicted between writes)",
        arguments: [10_000, 0])
    func liveUntilClosed(maxCachedWorkflows: Int) async throws {
        let probe = Probe()
        var configuration = testConfiguration()
        configuration.maxCachedWorkflows = maxCachedWorkflows
        try await withDirectory("streams") { dir in
            try await withEngine(dir, [PacedWriter.self], configuration: configuration) { engine in
                let handle = try await engine.start(PacedWriter.self, input: ProbeInput(probe: probe.key, n: 3, label: "close"), id: "p")
                let (read, ended) = try await within {
                    var reader = handle.readStream(Int.self, key: "out").makeAsyncIterator()
                    var read: [Int] = []
                    // "next" is sent only after value i is read: value i + 1 is written while the reader waits.
                    for _ in 0..<3 {
                        guard let value = try await reader.next() else { break }
                        read.append(value)
                        try await handle.send("go", topic: "next")
                    }
                    return (read, try await reader.next() == nil)
                }
                #expect(read == [0, 1, 2] && ended)
                // Closed, not ended: the workflow waits for "end" still.
                #expect(engine.summary(of: "p")?.status.isFinished == false)
                try await handle.send("stop", topic: "end")
                #expect(try await result(handle) == "refused")
                let records = try await streamRecords(engine, "p").map(\.details)
                #expect(records == [.streamWritten(key: "out"), .streamWritten(key: "out"), .streamWritten(key: "out"), .streamClosed(key: "out")])
                #expect(engine._changeSubscriberCount == 0)
            }
        }
    }

    @Test("a reader started mid-stream gets the past then the live values, each once, with a concurrent writer")
    func pastThenLiveUnderConcurrency() async throws {
        let probe = Probe()
        let n = 120
        try await withDirectory("streams") { dir in
            try await withEngine(dir, [FreeWriter.self]) { engine in
                probe.close("half")
                let handle = try await engine.start(FreeWriter.self, input: ProbeInput(probe: probe.key, n: n), id: "f")
                let before = handle.readStream(Int.self, key: "out")
                let first = Task { try await drain(before) }
                try await probe.waitForArrival("half")
                // Half is written; readers started now and while the writer runs get the past, then live values.
                var readers = [Task { try await drain(handle.readStream(Int.self, key: "out")) }]
                probe.open("half")
                for _ in 0..<6 {
                    readers.append(Task { try await drain(handle.readStream(Int.self, key: "out")) })
                    await Task.yield()
                }
                #expect(try await result(handle) == n)
                for task in [first] + readers {
                    let (read, error) = try await task.value
                    #expect(error == nil)
                    #expect(read == Array(0..<n))
                }
                // And one from an index: the values from there.
                #expect(try await drain(handle.readStream(Int.self, key: "out", from: n - 3)).read == [n - 3, n - 2, n - 1])
                #expect(try await drain(handle.readStream(Int.self, key: "out", from: n + 5)).read.isEmpty)
            }
        }
    }

    @Test(
        "a value committed between a reader's registration and its read of the past comes once, live (either order of positions)",
        arguments: [MemoryStore.Positions.increasing, .decreasing])
    func registrationRace(positions: MemoryStore.Positions) async throws {
        let probe = Probe()
        defer { probe.openAll() }
        let store = MemoryStore(positions: positions)
        store.readsWholeHistories.withLock { $0 = true }  // no cut by the span the reader registered with
        let engine = try await WorkflowEngine.open(store: store, configuration: testConfiguration(), workflows: [FreeWriter.self])
        let runner = Task { try await engine.run() }
        probe.close("half")
        probe.close("read")
        let handle = try await engine.start(FreeWriter.self, input: ProbeInput(probe: probe.key, n: 10, label: "pause"), id: "f")
        try await probe.waitForArrival("half")  // 0 ... 4 written
        store.beforeRead.withLock { $0 = { probe.hit("read"); try await probe.pass("read") } }
        let reader = Task { try await drain(handle.readStream(Int.self, key: "out")) }
        try await probe.waitForArrival("read")  // registered, the past not read yet
        probe.open("half")
        // 5 ... 9 written and delivered live while the reader has not read the store, which now holds them too.
        try await eventually("the second half written (\(engine.summary(of: "f")?.historyCount ?? -1))") { (engine.summary(of: "f")?.historyCount ?? 0) >= 11 }
        probe.open("read")
        try await handle.send("stop", topic: "end")
        let (read, error) = try await reader.value
        #expect(error == nil)
        #expect(read == Array(0..<10))
        #expect(probe.count("read") == 1)
        await engine.shutdown()
        try await runner.value
    }

    @Test("the workflow's end ends its readers; a finished workflow's stream reads whole, and an unwritten one empty")
    func workflowEndEndsReaders() async throws {
        let probe = Probe()
        try await withDirectory("streams") { dir in
            try await withEngine(dir, [FreeWriter.self]) { engine in
                let handle = try await engine.start(FreeWriter.self, input: ProbeInput(probe: probe.key, n: 4, label: "pause"), id: "f")
                let reader = Task { try await drain(handle.readStream(Int.self, key: "out")) }
                let unwritten = Task { try await drain(handle.readStream(Int.self, key: "other")) }
                try await eventually("the writes") { probe.count("half") == 1 }
                try await handle.send("stop", topic: "end")
                #expect(try await result(handle) == 4)
                let (read, error) = try await reader.value
                #expect(error == nil && read == [0, 1, 2, 3])
                let (none, noError) = try await unwritten.value
                #expect(noError == nil && none.isEmpty)
                // After the end: the whole stream, then the end.
                #expect(try await drain(handle.readStream(Int.self, key: "out")).read == [0, 1, 2, 3])
                #expect(try await drain(handle.readStream(Int.self, key: "other")).read.isEmpty)
                #expect(engine._changeSubscriberCount == 0)
            }
        }
    }

    @Test("a cancelled workflow's readers end too")
    func cancellationEndsReaders() async throws {
        let probe = Probe()
        try await withDirectory("streams") { dir in
            try await withEngine(dir, [PacedWriter.self]) { engine in
                let handle = try await engine.start(PacedWriter.self, input: ProbeInput(probe: probe.key, n: 2), id: "p")
                let reader = Task { try await drain(handle.readStream(Int.self, key: "out")) }
                try await eventually("the first write") { (engine.summary(of: "p")?.historyCount ?? 0) >= 1 }
                try await handle.cancel()
                let (read, error) = try await reader.value
                #expect(error == nil && read == [0])
            }
        }
    }

    @Test("after a clean restart and after a crash mid-stream, readers get the same values, each once; replay writes nothing again")
    func restartsKeepTheStream() async throws {
        let probe = Probe()
        let n = 6
        try await withDirectory("streams") { dir in
            probe.close("half")
            let first = try await RunningEngine.start(dir, [FreeWriter.self])
            _ = try await first.engine.start(FreeWriter.self, input: ProbeInput(probe: probe.key, n: n, label: "pause"), id: "f")
            try await probe.waitForArrival("half")
            // Crash inside the step after three writes: they are durable (the step's start wrote them).
            #expect(try await take(3, first.engine.readStream(Int.self, of: "f", key: "out")) == [0, 1, 2])
            try await first.crash()

            probe.open("half")
            let second = try await RunningEngine.start(dir, [FreeWriter.self])
            try await eventually("the writes after the crash") { probe.count("half") == 2 }
            let live = Task { try await drain(second.engine.readStream(Int.self, of: "f", key: "out")) }
            try await second.engine.send("stop", to: "f", topic: "end")
            #expect(try await result(second.engine.handle(for: "f", of: FreeWriter.self)) == n)
            let (read, error) = try await live.value
            #expect(error == nil && read == Array(0..<n))
            #expect(try await streamRecords(second.engine, "f").count == n)
            try await second.shutdown()

            let after = try await withEngine(dir, [FreeWriter.self]) { engine in
                (try await drain(engine.readStream(Int.self, of: "f", key: "out")).read, try await streamRecords(engine, "f").count)
            }
            #expect(after.0 == Array(0..<n) && after.1 == n)
        }
    }

    @Test("a reader that falls behind gets the values it buffered, then fellBehind naming the index to read again from")
    func fellBehindResumesFromIndex() async throws {
        let probe = Probe()
        var configuration = testConfiguration()
        configuration.maxBufferedChanges = 3
        let n = 20
        try await withDirectory("streams") { dir in
            try await withEngine(dir, [FreeWriter.self], configuration: configuration) { engine in
                probe.close("half")
                let writer = try await engine.start(FreeWriter.self, input: ProbeInput(probe: probe.key, n: n), id: "f")
                try await probe.waitForArrival("half")
                var slow = writer.readStream(Int.self, key: "out").makeAsyncIterator()
                var read: [Int] = []
                if let value = try await slow.next() { read.append(value) }  // registered; the past is read
                probe.open("half")
                #expect(try await result(writer) == n)
                var thrown: WorkflowError?
                do {
                    while let value = try await slow.next() { read.append(value) }
                } catch let error as WorkflowError {
                    thrown = error
                }
                let error = try #require(thrown)
                #expect(error.code == .fellBehind)
                #expect(error.message.contains("from: \(read.count)"), "\(error.message)")
                let rest = try await drain(writer.readStream(Int.self, key: "out", from: read.count))
                #expect(rest.error == nil)
                #expect(read + rest.read == Array(0..<n))
            }
        }
    }

    @Test("an unknown workflow, and a value that does not decode, are named errors")
    func errors() async throws {
        let probe = Probe()
        try await withDirectory("streams") { dir in
            try await withEngine(dir, [FreeWriter.self]) { engine in
                let unknown = try await drain(engine.readStream(Int.self, of: "nobody", key: "out"))
                #expect(code(unknown.error) == .notFound && unknown.read.isEmpty)
                #expect((unknown.error as? WorkflowError)?.workflowID == "nobody")

                let handle = try await engine.start(FreeWriter.self, input: ProbeInput(probe: probe.key, n: 3), id: "f")
                #expect(try await result(handle) == 3)
                let wrong = try await drain(handle.readStream([String].self, key: "out", from: 1))
                let error = try #require(wrong.error as? WorkflowError)
                #expect(error.code == .undecodablePayload && wrong.read.isEmpty)
                #expect(error.workflowID == "f" && error.lsn != nil)
                #expect(error.message.contains("value 1 of stream 'out'"), "\(error.message)")
            }
        }
    }

    @Test("compaction keeps a retained finished workflow's stream (also across a restart); a dropped workflow's is gone")
    func compactionKeepsRetainedStreams() async throws {
        let probe = Probe()
        var configuration = testConfiguration()
        configuration.log.segmentSize = 64 << 10  // the least: compaction rewrites sealed segments only
        let n = 40
        let expected = (0..<n).map { "\($0) " + filler(seed: UInt64($0)) }
        try await withDirectory("streams") { dir in
            try await withEngine(dir, [BigWriter.self], configuration: configuration) { engine in
                #expect(try await result(try await engine.start(BigWriter.self, input: ProbeInput(probe: probe.key, n: n), id: "b")) == n)
                // Another one after it, so that the first one's records all lie in sealed segments.
                _ = try await result(try await engine.start(BigWriter.self, input: ProbeInput(probe: probe.key, n: n, label: "x"), id: "c"))
                #expect(try await drain(engine.readStream(String.self, of: "b", key: "big")).read == expected)

                let report = try await engine.compact(policy: CompactionPolicy())
                #expect(report.summariesWritten >= 1)
                let kinds = try await engine.history(of: "b").collect().map(\.kind)
                #expect(kinds.contains(.workflowSummary) && !kinds.contains(.workflowStarted), "\(kinds)")
                #expect(kinds.filter { $0 == .streamWritten }.count == n && kinds.contains(.streamClosed))
                #expect(try await drain(engine.readStream(String.self, of: "b", key: "big")).read == expected)
            }
            // The stream records kept before the summary, with no start before them, are no damage to `cairn verify`.
            let verification = try await LogVerification.run(directory: dir, lockHolder: nil)
            #expect(verification.findings.isEmpty, "\(verification.findings)")
            try await withEngine(dir, [BigWriter.self], configuration: configuration) { engine in
                #expect(engine.summary(of: "b")?.status == .completed)
                #expect(try await drain(engine.readStream(String.self, of: "b", key: "big")).read == expected)
                // Beyond retention (once its summary is sealed too): the workflow and its stream go.
                _ = try await result(try await engine.start(BigWriter.self, input: ProbeInput(probe: probe.key, n: n, label: "xy"), id: "d"))
                let report = try await engine.compact(policy: CompactionPolicy(keepLast: 0))
                #expect(report.plan.dropped.map(\.id).contains("b"))
                let gone = try await drain(engine.readStream(String.self, of: "b", key: "big"))
                #expect(code(gone.error) == .notFound)
            }
        }
    }
}
