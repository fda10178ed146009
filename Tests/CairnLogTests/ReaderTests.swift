import CairnLog
import CairnTestSupport
import Foundation
import Testing

@Suite struct ReaderTests {
    /// A log of 10-record frames across several segments, left open.
    static func makeLog(_ dir: String) async throws -> (Log, [LogEntry]) {
        var rng = SeededGenerator(seed: 0x5CA7)
        let log = try await Log.open(at: dir, configuration: .small())
        var entries: [LogEntry] = []
        while try segmentNames(dir).count < 4 {
            entries += try await log.appendBatch((0..<10).map { _ in randomRecord(size: Int.random(in: 1...300, using: &rng), &rng) })
        }
        return (log, entries)
    }

    @Test func readOnlyReaderWhileTheLogIsOpen() async throws {
        let dir = temporaryPath("reader")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir)
        let reader = try LogReader(directory: dir)
        #expect(reader.directory == dir)
        var seen: [LogEntry] = []
        let summary = try reader.scan { seen.append($0.entry); return true }
        #expect(seen == entries)
        #expect(summary.recordCount == entries.count)
        #expect(summary.lastLSN == entries.last?.lsn)
        #expect(summary.incompleteTail == nil, "the zero fill after the data is a clean end")
        // The reader took no lock: the log goes on, and a new scan sees the new record.
        let more = try await log.appendEach([LogRecord(tag: 1, payload: [1])])
        #expect(try reader.entries() == entries + more)
        #expect(try reader.verify().recordCount == entries.count + 1)
        try await log.close()
    }

    @Test func incompleteTailIsReportedNotRepaired() async throws {
        let dir = temporaryPath("incomplete")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir)
        try await log.close()
        let last = try segmentMaps(dir).last!
        let frame = last.frames.last!
        var bytes = try readBytes(last.path)
        bytes.removeSubrange((Int(frame.offset) + frame.length - 3)...)
        try writeBytes(bytes, to: last.path)
        let before = try snapshot(dir)

        let reader = try LogReader(directory: dir)
        let summary = try reader.scan { _ in true }
        let tail = try #require(summary.incompleteTail)
        #expect(tail.file == last.name)
        #expect(tail.offset == frame.offset)
        #expect(!tail.reason.isEmpty)
        #expect(summary.recordCount == entries.count - frame.entries.count)
        #expect(try reader.entries() == Array(entries.dropLast(frame.entries.count)))
        let report = try reader.verify()
        #expect(report.truncatedTail?.offset == frame.offset)
        #expect(report.truncatedTail?.droppedBytes == Int64(bytes.count) - frame.offset)
        #expect(try snapshot(dir) == before, "readers never change a file")
    }

    /// `scan(from:)` starting anywhere: the first LSN, inside a frame, on a segment boundary, just before one,
    /// at the last record, beyond the end.
    @Test func scanFromArbitraryLSNs() async throws {
        let dir = temporaryPath("scanfrom")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir)
        let bases = try LogDirectory(path: dir).catalog().segments.map(\.base)
        let last = entries.last!.lsn.rawValue
        var starts: [UInt64] = [0, 1, 2, 5, 10, 11, 15, last - 1, last, last + 1, last + 1000]
        for base in bases.dropFirst() { starts += [base.rawValue - 1, base.rawValue, base.rawValue + 1, base.rawValue + 4] }
        let reader = try LogReader(directory: dir)
        for start in starts {
            let from = LSN(start)
            let expected = entries.filter { $0.lsn >= from }
            var seen: [LogEntry] = []
            let count = try log.scan(from: from) { seen.append($0.entry); return true }
            #expect(seen == expected, "Log.scan from \(start)")
            #expect(count == expected.count)
            #expect(try await log.entries(from: from) == expected, "Log.entries from \(start)")
            #expect(try reader.entries(from: from) == expected, "LogReader from \(start)")
        }
        // The body can stop a scan.
        var firstThree: [LSN] = []
        let count = try log.scan(from: LSN(7)) { firstThree.append($0.lsn); return firstThree.count < 3 }
        #expect(firstThree == [LSN(7), LSN(8), LSN(9)])
        #expect(count == 3)
        let summary = try reader.scan(from: bases[1]) { $0.lsn < bases[1].next }
        #expect(summary.recordCount == 2 && summary.lastLSN == bases[1].next)
        try await log.close()
    }

    @Test func verifyReportsWhatAnOpenFinds() async throws {
        let dir = temporaryPath("verify")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir)
        try await log.close()
        var visited: [LogEntry] = []
        let report = try LogReader(directory: dir).verify { visited.append($0.entry) }
        #expect(visited == entries)
        let opened = try await Log.open(at: dir, configuration: .small())
        let recovery = opened.recovery
        try await opened.close()
        #expect(report.recordCount == recovery.recordCount)
        #expect(report.frameCount == recovery.frameCount)
        #expect(report.frameCount == entries.count / 10)
        #expect(report.segmentCount == 4)
        #expect(report.firstLSN == .first && report.lastLSN == entries.last?.lsn)
        #expect(report.rawBytes == recovery.rawBytes && report.storedBytes == recovery.storedBytes)
        #expect(report.truncatedTail == nil)
        #expect(report.description.contains("\(entries.count) records"))
    }

    @Test func readerErrors() async throws {
        let dir = temporaryPath("reader-errors")
        defer { removeTree(dir) }
        let error = expectLogErrorSync(.notFound) { try LogReader(directory: dir) }
        #expect(error?.path == dir)
        #expect(!FileManager.default.fileExists(atPath: dir), "a reader never creates the directory")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let empty = try LogReader(directory: dir)
        #expect(try empty.entries().isEmpty)
        #expect(try empty.verify().recordCount == 0)
    }
}
