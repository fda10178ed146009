#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one segment file frame by frame: checks each frame's header and CRC-32C, decompresses it in stream order,
/// and walks its records.
///
/// It reports where the frames end and why (end of file, the zero fill, or bytes that are not a valid frame)
/// rather than deciding what that means: for the last segment a bad tail is a torn write, for a sealed one it is
/// corruption. Reads go through a window of at least 1 MiB, so small frames cost no system call each.
package final class SegmentReader {
    /// Largest raw block any frame may declare: a sanity bound, far above ``LogConfiguration/maxRecordSize``.
    package static let maxRawLength = 256 << 20

    package let file: File
    package let header: SegmentHeader
    /// The offset of the next frame to read.
    package private(set) var offset: Int64
    /// The last LSN read from this segment, if any.
    package private(set) var lastLSN: LSN?
    package private(set) var frameCount = 0
    package private(set) var recordCount = 0
    /// Raw (decompressed) bytes read so far, and stored bytes: for compression ratios.
    package private(set) var rawBytes = 0
    package private(set) var storedBytes = 0
    /// Set when the frames ended in a seal: the base LSN the segment after this one must have.
    package private(set) var sealedNextBase: LSN?

    private let decoder: FrameDecoder
    /// The smallest read window: a tailer that opened a short, growing file still reads 64 KiB at a time.
    private static let minimumWindow = 64 << 10
    private var window: UnsafeMutableRawPointer
    private var windowCapacity: Int
    private var windowStart: Int64 = 0
    private var windowCount = 0

    /// Why the frames stopped.
    package enum End: Equatable {
        /// The file ends exactly after the last frame.
        case endOfFile
        /// A zero header: the pre-filled space after the data.
        case zeroes
        /// The bytes at ``SegmentReader/offset`` are not a complete valid frame.
        case invalid(String)
    }

    package enum Step {
        case frame(FrameHeader)
        case end(End)
    }

    /// Opens `path` and reads its header. `following` is the last LSN of the segments before this one: every
    /// record here must come after it.
    package init(
        path: String, writable: Bool = false, following: LSN? = nil, in fileSystem: any FileSystem = PosixFileSystem()
    ) throws(LogError) {
        lastLSN = following
        file = try File.open(path, writable ? O_RDWR : O_RDONLY, in: fileSystem)
        // A window of 1 MiB, or less for a smaller file (it grows when a frame needs more): a short file costs a
        // short allocation — tools and tests open many, and each open used to map and poison a whole MiB.
        let size = try file.size()
        windowCapacity = Int(clamping: min(Int64(1 << 20), max(size, Int64(Self.minimumWindow))))
        decoder = FrameDecoder(initialCapacity: Int(clamping: min(Int64(4 << 20), 2 * size)))
        window = .allocate(byteCount: windowCapacity, alignment: 16)
        let raw: [UInt8]
        do { raw = try file.read(count: SegmentHeader.size, at: 0) } catch {
            window.deallocate()
            throw error
        }
        switch raw.withUnsafeBytes({ SegmentHeader.decode($0) }) {
        case .success(let h):
            header = h
        case .failure(.newerVersion(let v)):
            window.deallocate()
            throw LogError(
                .unsupportedFormatVersion,
                "segment format version \(v) is newer than this Cairn reads (\(SegmentHeader.currentVersion)); open the log with a newer Cairn",
                path: path, offset: 8)
        case .failure(let failure):
            window.deallocate()
            let name = path.split(separator: "/").last.map(String.init) ?? path
            throw LogError(
                .corruptSegment,
                "the header of segment \(name) is invalid (\(failure)); restore the file from a backup, or run `cairn verify` for details",
                path: path, offset: 0)
        }
        offset = Int64(SegmentHeader.size)
    }

    deinit { window.deallocate() }

    /// Opens a segment for reading, or returns nil if the file is gone (removed by a compaction meanwhile).
    package static func openIfPresent(path: String, in fileSystem: any FileSystem) throws(LogError) -> SegmentReader? {
        do {
            return try SegmentReader(path: path, in: fileSystem)
        } catch {
            if error.code == .notFound { return nil }
            throw error
        }
    }

    /// The bytes the read window holds room for (tests: a damaged header must not size it).
    package var windowBytes: Int { windowCapacity }

    /// Makes `count` bytes at `position` available in the window if the file has them; returns how many it has.
    private func ensure(_ position: Int64, _ count: Int) throws(LogError) -> Int {
        if position >= windowStart && position + Int64(count) <= windowStart + Int64(windowCount) { return count }
        if count > windowCapacity {
            // A damaged frame header can claim up to 256 MiB: grow only as far as the file can fill, so such bytes
            // cost a short read, not an allocation of what they claim.
            let inFile = Int(clamping: max(0, try file.size() - position))
            guard inFile > windowCapacity else { return try ensure(position, windowCapacity) }
            window.deallocate()
            windowCapacity = min(count, max(inFile, 2 * windowCapacity))
            window = .allocate(byteCount: windowCapacity, alignment: 16)
            windowCount = 0
        }
        // Keep what we have of [position...] and read the rest after it.
        if position >= windowStart && position < windowStart + Int64(windowCount) {
            let keep = Int(windowStart + Int64(windowCount) - position)
            window.copyMemory(from: window + Int(position - windowStart), byteCount: keep)
            windowCount = keep
        } else {
            windowCount = 0
        }
        windowStart = position
        let n = try file.read(
            into: UnsafeMutableRawBufferPointer(start: window + windowCount, count: windowCapacity - windowCount),
            at: position + Int64(windowCount))
        windowCount += n
        return min(count, windowCount)
    }

    /// Drops buffered bytes from ``offset`` on, so the next read sees what the writer has written since.
    package func forgetBufferedTail() {
        if offset >= windowStart && offset < windowStart + Int64(windowCount) {
            windowCount = Int(offset - windowStart)
        } else {
            windowCount = 0
        }
    }

    /// The first LSN of the frame at ``offset``, read from its header alone (nothing is decompressed or checked
    /// beyond the header's own fields): lets a range read stop before a frame that starts past its range. Nil when
    /// no valid frame header is there; ``next(limit:_:)`` then says why.
    package func nextFrameFirstLSN(limit: Int64? = nil) throws(LogError) -> LSN? {
        if let limit, offset >= limit { return nil }
        guard try ensure(offset, FrameHeader.size) == FrameHeader.size else { return nil }
        guard case .success(let frame) = FrameHeader.decode(
            UnsafeRawPointer(window + Int(offset - windowStart)), maxRawLength: Self.maxRawLength),
            !frame.isSeal
        else { return nil }
        return frame.firstLSN
    }

    /// Reads the frame at ``offset``, calling `body` for each record, and advances past it; or reports where and
    /// why the frames end, leaving ``offset`` at that point.
    ///
    /// `limit`, when given, is an offset the frames may not cross (the committed end of an active segment).
    package func next(
        limit: Int64? = nil, _ body: (LSN, UInt8, UnsafeRawBufferPointer) throws -> Void
    ) throws -> Step {
        if let limit, offset >= limit { return .end(.endOfFile) }
        let available = try ensure(offset, FrameHeader.size)
        if available < FrameHeader.size {
            if available == 0 { return .end(.endOfFile) }
            let tail = UnsafeRawBufferPointer(start: window + Int(offset - windowStart), count: available)
            return .end(tail.allSatisfy { $0 == 0 } ? .zeroes : .invalid("a frame header cut short by the end of the file"))
        }
        let headerPointer = UnsafeRawPointer(window + Int(offset - windowStart))
        let frame: FrameHeader
        switch FrameHeader.decode(headerPointer, maxRawLength: Self.maxRawLength) {
        case .success(let h): frame = h
        case .failure(.zeroes): return .end(.zeroes)
        case .failure(.badMagic): return .end(.invalid("no frame magic"))
        case .failure(.badField(let what)): return .end(.invalid("impossible frame header field: \(what)"))
        }
        let length = frame.frameLength
        if let limit, offset + Int64(length) > limit { return .end(.invalid("a frame crosses the committed end")) }
        guard try ensure(offset, length) == length else {
            return .end(.invalid("a frame of \(length) bytes cut short by the end of the file"))
        }
        let base = UnsafeRawPointer(window + Int(offset - windowStart))
        guard checksumMatches(base, at: offset, header: frame) else {
            return .end(.invalid("checksum mismatch"))
        }
        if let lastLSN, frame.firstLSN <= lastLSN {
            return .end(.invalid("frame LSN \(frame.firstLSN) does not follow \(lastLSN)"))
        }
        if frame.firstLSN < header.baseLSN {
            return .end(.invalid("frame LSN \(frame.firstLSN) is below the segment's base \(header.baseLSN)"))
        }
        if frame.isSeal {
            // The seal is the segment's last frame: a roll writes it after the last commit, then nothing more.
            sealedNextBase = frame.firstLSN
            offset += Int64(length)
            let size = try file.size()
            guard offset == size else { return .end(.invalid("\(size - offset) bytes follow the segment's seal")) }
            return .end(.endOfFile)
        }
        let block: UnsafeRawBufferPointer
        do {
            block = try decoder.decode(frame, payload: base + FrameHeader.size)
        } catch {
            return .end(.invalid("\(error)"))
        }
        // Check the whole block before `body` sees any of it, so a caller never sees half a frame.
        let last: LSN
        do {
            last = try RecordBlock.forEach(in: block, firstLSN: frame.firstLSN, count: frame.recordCount) { _, _, _ in }
        } catch let malformed as RecordBlock.Malformed {
            decoder.discardLastBlock()
            return .end(.invalid("malformed record block: \(malformed)"))
        }
        _ = try RecordBlock.forEach(in: block, firstLSN: frame.firstLSN, count: frame.recordCount, body)
        lastLSN = last
        offset += Int64(length)
        frameCount += 1
        recordCount += Int(frame.recordCount)
        rawBytes += Int(frame.rawLength)
        storedBytes += length
        return .frame(frame)
    }

    /// The last raw bytes decoded: what an encoder continuing this segment must be primed with.
    package var history: UnsafeRawBufferPointer { decoder.history }

    /// Looks past `start` for a complete, checksummed frame that starts a group commit (commit index 0) and
    /// returns its offset. Such a frame after a bad one proves the bad one is damage to acknowledged data, not a
    /// torn final write: the writer starts a commit only after the previous one was synced. Valid frames that
    /// continue a commit (index above 0) are passed over: they can be the rest of the torn write itself, whose
    /// pages reached the disk in any order. Recovery and `cairn verify` both decide by this (``tailVerdict(_:)``).
    package func findCommitStart(after start: Int64) throws(LogError) -> Int64? {
        try findValidFrames(after: start).commitStart
    }

    /// The first complete, checksummed frame past `start`, and the first of them that starts a commit.
    private func findValidFrames(after start: Int64) throws(LogError) -> (first: Int64?, commitStart: Int64?) {
        let size = try file.size()
        let magic = withUnsafeBytes(of: FrameHeader.magic.littleEndian) { Array($0) }
        var first: Int64?
        var position = start + 1
        while position + Int64(FrameHeader.overhead) <= size {
            let n = try ensure(position, min(windowCapacity, Int(size - position)))
            let p = UnsafeRawPointer(window + Int(position - windowStart))
            var i = 0
            var found = false
            while i + 4 <= n {
                if p.load(fromByteOffset: i, as: UInt8.self) == magic[0]
                    && p.load(fromByteOffset: i + 1, as: UInt8.self) == magic[1]
                    && p.load(fromByteOffset: i + 2, as: UInt8.self) == magic[2]
                    && p.load(fromByteOffset: i + 3, as: UInt8.self) == magic[3]
                {
                    found = true
                    break
                }
                i += 1
            }
            guard found else {
                position += Int64(max(1, n - 3))
                continue
            }
            let candidate = position + Int64(i)
            if try ensure(candidate, FrameHeader.size) == FrameHeader.size,
                case .success(let h) = FrameHeader.decode(
                    UnsafeRawPointer(window + Int(candidate - windowStart)), maxRawLength: Self.maxRawLength),
                candidate + Int64(h.frameLength) <= size,
                try ensureChecksum(at: candidate, header: h)
            {
                if first == nil { first = candidate }
                if h.commitIndex == 0 { return (first, candidate) }
                position = candidate + Int64(h.frameLength)
                continue
            }
            position = candidate + 1
        }
        return (first, nil)
    }

    private func ensureChecksum(at position: Int64, header h: FrameHeader) throws(LogError) -> Bool {
        let length = h.frameLength
        guard try ensure(position, length) == length else { return false }
        return checksumMatches(UnsafeRawPointer(window + Int(position - windowStart)), at: position, header: h)
    }

    /// Whether the frame at `base`, read from `position` in this segment, carries the CRC-32C this segment's
    /// frames carry there (bound to the segment's salt and the position in version 2).
    private func checksumMatches(_ base: UnsafeRawPointer, at position: Int64, header h: FrameHeader) -> Bool {
        let crcOffset = FrameHeader.size + Int(h.storedLength)
        let crc = CRC32C.checksum(
            UnsafeRawBufferPointer(start: base, count: crcOffset), continuing: header.checksumSeed(at: position))
        return crc == base.le32(crcOffset)
    }

    /// What the end of the last segment's frames means. One rule for recovery and `cairn verify`.
    package enum TailVerdict: Equatable {
        /// The file ends after the last frame, or only zeros follow it (the pre-allocated fill).
        case clean
        /// What follows the last good frame is the unacknowledged remains of a torn or earlier write: to be cut.
        case torn(String)
        /// A frame that starts a later commit follows the damage (at this offset): acknowledged data is damaged.
        case damaged(followedByCommitAt: Int64)
    }

    /// Whether the frames of a segment that is *followed by another* stopped (with `end`) at a torn seal: fewer than
    /// the seal's 32 bytes, or bytes of which each is zero or the byte the seal has there. A roll writes the seal
    /// after it created the next segment durably, so a power loss can leave the seal incomplete — its extension of
    /// the file made durable before its bytes, say — behind a segment that is complete. Such a segment is as
    /// sealed as one that got no seal at all; a torn seal in the *last* segment is judged as any torn tail.
    package func endsInTornSeal(_ end: End) throws(LogError) -> Bool {
        guard end != .endOfFile, header.version >= 2 else { return false }
        let size = try file.size()
        let count = size - offset
        guard count > 0 && count <= Int64(FrameHeader.overhead) else { return false }
        var expected = ByteBuffer(capacity: FrameHeader.overhead)
        FrameEncoder.seal(
            nextBase: lastLSN?.next ?? header.baseLSN, into: &expected, checksumSeed: header.checksumSeed(at: offset))
        let bytes = try file.read(count: Int(count), at: offset)
        guard bytes.count == Int(count) else { return false }
        return zip(bytes, expected.bytes).allSatisfy { found, sealed in found == 0 || found == sealed }
    }

    /// Judges where ``next(limit:_:)`` stopped in the last segment (call it once the frames ended with `end`).
    ///
    /// After the zero fill no valid frame may follow. One there is a frame of a torn write whose first page never
    /// reached the disk, or of an earlier life of these bytes (written, left behind by a recovery, written over).
    /// Left in place, a later commit could end exactly where it starts and the next open would read it as the
    /// log's own, so it is cut like any torn tail. Other non-zero bytes there (a flipped bit) cannot be read as a
    /// frame whatever is written before them, and are left.
    package func tailVerdict(_ end: End) throws(LogError) -> TailVerdict {
        switch end {
        case .endOfFile:
            return .clean
        case .zeroes, .invalid:
            let found = try findValidFrames(after: offset)
            if let valid = found.commitStart { return .damaged(followedByCommitAt: valid) }
            if case .invalid(let reason) = end { return .torn(reason) }
            if let stale = found.first {
                return .torn("zero bytes where a frame should start, but a checksummed frame of a torn or earlier write follows at offset \(stale)")
            }
            return .clean
        }
    }
}
