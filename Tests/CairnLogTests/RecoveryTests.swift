import CairnLog
import CairnTestSupport
import Foundation
import Testing

@Suite struct RecoveryTests {
    /// How a crash left the end of the last segment.
    enum Tear: String, CaseIterable, Sendable {
        /// The file ends at the cut (a write that extended the file was cut short).
        case truncated
        /// The file keeps its length; from the cut to the end of the data it holds zeros (a write into the
        /// pre-allocated zero fill, or into delayed-allocation blocks, that did not reach the disk).
        case zeroed
    }

    struct Mode: Sendable, CustomTestStringConvertible {
        var preallocationStep: Int
        var tear: Tear
        var testDescription: String { "preallocationStep \(preallocationStep), \(tear)" }
    }

    static let modes = [0, 4 << 20].flatMap { step in Tear.allCases.map { Mode(preallocationStep: step, tear: $0) } }

    /// A closed log of two segments whose last segment ends with three frames of different shapes: a batch of
    /// three compressible records, one incompressible record (stored raw), one compressible record.
    static func makeLog(_ dir: String, _ configuration: LogConfiguration) async throws -> [LogEntry] {
        var rng = SeededGenerator(seed: 0x7EA2)
        let log = try await Log.open(at: dir, configuration: configuration)
        var expected: [LogEntry] = []
        while try segmentNames(dir).count < 2 {
            expected += try await log.appendEach([randomRecord(size: Int.random(in: 2000...6000, using: &rng), &rng)])
        }
        expected += try await log.appendEach((0..<5).map { _ in LogRecord(tag: 1, payload: textBytes(60, &rng)) })
        expected += try await log.appendBatch((0..<3).map { i in LogRecord(tag: UInt8(10 + i), payload: textBytes(40, &rng)) })
        expected += try await log.appendEach([LogRecord(tag: 20, payload: randomBytes(50, &rng))])
        expected += try await log.appendEach([LogRecord(tag: 21, payload: textBytes(90, &rng))])
        try await log.close()
        return expected
    }

    /// Cuts the last segment at every byte of its last three frames, recovers, appends, and reads back.
    @Test(arguments: modes)
    func tornTailAtEveryByteOfTheLastFrames(mode: Mode) async throws {
        let dir = temporaryPath("torn")
        defer { removeTree(dir) }
        let configuration = LogConfiguration.small(preallocationStep: mode.preallocationStep)
        let all = try await Self.makeLog(dir, configuration)
        let pristine = try snapshot(dir)
        let lastName = try #require(try segmentNames(dir).last)
        let lastPath = dir + "/" + lastName
        let map = try segmentMap(lastPath)
        #expect(map.frames.count >= 3)
        let frames = Array(map.frames.suffix(3))
        #expect(frames.contains { $0.header.isCompressed } && frames.contains { !$0.header.isCompressed })
        #expect(frames[0].entries.count == 3, "the batch is one frame")
        #expect(map.entries == Array(all.suffix(map.entries.count)))
        if mode.preallocationStep > 0 {
            #expect(map.fileSize > map.dataEnd, "pre-allocated zeros follow the data")
        } else {
            #expect(map.fileSize == map.dataEnd)
        }
        let original = try #require(pristine[lastName])
        let extra = LogRecord(tag: 99, payload: Array("after recovery".utf8))

        for cut in frames[0].offset...frames[2].end {
            let context = "cut at \(cut) (\(mode.testDescription))"
            // Only the last segment changes (the appends below never fill it).
            var torn = original
            switch mode.tear {
            case .truncated:
                torn.removeSubrange(Int(cut)...)
            case .zeroed:
                for i in Int(cut)..<Int(map.dataEnd) { torn[i] = 0 }
            }
            try writeBytes(torn, to: lastPath)

            // Frames that survive: those the tear did not touch.
            let intact = map.frames.filter { frame in
                frame.end <= cut || torn.count >= Int(frame.end) && torn[Int(frame.offset)..<Int(frame.end)] == original[Int(frame.offset)..<Int(frame.end)]
            }
            let survivors = Array(all.prefix(all.count - map.entries.count)) + intact.flatMap(\.entries)
            let firstLost = map.frames.first { frame in !intact.contains { $0.offset == frame.offset } }
            // A cut exactly on a frame boundary leaves a clean end (end of file, or zeros): nothing to report.
            let expectedTail: Int64? = firstLost.flatMap { $0.offset < cut ? $0.offset : nil }

            let log = try await Log.open(at: dir, configuration: configuration)
            let report = log.recovery
            if let expectedTail {
                let tail = try #require(report.truncatedTail, "\(context): expected a truncated tail")
                #expect(tail.file == lastName, "\(context)")
                #expect(tail.offset == expectedTail, "\(context)")
                #expect(tail.droppedBytes == Int64(torn.count) - expectedTail, "\(context)")
                #expect(!tail.reason.isEmpty)
            } else {
                #expect(report.truncatedTail == nil, "\(context): \(report)")
            }
            #expect(report.recordCount == survivors.count, "\(context)")
            #expect(report.lastLSN == survivors.last?.lsn, "\(context)")
            #expect(log.lastLSN == survivors.last?.lsn, "\(context)")

            // Appends continue right after the last surviving record, and a further read finds everything — the
            // survivors and the new records — ending cleanly.
            let appended = try await log.appendEach([extra]) + log.appendBatch([extra, extra])
            #expect(appended.map(\.lsn) == (1...3).map { LSN(survivors.last!.lsn.rawValue + UInt64($0)) }, "\(context)")
            try await log.close()
            var reread: [LogEntry] = []
            let summary = try LogReader(directory: dir).scan { reread.append($0.entry); return true }
            #expect(summary.incompleteTail == nil, "\(context)")
            #expect(reread == survivors + appended, "\(context)")
            #expect(try segmentNames(dir).count == 2, "\(context)")
        }
    }

    /// A crash after a segment roll's rename but before the first frame: the last segment holds only its header.
    @Test func lastSegmentWithOnlyAHeader() async throws {
        let dir = temporaryPath("headeronly")
        defer { removeTree(dir) }
        let all = try await Self.makeLog(dir, .small())
        let base = all.last!.lsn.next
        let name = LogDirectory.segmentName(base: base)
        // As a roll does: seal the active segment (cut its zero fill), then create the next.
        let previous = try segmentMap(dir + "/" + (try segmentNames(dir).last!))
        #expect(previous.fileSize > previous.dataEnd)
        try writeBytes(Array(try readBytes(previous.path).prefix(Int(previous.dataEnd))), to: previous.path)
        let segmentsBefore = try segmentNames(dir).count
        try writeBytes(SegmentHeader(baseLSN: base).encoded(), to: dir + "/" + name)
        let log = try await Log.open(at: dir, configuration: .small())
        #expect(log.recovery.truncatedTail == nil)
        #expect(log.recovery.segmentCount == segmentsBefore + 1)
        #expect(try await log.entries() == all)
        let lsn = try await log.append(LogRecord(tag: 1, payload: [1]))
        #expect(lsn == base)
        try await log.close()
        #expect(try segmentMap(dir + "/" + name).entries == [LogEntry(lsn: base, tag: 1, payload: [1])])
    }

    /// A crash while a roll was creating the next segment leaves `.seg.tmp`: the open removes and reports it.
    @Test(arguments: [0, 17, 40])
    func leftoverSegmentBeingCreated(length: Int) async throws {
        let dir = temporaryPath("segtmp")
        defer { removeTree(dir) }
        let all = try await Self.makeLog(dir, .small())
        let name = LogDirectory.segmentName(base: all.last!.lsn.next) + ".tmp"
        try writeBytes(Array(SegmentHeader(baseLSN: all.last!.lsn.next).encoded().prefix(length)), to: dir + "/" + name)
        let log = try await Log.open(at: dir, configuration: .small())
        #expect(log.recovery.removedTemporaryFiles == [name])
        #expect(!FileManager.default.fileExists(atPath: dir + "/" + name))
        #expect(try await log.entries() == all)
        #expect(try await log.append(LogRecord(tag: 1, payload: [1])) == all.last!.lsn.next)
        try await log.close()
    }

    /// A crash while the very first segment was being created leaves only its `.seg.tmp` (and the lock file).
    @Test(arguments: [0, 40])
    func crashWhileCreatingTheFirstSegment(length: Int) async throws {
        let dir = temporaryPath("firstseg")
        defer { removeTree(dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        try writeBytes([], to: dir + "/LOCK")
        let name = LogDirectory.segmentName(base: .first) + ".tmp"
        try writeBytes(Array(SegmentHeader(baseLSN: .first).encoded().prefix(length)), to: dir + "/" + name)
        #expect(try LogReader(directory: dir).entries().isEmpty)
        let log = try await Log.open(at: dir, configuration: .small())
        #expect(log.recovery.removedTemporaryFiles == [name])
        #expect(log.recovery.segmentCount == 1)
        #expect(try await log.append(LogRecord(tag: 1, payload: [1])) == .first)
        try await log.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == [LogDirectory.segmentName(base: .first), "LOCK"])
    }

    /// Every frame of the last segment torn away: the next record gets the segment's base LSN.
    @Test func tearThatRemovesEveryFrameOfTheLastSegment() async throws {
        let dir = temporaryPath("allgone")
        defer { removeTree(dir) }
        let all = try await Self.makeLog(dir, .small(preallocationStep: 0))
        let last = try segmentMap(dir + "/" + (try segmentNames(dir).last!))
        var bytes = try readBytes(last.path)
        bytes.removeSubrange((SegmentHeader.size + 5)...)
        try writeBytes(bytes, to: last.path)
        let log = try await Log.open(at: dir, configuration: .small(preallocationStep: 0))
        #expect(log.recovery.truncatedTail?.offset == Int64(SegmentHeader.size))
        let survivors = Array(all.prefix(all.count - last.entries.count))
        #expect(try await log.entries() == survivors)
        #expect(try await log.append(LogRecord(tag: 1, payload: [1])) == last.header.baseLSN)
        try await log.close()
        #expect(try readAll(dir) == survivors + [LogEntry(lsn: last.header.baseLSN, tag: 1, payload: [1])])
    }

    /// Recovery after a crash with appends in flight: whatever frames made it are read back whole, in order.
    @Test func crashWithAppendsInFlight() async throws {
        let dir = temporaryPath("inflight")
        defer { removeTree(dir) }
        let log = try await Log.open(at: dir, configuration: .small())
        var rng = SeededGenerator(seed: 0x1F)
        let records = (0..<400).map { _ in randomRecord(size: Int.random(in: 1...900, using: &rng), &rng) }
        let acknowledged = try await withThrowingTaskGroup(of: LogEntry?.self) { group in
            for (i, record) in records.enumerated() {
                group.addTask {
                    do { return LogEntry(try await log.append(record), record) } catch let error as LogError where error.code == .closed {
                        return nil
                    }
                }
                if i == 250 { group.addTask { log._abandon(); return nil } }
            }
            return try await group.reduce(into: [LogEntry]()) { if let e = $1 { $0.append(e) } }
        }
        let reopened = try await Log.open(at: dir, configuration: .small())
        let entries = try await reopened.entries()
        #expect(entries.map(\.lsn.rawValue) == (0..<entries.count).map { UInt64($0 + 1) })
        let byLSN = Dictionary(uniqueKeysWithValues: entries.map { ($0.lsn, $0) })
        for entry in acknowledged { #expect(byLSN[entry.lsn] == entry) }
        for entry in entries { #expect(records.contains(LogRecord(tag: entry.tag, payload: entry.payload))) }
        try await reopened.close()
    }
}
