import CairnLog
import CairnTestSupport
import Foundation
import Synchronization
import Testing

@Suite struct RoundTripTests {
    enum Ending: String, CaseIterable, Sendable {
        /// `close()`: everything synced, lock released.
        case clean
        /// `_abandon()`: stopped without the final sync, as a process crash leaves the files.
        case crash
    }

    static let maxRecordSize = 96 << 10

    static func configuration() -> LogConfiguration {
        var configuration = LogConfiguration.small()
        configuration.maxRecordSize = maxRecordSize
        configuration.targetFrameSize = 16 << 10
        return configuration
    }

    func end(_ log: Log, _ ending: Ending) async throws {
        switch ending {
        case .clean: try await log.close()
        case .crash: log._abandon()
        }
    }

    /// Appends `count` random records: one at a time, in batches, and from concurrent tasks; returns them in LSN
    /// order with the LSNs the appends returned.
    static func appendRandom(_ count: Int, to log: Log, _ rng: inout SeededGenerator) async throws -> [LogEntry] {
        var entries: [LogEntry] = []
        while entries.count < count {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<5:
                let record = randomRecord(size: randomSize(maxSize: maxRecordSize, &rng), &rng)
                entries += try await log.appendEach([record])
            case 5..<8:
                let records = (0..<Int.random(in: 1...12, using: &rng)).map { _ in
                    randomRecord(size: min(randomSize(maxSize: maxRecordSize, &rng), 4000), &rng)
                }
                entries += try await log.appendBatch(records)
            default:
                let records = (0..<Int.random(in: 2...24, using: &rng)).map { _ in
                    randomRecord(size: Int.random(in: 1...600, using: &rng), &rng)
                }
                let results = try await withThrowingTaskGroup(of: LogEntry.self) { group in
                    for record in records { group.addTask { LogEntry(try await log.append(record), record) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                entries += results.sorted { $0.lsn < $1.lsn }
            }
        }
        return entries
    }

    @Test(arguments: Ending.allCases)
    func randomRecordsAcrossSegments(ending: Ending) async throws {
        let dir = temporaryPath("roundtrip")
        defer { removeTree(dir) }
        var rng = SeededGenerator(seed: testSeed("randomRecordsAcrossSegments(\(ending))"))
        let configuration = Self.configuration()

        let log = try await Log.open(at: dir, configuration: configuration)
        #expect(log.recovery.recordCount == 0)
        #expect(log.lastLSN == nil)
        var expected = try await Self.appendRandom(700, to: log, &rng)
        // The extremes, explicitly.
        expected += try await log.appendEach([
            LogRecord(tag: 0, payload: [0]), LogRecord(tag: 255, payload: randomBytes(Self.maxRecordSize, &rng)),
            LogRecord(tag: 1, payload: [0xFF]), LogRecord(tag: 2, payload: textBytes(Self.maxRecordSize, &rng)),
        ])
        #expect(expected.map(\.lsn.rawValue) == Array(1...UInt64(expected.count)), "LSNs are 1, 2, 3, ...")
        #expect(log.lastLSN == expected.last?.lsn)
        #expect(try await log.entries() == expected, "readable before closing")
        try await end(log, ending)
        #expect(try segmentNames(dir).count > 5, "spans many segments")

        let visited = Mutex<[LogEntry]>([])
        let reopened = try await Log.open(at: dir, configuration: configuration) { record in
            visited.withLock { $0.append(record.entry) }
        }
        #expect(visited.withLock { $0 } == expected, "open's visitor sees every record in order")
        #expect(reopened.recovery.truncatedTail == nil)
        #expect(reopened.recovery.recordCount == expected.count)
        #expect(reopened.recovery.firstLSN == LSN(1))
        #expect(reopened.recovery.lastLSN == expected.last?.lsn)
        #expect(reopened.recovery.segmentCount == (try segmentNames(dir).count))
        #expect(reopened.lastLSN == expected.last?.lsn)
        #expect(try await reopened.entries() == expected)

        // Appends carry on from the last LSN, across another reopen of the same kind.
        let more = try await Self.appendRandom(150, to: reopened, &rng)
        #expect(more.first?.lsn == expected.last?.lsn.next)
        expected += more
        try await end(reopened, ending)
        let third = try await Log.open(at: dir, configuration: configuration)
        #expect(third.recovery.truncatedTail == nil)
        #expect(try await third.entries() == expected)
        try await third.close()
        #expect(try readAll(dir) == expected)
    }

    @Test func manyReopensAlternatingCleanAndCrash() async throws {
        let dir = temporaryPath("reopens")
        defer { removeTree(dir) }
        var rng = SeededGenerator(seed: testSeed("manyReopensAlternatingCleanAndCrash"))
        var expected: [LogEntry] = []
        for round in 0..<8 {
            let log = try await Log.open(at: dir, configuration: Self.configuration())
            #expect(log.recovery.truncatedTail == nil, "round \(round)")
            #expect(log.recovery.recordCount == expected.count, "round \(round)")
            #expect(log.lastLSN == expected.last?.lsn)
            expected += try await Self.appendRandom(Int.random(in: 1...60, using: &rng), to: log, &rng)
            try await end(log, round.isMultiple(of: 2) ? .crash : .clean)
        }
        #expect(try readAll(dir) == expected)
    }

    /// A batch larger than the encoder's input buffer, frames larger than the reader's window and the decoder's
    /// buffer, and frames after them that still refer back into the stream.
    @Test func framesLargerThanEveryBuffer() async throws {
        let dir = temporaryPath("large")
        defer { removeTree(dir) }
        var configuration = LogConfiguration.small()
        configuration.targetFrameSize = 1 << 10
        configuration.maxRecordSize = 64 << 10
        var rng = SeededGenerator(seed: 0x1A46E)
        let log = try await Log.open(at: dir, configuration: configuration)
        var expected = try await log.appendEach((0..<20).map { _ in LogRecord(tag: 1, payload: textBytes(300, &rng)) })
        // ~6 MiB in one frame: more than the encoder's 4 MiB input, the decoder's 4 MiB buffer, the reader's 1 MiB.
        expected += try await log.appendBatch((0..<100).map { i in
            LogRecord(tag: 2, payload: i % 2 == 0 ? randomBytes(60 << 10, &rng) : textBytes(60 << 10, &rng))
        })
        expected += try await log.appendEach((0..<20).map { _ in LogRecord(tag: 3, payload: textBytes(300, &rng)) })
        expected += try await log.appendBatch((0..<30).map { _ in LogRecord(tag: 4, payload: textBytes(50 << 10, &rng)) })
        expected += try await log.appendEach((0..<20).map { _ in LogRecord(tag: 5, payload: textBytes(300, &rng)) })
        #expect(try await log.entries() == expected)
        try await log.close()
        let reopened = try await Log.open(at: dir, configuration: configuration)
        #expect(try await reopened.entries() == expected)
        // And the writer, primed from the end of that segment, goes on.
        expected += try await reopened.appendEach((0..<20).map { _ in LogRecord(tag: 6, payload: textBytes(300, &rng)) })
        try await reopened.close()
        #expect(try readAll(dir) == expected)
        #expect(try segmentMaps(dir).flatMap(\.frames).contains { $0.length > 4 << 20 })
    }

    @Test func reopeningAnEmptyLogKeepsItEmpty() async throws {
        let dir = temporaryPath("empty")
        defer { removeTree(dir) }
        try await Log.open(at: dir, configuration: .small()).close()
        let log = try await Log.open(at: dir, configuration: .small())
        #expect(log.recovery.recordCount == 0)
        #expect(log.recovery.segmentCount == 1)
        #expect(log.lastLSN == nil)
        #expect(try await log.entries().isEmpty)
        #expect(try await log.append(LogRecord(tag: 3, payload: [1, 2, 3])) == LSN.first)
        try await log.close()
    }

    /// One small record per group commit still compresses, because each frame's LZ4 block may refer to the
    /// segment's earlier records (the DESIGN's streaming choice).
    @Test func singleRecordCommitsCompress() async throws {
        let dir = temporaryPath("ratio")
        defer { removeTree(dir) }
        let log = try await Log.open(at: dir, configuration: .small(segmentSize: 4 << 20))
        var expected: [LogEntry] = []
        for i in 0..<400 {
            let payload = Array("{\"event\":\"stepCompleted\",\"workflow\":\"order-\(i % 23)\",\"step\":\"charge-card\",\"attempt\":\(i % 3),\"result\":{\"amount\":\(1000 + i),\"currency\":\"EUR\"}}".utf8)
            expected += try await log.appendEach([LogRecord(tag: 4, payload: payload)])
        }
        try await log.close()
        let reopened = try await Log.open(at: dir, configuration: .small(segmentSize: 4 << 20))
        #expect(reopened.recovery.frameCount == 400, "one frame per append")
        #expect(reopened.recovery.storedBytes * 2 < reopened.recovery.rawBytes, "\(reopened.recovery)")
        #expect(try await reopened.entries() == expected)
        try await reopened.close()
    }
}
