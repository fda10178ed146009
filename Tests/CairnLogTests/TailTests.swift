import CairnLog
import CairnTestSupport
import Foundation
import Testing

@Suite struct TailTests {
    /// Reads `count` entries from `tail`, failing if they do not come within `seconds`.
    static func take(_ count: Int, from tail: LogTail, seconds: Double = 30) async throws -> [LogEntry] {
        try await withDeadline(seconds: seconds, "tail yielding \(count) entries") {
            var entries: [LogEntry] = []
            guard count > 0 else { return entries }
            for try await entry in tail {
                entries.append(entry)
                if entries.count == count { break }
            }
            return entries
        }
    }

    /// Start tailing, then append from another task across several segment rolls: the tail yields exactly the
    /// records, in order, and then whatever comes next.
    @Test(arguments: [LSN.first, LSN(37)])
    func tailFollowsAppendsAcrossSegmentRolls(from: LSN) async throws {
        let dir = temporaryPath("tail")
        defer { removeTree(dir) }
        var rng = SeededGenerator(seed: testSeed("tailFollowsAppendsAcrossSegmentRolls"))
        // Durable appends take a sync each, so the tail's polls interleave with them.
        let log = try await Log.open(at: dir, configuration: .small(durability: .always))
        var expected = try await log.appendBatch((0..<50).map { _ in randomRecord(size: Int.random(in: 1...200, using: &rng), &rng) })
        let segmentsBefore = try segmentNames(dir).count
        // Incompressible, so that they fill several 64 KiB segments.
        let records = (0..<700).map { i in LogRecord(tag: UInt8(truncatingIfNeeded: i), payload: randomBytes(Int.random(in: 1...1000, using: &rng), &rng)) }
        let tail = try LogReader(directory: dir).tail(from: from, pollInterval: .milliseconds(2))
        let wanted = expected.filter { $0.lsn >= from }.count + records.count

        async let tailed = Self.take(wanted, from: tail)
        var i = 0
        while i < records.count {
            let n = min(records.count - i, [1, 1, 1, 5, 20][i % 5])
            expected += n == 1 ? try await log.appendEach([records[i]]) : try await log.appendBatch(Array(records[i..<(i + n)]))
            i += n
        }
        #expect(try await tailed == expected.filter { $0.lsn >= from })
        #expect(try segmentNames(dir).count >= segmentsBefore + 4, "the appends rolled several segments")

        // A fresh iteration from the last LSN sees it, then the next append, and nothing twice.
        let again = try LogReader(directory: dir).tail(from: expected.last!.lsn, pollInterval: .milliseconds(2))
        async let both = Self.take(2, from: again)
        let one = try await log.appendEach([LogRecord(tag: 9, payload: [9])])
        #expect(try await both == [expected.last!] + one)
        try await log.close()
    }

    /// Cancelling the task iterating a tail ends it promptly, whether it is reading or waiting for records.
    @Test func cancellingEndsTheTail() async throws {
        let dir = temporaryPath("tailcancel")
        defer { removeTree(dir) }
        let log = try await Log.open(at: dir, configuration: .small())
        _ = try await log.appendEach((0..<10).map { LogRecord(tag: 1, payload: [UInt8($0)]) })
        let tail = try LogReader(directory: dir).tail(pollInterval: .seconds(3600))
        let seen = Locked(0)
        let task = Task {
            for try await _ in tail { seen.withLock { $0 += 1 } }
        }
        #expect(await poll(seconds: 30) { seen.value == 10 }, "read what is there, then waits an hour for more")
        task.cancel()
        let result = try await withDeadline(seconds: 30, "the cancelled tail to end") { await task.result }
        #expect(throws: CancellationError.self) { try result.get() }
        try await log.close()
    }

    /// A compacted log: the tail reads the compaction output, skips the LSNs it dropped, and goes on.
    @Test func tailOverACompactedLog() async throws {
        let dir = temporaryPath("tailcompact")
        defer { removeTree(dir) }
        var rng = SeededGenerator(seed: 0x7A11)
        let log = try await Log.open(at: dir, configuration: .small())
        var entries: [LogEntry] = []
        while try segmentNames(dir).count < 4 { entries += try await log.appendEach([randomRecord(size: 2000, &rng)]) }
        let until = try LogDirectory(path: dir).catalog().segments.last!.base
        _ = try await log.compact { _ in false }
        let kept = entries.filter { $0.lsn >= until }
        let more = try await log.appendEach([LogRecord(tag: 1, payload: [1]), LogRecord(tag: 2, payload: [2])])
        let tailed = try await Self.take(kept.count + more.count, from: try LogReader(directory: dir).tail(pollInterval: .milliseconds(2)))
        #expect(tailed == kept + more)
        try await log.close()
    }

    /// A compaction replaces the segment a tail is in the middle of: the tail finishes the file it has open (the
    /// original records), then must go on in the compaction's output — which now holds the kept records of the
    /// segments after it, removed meanwhile — rather than jump to the next segment still listed.
    @Test(.timeLimit(.minutes(1)))
    func compactionReplacingTheSegmentATailIsReading() async throws {
        let dir = temporaryPath("tailrace")
        defer { removeTree(dir) }
        var rng = SeededGenerator(seed: 0x7A1C)
        let log = try await Log.open(at: dir, configuration: .small())
        // Segment 1: 10,000 tiny records in frames of 1,000, so that one poll (about 4,096 records) stops inside it.
        var entries: [LogEntry] = []
        for _ in 0..<10 {
            entries += try await log.appendBatch((0..<1000).map { _ in LogRecord(tag: 1, payload: [UInt8.random(in: 0...3, using: &rng)]) })
        }
        #expect(try segmentNames(dir).count == 1)
        while try segmentNames(dir).count < 4 { entries += try await log.appendEach([LogRecord(tag: 2, payload: randomBytes(3000, &rng))]) }
        let segments = try LogDirectory(path: dir).catalog().segments
        let (second, active) = (segments[1].base, segments[3].base)

        var iterator = try LogReader(directory: dir).tail(pollInterval: .milliseconds(2)).makeAsyncIterator()
        var tailed = [try #require(try await iterator.next())]
        _ = try await log.compact { $0.lsn.rawValue % 2 == 0 }
        let more = try await log.appendEach([LogRecord(tag: 3, payload: [3])])

        // The first segment as the tail's open file has it (all of it), then what the compaction kept after it.
        let expected = entries.filter { $0.lsn < second || $0.lsn >= active || $0.lsn.rawValue % 2 == 0 } + more
        while let entry = try await iterator.next() {
            tailed.append(entry)
            if entry.lsn == more.last!.lsn { break }
        }
        #expect(tailed.count == expected.count)
        #expect(tailed == expected)
        try await log.close()
    }

    /// The tail needs no lock and works from another process than the writer.
    @Test func tailAnotherProcessAppending() async throws {
        let dir = temporaryPath("tailprocess")
        defer { removeTree(dir) }
        let host = try TestHost("log-append", dir, "1500", "3")
        #expect(await host.waitFor { !$0.isEmpty }, "the host opened the log")
        let tailed = try await Self.take(1500, from: try LogReader(directory: dir).tail(pollInterval: .milliseconds(2)), seconds: 60)
        #expect(await host.waitFor { $0.contains("done") })
        host.kill()
        _ = try await host.waitForExit()
        #expect(tailed.map(\.lsn.rawValue) == Array(1...1500))
        let printed = Dictionary(uniqueKeysWithValues: host.lines.compactMap { line -> (UInt64, Int)? in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let lsn = UInt64(parts[0]), let index = Int(parts[1]) else { return nil }
            return (lsn, index)
        })
        #expect(printed.count == 1500)
        for entry in tailed {
            let index = try #require(printed[entry.lsn.rawValue])
            #expect(entry.payload == testhostPayload(index))
        }
    }
}
