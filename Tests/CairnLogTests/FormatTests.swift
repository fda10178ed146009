// The varint helpers are internal to CairnLog; everything else here is `package` API.
@testable import CairnLog
import CairnTestSupport
import Foundation
import Testing

@Suite struct CRC32CTests {
    /// A bit-at-a-time CRC-32C, straight from the definition, to check the slicing-by-8 tables against.
    static func reference(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        }
        return ~c
    }

    @Test func standardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func knownVectors() {
        // RFC 3720 (iSCSI) appendix B.4.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func matchesTheBitwiseDefinitionAtEveryLengthAndAlignment() {
        var rng = SeededGenerator(seed: 0xC2C)
        let data = randomBytes(300, &rng)
        for start in 0..<9 {
            for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200, 300 - start] where start + length <= data.count {
                let slice = Array(data[start..<(start + length)])
                let fast = data.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<(start + length)])) }
                #expect(fast == Self.reference(slice), "start \(start) length \(length)")
            }
        }
    }

    @Test(arguments: [0, 1, 5, 8, 100, 299, 300])
    func checksumsInPiecesEqualTheWhole(split: Int) {
        var rng = SeededGenerator(seed: 0x5EED)
        let data = randomBytes(300, &rng)
        let whole = CRC32C.checksum(data)
        let pieced = data.withUnsafeBytes { b in
            CRC32C.checksum(
                UnsafeRawBufferPointer(rebasing: b[split...]),
                continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[..<split])))
        }
        #expect(pieced == whole)
    }
}

@Suite struct VarintTests {
    static let boundaries: [(value: UInt64, size: Int)] = [
        (0, 1), (1, 1), (127, 1), (128, 2), (16_383, 2), (16_384, 3), (2_097_151, 3), (2_097_152, 4),
        (UInt64(UInt32.max), 5), (1 << 56 - 1, 8), (1 << 56, 9), (1 << 63 - 1, 9), (1 << 63, 10), (UInt64.max, 10),
    ]

    @Test(arguments: boundaries.map(\.value))
    func roundTripsAndHasTheDocumentedSize(value: UInt64) throws {
        let size = try #require(Self.boundaries.first { $0.value == value }?.size)
        #expect(varintSize(value) == size)
        var buffer = [UInt8](repeating: 0xEE, count: 16)
        let written = buffer.withUnsafeMutableBytes { $0.baseAddress!.setVarint(value, 3) }
        #expect(written == size)
        #expect(buffer[3 + size] == 0xEE, "wrote past its size")
        // LEB128: continuation bit on every byte but the last.
        for i in 3..<(3 + size - 1) { #expect(buffer[i] & 0x80 != 0) }
        #expect(buffer[3 + size - 1] & 0x80 == 0)
        var offset = 3
        let read = buffer.withUnsafeBytes { readVarint($0.baseAddress!, &offset, 3 + size) }
        #expect(read == value)
        #expect(offset == 3 + size)
    }

    @Test func leb128Layout() {
        var buffer = [UInt8](repeating: 0, count: 4)
        _ = buffer.withUnsafeMutableBytes { $0.baseAddress!.setVarint(300, 0) }
        #expect(Array(buffer.prefix(2)) == [0xAC, 0x02])
    }

    @Test func rejectsTruncatedOverlongAndOverflowingEncodings() {
        func read(_ bytes: [UInt8]) -> UInt64? {
            var offset = 0
            return bytes.withUnsafeBytes { readVarint($0.baseAddress!, &offset, bytes.count) }
        }
        #expect(read([]) == nil)
        #expect(read([0x80]) == nil, "continuation bit with nothing after")
        #expect(read([0xFF, 0xFF]) == nil)
        // Ten bytes whose last carries more than the one bit left in a UInt64.
        #expect(read([UInt8](repeating: 0xFF, count: 9) + [0x02]) == nil)
        #expect(read([UInt8](repeating: 0xFF, count: 9) + [0x01]) == UInt64.max)
        // Eleven bytes never decode.
        #expect(read([UInt8](repeating: 0x80, count: 10) + [0x00]) == nil)
    }
}

@Suite struct SegmentHeaderTests {
    @Test(arguments: [(LSN(1), UInt64(0)), (LSN(12_345), UInt64(0)), (LSN(7), UInt64(99)), (LSN(UInt64.max), UInt64.max)])
    func roundTrips(base: LSN, replacesUntil: UInt64) throws {
        let header = SegmentHeader(baseLSN: base, replacesUntil: replacesUntil)
        let bytes = header.encoded()
        #expect(bytes.count == SegmentHeader.size)
        #expect(Array(bytes.prefix(8)) == Array("CAIRNSEG".utf8))
        let decoded = try bytes.withUnsafeBytes { try SegmentHeader.decode($0).get() }
        #expect(decoded == header)
        #expect(decoded.version == 1)
        #expect(decoded.flags == SegmentHeader.flagStreamed)
    }

    @Test func documentedLayout() {
        let bytes = SegmentHeader(baseLSN: LSN(0x0102_0304_0506_0708), replacesUntil: 0x1122).encoded()
        #expect(bytes[8] == 1 && bytes[9] == 0, "version at 8, little-endian")
        #expect(bytes[10] == 40 && bytes[11] == 0, "header length at 10")
        #expect(Array(bytes[12..<16]) == [1, 0, 0, 0], "flags at 12")
        #expect(Array(bytes[16..<24]) == [8, 7, 6, 5, 4, 3, 2, 1], "base LSN at 16")
        #expect(Array(bytes[24..<32]) == [0x22, 0x11, 0, 0, 0, 0, 0, 0], "replaces-until at 24")
        #expect(Array(bytes[32..<36]) == [0, 0, 0, 0], "reserved")
        let crc = CRC32C.checksum(Array(bytes[0..<36]))
        #expect(Array(bytes[36..<40]) == withUnsafeBytes(of: crc.littleEndian) { Array($0) }, "CRC-32C of 0..<36 at 36")
    }

    /// Sets a little-endian field and recomputes the header checksum, as a newer (or buggy) writer would.
    static func rewritten(_ bytes: [UInt8], at offset: Int, _ value: [UInt8]) -> [UInt8] {
        var b = bytes
        b.replaceSubrange(offset..<(offset + value.count), with: value)
        let crc = CRC32C.checksum(Array(b[0..<36]))
        b.replaceSubrange(36..<40, with: withUnsafeBytes(of: crc.littleEndian) { Array($0) })
        return b
    }

    @Test func rejectsDamage() {
        let good = SegmentHeader(baseLSN: LSN(5)).encoded()
        func decode(_ b: [UInt8]) -> Result<SegmentHeader, SegmentHeader.DecodeFailure> {
            b.withUnsafeBytes { SegmentHeader.decode($0) }
        }
        #expect(decode(Array(good.prefix(39))) == .failure(.tooShort))
        var badMagic = good
        badMagic[0] = UInt8(ascii: "X")
        #expect(decode(badMagic) == .failure(.badMagic))
        for offset in 8..<40 {
            var flipped = good
            flipped[offset] ^= 0x10
            #expect(decode(flipped) == .failure(.badChecksum), "byte \(offset)")
        }
        #expect(decode(Self.rewritten(good, at: 8, [3, 0])) == .failure(.newerVersion(3)))
        #expect(decode(Self.rewritten(good, at: 8, [0xFF, 0xFF])) == .failure(.newerVersion(0xFFFF)))
        #expect(decode(Self.rewritten(good, at: 8, [0, 0])) == .failure(.badLayout("format version 0")))
        #expect(decode(Self.rewritten(good, at: 10, [41, 0])) == .failure(.badLayout("header length 41")))
        #expect(decode(Self.rewritten(good, at: 12, [0, 0, 0, 0])) == .failure(.badLayout("flags 0")))
        #expect(decode(Self.rewritten(good, at: 16, [0, 0, 0, 0, 0, 0, 0, 0])) == .failure(.badLayout("base LSN 0")))
    }
}

@Suite struct FrameHeaderTests {
    static func encoded(_ h: FrameHeader) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: FrameHeader.size)
        bytes.withUnsafeMutableBytes { h.write(to: $0.baseAddress!) }
        return bytes
    }

    static func decode(_ bytes: [UInt8], maxRawLength: Int = 1 << 20) -> Result<FrameHeader, FrameHeader.DecodeFailure> {
        bytes.withUnsafeBytes { FrameHeader.decode($0.baseAddress!, maxRawLength: maxRawLength) }
    }

    @Test(arguments: [
        FrameHeader(flags: 0, storedLength: 10, rawLength: 10, recordCount: 1, firstLSN: LSN(1)),
        FrameHeader(flags: FrameHeader.flagCompressed, storedLength: 100, rawLength: 400, recordCount: 7, firstLSN: LSN(1 << 40)),
        FrameHeader(flags: FrameHeader.flagCompressed, storedLength: 1, rawLength: 1 << 20, recordCount: .max, firstLSN: LSN(.max)),
    ])
    func roundTrips(header: FrameHeader) throws {
        let bytes = Self.encoded(header)
        #expect(Array(bytes.prefix(4)) == Array("CFRM".utf8))
        #expect(try Self.decode(bytes).get() == header)
        #expect(header.frameLength == 28 + Int(header.storedLength) + 4)
    }

    @Test func rejectsImpossibleFields() {
        let good = FrameHeader(flags: 1, storedLength: 50, rawLength: 80, recordCount: 2, firstLSN: LSN(9))
        func with(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
            var b = Self.encoded(good)
            change(&b)
            return b
        }
        #expect(Self.decode([UInt8](repeating: 0, count: 28)) == .failure(.zeroes))
        #expect(Self.decode(with { $0[0] = 0 }) == .failure(.badMagic))
        #expect(Self.decode(with { $0[4] = 3 }) == .failure(.badField("flags")), "unknown flag bit")
        let indexed = Self.decode(with { $0[6] = 2; $0[7] = 1 })
        #expect((try? indexed.get())?.commitIndex == 258, "bytes 6..<8: the commit index")
        #expect(Self.decode(with { $0[16] = 0; $0[17] = 0 }) == .failure(.badField("record count 0")))
        #expect(Self.decode(with { $0[20] = 0 }) == .failure(.badField("first LSN 0")))
        #expect(Self.decode(Self.encoded(good), maxRawLength: 79) == .failure(.badField("raw length 80")))
        let raw = FrameHeader(flags: 0, storedLength: 50, rawLength: 51, recordCount: 2, firstLSN: LSN(9))
        #expect(Self.decode(Self.encoded(raw)) == .failure(.badField("stored length")), "raw frame: stored must equal raw")
    }

    /// The encoder stores a block compressed only when that makes it smaller, so a compressed frame whose stored
    /// length is not below its raw length is damage — and must be refused before a reader sizes a read by it (a flip
    /// of the length's top bit would otherwise ask for a 2 GiB window).
    @Test(arguments: [UInt32(80), 81, 0x8000_0032])
    func rejectsACompressedFrameNoSmallerThanItsRecords(storedLength: UInt32) {
        let h = FrameHeader(flags: 1, storedLength: storedLength, rawLength: 80, recordCount: 2, firstLSN: LSN(9))
        #expect(Self.decode(Self.encoded(h)) == .failure(.badField("stored length")))
    }
}

@Suite struct RecordBlockTests {
    @Test func walksRecordsWithLSNGaps() throws {
        let records: [(LSN, UInt8, [UInt8])] = [(LSN(10), 1, [1]), (LSN(11), 2, [2, 2]), (LSN(500), 3, Array(repeating: 3, count: 300))]
        var block = [UInt8](repeating: 0, count: 1000)
        var length = 0
        var previous: LSN?
        for (lsn, tag, payload) in records {
            length = block.withUnsafeMutableBytes { b in
                payload.withUnsafeBytes {
                    RecordBlock.write(lsnDelta: previous.map { lsn.rawValue - $0.rawValue } ?? 0, tag: tag, payload: $0, to: b.baseAddress!, at: length)
                }
            }
            previous = lsn
        }
        #expect(length == records.enumerated().map { i, r in
            RecordBlock.encodedSize(lsnDelta: i == 0 ? 0 : r.0.rawValue - records[i - 1].0.rawValue, payloadCount: r.2.count)
        }.reduce(0, +))
        var seen: [(LSN, UInt8, [UInt8])] = []
        let last = try block.withUnsafeBytes { b in
            try RecordBlock.forEach(in: UnsafeRawBufferPointer(rebasing: b[..<length]), firstLSN: LSN(10), count: 3) {
                seen.append(($0, $1, Array($2)))
            }
        }
        #expect(last == LSN(500))
        #expect(seen.map(\.0) == records.map(\.0))
        #expect(seen.map(\.1) == records.map(\.1))
        #expect(seen.map(\.2) == records.map(\.2))
    }

    @Test func rejectsMalformedBlocks() {
        func walk(_ bytes: [UInt8], count: UInt32) -> Bool {
            bytes.withUnsafeBytes { b in
                (try? RecordBlock.forEach(in: b, firstLSN: LSN(1), count: count) { _, _, _ in }) != nil
            }
        }
        #expect(walk([0, 7, 2, 0xAA, 0xBB], count: 1))
        #expect(!walk([0, 7, 2, 0xAA, 0xBB], count: 2), "fewer records than counted")
        #expect(!walk([0, 7, 2, 0xAA, 0xBB, 0xCC], count: 1), "bytes after the last record")
        #expect(!walk([0, 7, 3, 0xAA, 0xBB], count: 1), "length past the end")
        #expect(!walk([1, 7, 1, 0xAA], count: 1), "first delta must be 0")
        #expect(!walk([0, 7, 1, 0xAA, 0, 7, 1, 0xBB], count: 2), "later delta must be >= 1")
        #expect(!walk([0, 7], count: 1), "no length")
        #expect(!walk([0], count: 1), "no tag")
    }
}

@Suite struct FrameCodecTests {
    /// Encodes `batches` as one segment's frames, as the writer does.
    static func encode(_ batches: [[LogEntry]], with encoder: FrameEncoder) -> [UInt8] {
        var out = ByteBuffer(capacity: 1 << 16)
        var bytes: [UInt8] = []
        for batch in batches {
            let bound = batch.reduce(0) { $0 + $1.payload.count + RecordBlock.maxRecordOverhead }
            encoder.beginFrame(maxBlockLength: bound)
            for entry in batch { entry.payload.withUnsafeBytes { encoder.add(lsn: entry.lsn, tag: entry.tag, payload: $0) } }
            out.count = 0
            encoder.endFrame(into: &out)
            bytes += Array(out.bytes)
        }
        return bytes
    }

    /// Decodes frames back to back, checking each checksum; returns the headers and entries.
    static func decode(_ bytes: [UInt8], with decoder: FrameDecoder) throws -> (headers: [FrameHeader], entries: [LogEntry]) {
        var headers: [FrameHeader] = []
        var entries: [LogEntry] = []
        try bytes.withUnsafeBytes { b in
            var offset = 0
            while offset < b.count {
                let p = b.baseAddress! + offset
                let h = try FrameHeader.decode(p, maxRawLength: 1 << 28).get()
                let crcOffset = FrameHeader.size + Int(h.storedLength)
                #expect(CRC32C.checksum(UnsafeRawBufferPointer(start: p, count: crcOffset)) == p.le32(crcOffset))
                let block = try decoder.decode(h, payload: p + FrameHeader.size)
                _ = try RecordBlock.forEach(in: block, firstLSN: h.firstLSN, count: h.recordCount) {
                    entries.append(LogEntry(lsn: $0, tag: $1, payload: Array($2)))
                }
                headers.append(h)
                offset += h.frameLength
            }
        }
        return (headers, entries)
    }

    static func batches(count: Int, firstLSN: UInt64, _ rng: inout SeededGenerator) -> [[LogEntry]] {
        var lsn = firstLSN
        return (0..<count).map { i in
            let n = i % 5 == 0 ? Int.random(in: 2...20, using: &rng) : 1
            return (0..<n).map { _ in
                let size = Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 5_000...70_000, using: &rng) : Int.random(in: 1...400, using: &rng)
                let record = randomRecord(size: size, &rng)
                defer { lsn += UInt64.random(in: 1...3, using: &rng) }
                return LogEntry(lsn: LSN(lsn), tag: record.tag, payload: record.payload)
            }
        }
    }

    @Test func streamRoundTripAcrossManyFrames() throws {
        var rng = SeededGenerator(seed: 0xF4A3E)
        let batches = Self.batches(count: 600, firstLSN: 1, &rng)
        // A small encoder input makes it wrap (and save its dictionary) many times.
        let bytes = Self.encode(batches, with: FrameEncoder(maxBlockLength: 1 << 10))
        let decoded = try Self.decode(bytes, with: FrameDecoder(initialCapacity: 1 << 10))
        #expect(decoded.entries == batches.flatMap { $0 })
        let compressed = decoded.headers.filter(\.isCompressed).count
        #expect(compressed > 0, "text records compress")
        #expect(compressed < decoded.headers.count, "random records are stored raw")
    }

    @Test func incompressibleFramesAreStoredRaw() throws {
        var rng = SeededGenerator(seed: 0x4A3)
        let batches = (0..<50).map { i in [LogEntry(lsn: LSN(UInt64(i + 1)), tag: 9, payload: randomBytes(Int.random(in: 1...3000, using: &rng), &rng))] }
        let bytes = Self.encode(batches, with: FrameEncoder(maxBlockLength: 4096))
        let decoded = try Self.decode(bytes, with: FrameDecoder())
        #expect(decoded.headers.allSatisfy { !$0.isCompressed && $0.storedLength == $0.rawLength })
        #expect(decoded.entries == batches.flatMap { $0 })
    }

    /// Single small records compress only because each block may refer to the segment's earlier bytes.
    @Test func singleRecordFramesCompressAgainstTheStream() throws {
        var rng = SeededGenerator(seed: 0x57)
        let batches = (0..<200).map { i in [LogEntry(lsn: LSN(UInt64(i + 1)), tag: 1, payload: textBytes(200, &rng))] }
        let bytes = Self.encode(batches, with: FrameEncoder(maxBlockLength: 4096))
        let decoded = try Self.decode(bytes, with: FrameDecoder())
        #expect(decoded.entries == batches.flatMap { $0 })
        let later = decoded.headers.dropFirst(20)
        #expect(later.allSatisfy { $0.isCompressed })
        let stored = later.map { Int($0.storedLength) }.reduce(0, +)
        let raw = later.map { Int($0.rawLength) }.reduce(0, +)
        #expect(stored * 2 < raw)
    }

    /// A writer reopening a segment primes a fresh encoder with the decoder's history; a reader decoding the
    /// whole segment in one stream must read the frames of both writers.
    @Test(arguments: [1, 7, 150, 399])
    func resetContinuingHistory(split: Int) throws {
        var rng = SeededGenerator(seed: 0xC0 + UInt64(split))
        let batches = Self.batches(count: 400, firstLSN: 1, &rng)
        let first = Self.encode(Array(batches[..<split]), with: FrameEncoder(maxBlockLength: 1 << 12))
        let reader = FrameDecoder()
        let firstDecoded = try Self.decode(first, with: reader)
        #expect(firstDecoded.entries == batches[..<split].flatMap { $0 })
        #expect(reader.history.count <= FrameEncoder.window)
        let continued = FrameEncoder(maxBlockLength: 1 << 12)
        continued.reset(continuing: reader.history)
        let second = Self.encode(Array(batches[split...]), with: continued)
        let decoded = try Self.decode(first + second, with: FrameDecoder())
        #expect(decoded.entries == batches.flatMap { $0 })
    }

    /// `reset()` starts a new stream: what follows decodes with a decoder that was reset too.
    @Test func resetStartsAnIndependentStream() throws {
        var rng = SeededGenerator(seed: 0xE5E7)
        let batches = Self.batches(count: 60, firstLSN: 1, &rng)
        let encoder = FrameEncoder(maxBlockLength: 1 << 12)
        _ = Self.encode(Array(batches[..<30]), with: encoder)
        encoder.reset()
        let second = Self.encode(Array(batches[30...]), with: encoder)
        #expect(try Self.decode(second, with: FrameDecoder()).entries == batches[30...].flatMap { $0 })
    }
}

/// The recorded logs under `Fixtures/` (written by format version 1, never regenerated) must read back as they were
/// written: every later version of CairnLog reads version 1. Read-only: nothing in Fixtures/ is changed.
@Suite struct FixtureFormatTests {
    static let fixtures: String = {
        var url = URL(fileURLWithPath: #filePath)  // Tests/CairnLogTests/FormatTests.swift
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures").path
    }()

    /// Every directory under Fixtures/ that holds segments.
    static func logDirectories() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: fixtures) else { return [] }
        var directories = Set<String>()
        while let path = walker.nextObject() as? String {
            guard path.hasSuffix(".seg") else { continue }
            directories.insert(fixtures + "/" + (path as NSString).deletingLastPathComponent)
        }
        return directories.sorted()
    }

    @Test func recordedLogsReadBackUnchanged() throws {
        let directories = Self.logDirectories()
        try #require(directories.contains(Self.fixtures + "/format-v1"), "Fixtures/format-v1 is missing")
        for dir in directories {
            let before = try snapshot(dir)
            let report = try LogReader(directory: dir).verify()
            #expect(report.truncatedTail == nil, "\(dir): \(report)")
            #expect(report.recordCount > 0, "\(dir)")
            let entries = try readAll(dir)
            #expect(entries.count == report.recordCount)
            #expect(zip(entries, entries.dropFirst()).allSatisfy { $0.lsn < $1.lsn }, "\(dir)")
            // The format-compatibility log is version 1 for good; a replay fixture is in the version it was recorded
            // with (version 1 before version 2 existed, the current one since).
            let versions: Set<UInt16> = dir.hasSuffix("/format-v1") ? [1] : [1, SegmentHeader.currentVersion]
            for map in try segmentMaps(dir) { #expect(versions.contains(map.header.version), "\(map.path)") }
            #expect(try snapshot(dir) == before, "reading a fixture changed it")
        }
        // The frozen compatibility log reads back to exactly the records it was written with: pinned values, not
        // ones the reader under test computes for itself.
        let v1 = try readAll(Self.fixtures + "/format-v1")
        var bytes: [UInt8] = []
        for entry in v1 {
            withUnsafeBytes(of: entry.lsn.rawValue.littleEndian) { bytes += $0 }
            bytes.append(entry.tag)
            withUnsafeBytes(of: UInt32(entry.payload.count).littleEndian) { bytes += $0 }
            bytes += entry.payload
        }
        #expect(v1.count == 72)
        #expect(CRC32C.checksum(bytes) == 0x3779_AD28, "format-v1's records changed as read: a reader or format change")
    }
}
