import CairnLog
import CairnTestSupport
import Synchronization
import Testing

/// The real file system, counting what each file is opened and read for: shows what a read touched.
final class CountingFileSystem: FileSystem {
    private struct Counts {
        var paths: [Int32: String] = [:]
        var opens: [String: Int] = [:]
        var bytesRead: [String: Int] = [:]
    }

    private let base = PosixFileSystem()
    private let counts = Mutex(Counts())

    /// Forgets what was counted so far.
    func reset() { counts.withLock { c in (c.opens, c.bytesRead) = ([:], [:]) } }
    /// The segment files (by name) opened since the last reset.
    var openedSegments: Set<String> {
        counts.withLock { c in
            Set(c.opens.keys.compactMap { path in
                let name = String(path.split(separator: "/").last ?? "")
                return name.hasSuffix(".seg") ? name : nil
            })
        }
    }
    func bytesRead(_ path: String) -> Int { counts.withLock { $0.bytesRead[path] ?? 0 } }

    func open(_ path: String, flags: Int32, mode: UInt32) throws(Errno) -> Int32 {
        let handle = try base.open(path, flags: flags, mode: mode)
        counts.withLock { c in
            c.paths[handle] = path
            c.opens[path, default: 0] += 1
        }
        return handle
    }
    func close(_ handle: Int32) { base.close(handle) }
    func read(_ handle: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        let n = try base.read(handle, into: buffer, at: offset)
        counts.withLock { c in if let path = c.paths[handle] { c.bytesRead[path, default: 0] += n } }
        return n
    }
    func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try base.write(handle, bytes, at: offset)
    }
    func syncData(_ handle: Int32) throws(Errno) { try base.syncData(handle) }
    func sync(_ handle: Int32) throws(Errno) { try base.sync(handle) }
    func truncate(_ handle: Int32, to length: Int64) throws(Errno) { try base.truncate(handle, to: length) }
    func status(_ handle: Int32) throws(Errno) -> FileStatus { try base.status(handle) }
    func status(atPath path: String) throws(Errno) -> FileStatus { try base.status(atPath: path) }
    func linkStatus(atPath path: String) throws(Errno) -> FileStatus { try base.linkStatus(atPath: path) }
    func clearNonBlocking(_ handle: Int32) { base.clearNonBlocking(handle) }
    func rename(_ from: String, to: String) throws(Errno) { try base.rename(from, to: to) }
    func unlink(_ path: String) throws(Errno) { try base.unlink(path) }
    func makeDirectory(_ path: String, mode: UInt32) throws(Errno) { try base.makeDirectory(path, mode: mode) }
    func list(_ path: String) throws(Errno) -> [String] { try base.list(path) }
    func lockExclusive(_ handle: Int32) throws(Errno) { try base.lockExclusive(handle) }
    func unlock(_ handle: Int32) { base.unlock(handle) }
    func checkAccess(_ path: String, write: Bool) -> Errno? { base.checkAccess(path, write: write) }
}

@Suite("Range reads: only the segments and frames a range covers")
struct RangeReadTests {
    /// A log of 10-record frames over at least `segments` segments, on a counting file system.
    static func makeLog(_ dir: String, segments: Int) async throws -> (Log, [LogEntry], CountingFileSystem) {
        let fileSystem = CountingFileSystem()
        var configuration = LogConfiguration.small()
        configuration._fileSystem = fileSystem
        var rng = SeededGenerator(seed: 0xA11CE)
        let log = try await Log.open(at: dir, configuration: configuration)
        var entries: [LogEntry] = []
        while try segmentNames(dir).count < segments {
            entries += try await log.appendBatch((0..<10).map { _ in randomRecord(size: Int.random(in: 1...300, using: &rng), &rng) })
        }
        return (log, entries, fileSystem)
    }

    static func read(_ log: Log, _ range: ClosedRange<LSN>) throws -> [LogEntry] {
        var seen: [LogEntry] = []
        try log.scan(range) { record in
            seen.append(record.entry)
            return true
        }
        return seen
    }

    @Test("a range read yields exactly the records in the range, in order, wherever the range lies")
    func rangeReadEqualsFilteredScan() async throws {
        let dir = temporaryPath("range")
        defer { removeTree(dir) }
        let (log, entries, _) = try await Self.makeLog(dir, segments: 4)
        let last = entries.last!.lsn.rawValue
        var rng = SeededGenerator(seed: 7)
        var ranges: [ClosedRange<UInt64>] = [1...1, 1...last, last...last, (last + 1)...(last + 50), 9...11, 10...10]
        for _ in 0..<40 {
            let a = UInt64.random(in: 1...last + 5, using: &rng)
            let b = UInt64.random(in: a...last + 5, using: &rng)
            ranges.append(a...b)
        }
        for range in ranges {
            let expected = entries.filter { range.contains($0.lsn.rawValue) }
            #expect(try Self.read(log, LSN(range.lowerBound)...LSN(range.upperBound)) == expected, "range \(range)")
        }
        // The body can still stop early.
        var count = 0
        try log.scan(LSN(1)...LSN(last)) { _ in
            count += 1
            return count < 3
        }
        #expect(count == 3)
        try await log.close()
    }

    @Test("a range inside one segment opens that segment only")
    func otherSegmentsAreNotOpened() async throws {
        let dir = temporaryPath("range-segments")
        defer { removeTree(dir) }
        let (log, entries, fileSystem) = try await Self.makeLog(dir, segments: 5)
        let segments = log.state.snapshot.segments
        try #require(segments.count >= 5)
        let middle = segments[2]
        let range = LSN(middle.base.rawValue + 3)...LSN(segments[3].base.rawValue - 2)
        fileSystem.reset()
        let read = try Self.read(log, range)
        #expect(read == entries.filter { range.contains($0.lsn) })
        #expect(fileSystem.openedSegments == [middle.name])
        // A range over two segments opens those two.
        fileSystem.reset()
        let across = LSN(segments[1].base.rawValue + 1)...LSN(segments[2].base.rawValue + 1)
        _ = try Self.read(log, across)
        #expect(fileSystem.openedSegments == [segments[1].name, segments[2].name])
        try await log.close()
    }

    @Test("frames after the range are not read")
    func framesAfterTheRangeAreNotRead() async throws {
        let dir = temporaryPath("range-frames")
        defer { removeTree(dir) }
        let fileSystem = CountingFileSystem()
        var configuration = LogConfiguration.small(segmentSize: 64 << 20, preallocationStep: 0)
        configuration._fileSystem = fileSystem
        let log = try await Log.open(at: dir, configuration: configuration)
        var rng = SeededGenerator(seed: 99)
        // Some 8 MiB of random (incompressible) records in one segment, in frames of 8 records.
        var entries: [LogEntry] = []
        for _ in 0..<1_000 {
            entries += try await log.appendBatch((0..<8).map { _ in randomRecord(size: 1_024, &rng) })
        }
        let segment = try #require(log.state.snapshot.segments.last)
        let size = try fileSystem.status(atPath: segment.path).size
        fileSystem.reset()
        let range = LSN(5)...LSN(40)
        #expect(try Self.read(log, range) == entries.filter { range.contains($0.lsn) })
        let read = fileSystem.bytesRead(segment.path)
        #expect(read > 0)
        #expect(Int64(read) < size / 4, "read \(read) of \(size) bytes for a range in the first frames")
        try await log.close()
    }
}
