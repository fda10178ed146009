/// The 40 bytes at the start of every segment file (see the LogFormat article for the byte-by-byte layout).
///
/// ```
/// 0   8  magic "CAIRNSEG"
/// 8   2  format version (1 or 2)
/// 10  2  header length (40)
/// 12  4  flags (bit 0: the segment's frames form one LZ4 stream; always set)
/// 16  8  base LSN: every record in the segment has an LSN >= this
/// 24  8  replaces-until LSN: 0, or for a compaction output the exclusive end of the LSN range it replaces
/// 32  4  version 2: the segment's salt, mixed into every frame's CRC; version 1: reserved, zero
/// 36  4  CRC-32C of bytes 0..<36
/// ```
package struct SegmentHeader: Equatable, Sendable {
    package static let size = 40
    package static let magic: [UInt8] = Array("CAIRNSEG".utf8)
    /// The version this code writes, and the newest it reads.
    package static let currentVersion: UInt16 = 2
    package static let flagStreamed: UInt32 = 1

    package var version: UInt16
    package var flags: UInt32 = SegmentHeader.flagStreamed
    package var baseLSN: LSN
    /// Non-zero only in a segment written by compaction: later segments whose base is below this are leftovers of
    /// that compaction, fully contained in this one.
    package var replacesUntil: UInt64 = 0
    /// Version 2: a random number chosen when the segment is created. Every frame's checksum covers it and the
    /// frame's offset, so that bytes which merely look like a frame — a frame image inside a record's payload, a
    /// frame of another segment or of another position — never verify (see ``checksumSeed(at:)``).
    package var salt: UInt32 = 0

    /// A version-1 header (no salt: frames carry a plain CRC-32C). What logs written before version 2 hold; new
    /// segments are made with ``fresh(baseLSN:replacesUntil:)``.
    package init(baseLSN: LSN, replacesUntil: UInt64 = 0) {
        self.version = 1
        self.baseLSN = baseLSN
        self.replacesUntil = replacesUntil
    }

    /// A version-2 header with the given salt.
    package init(baseLSN: LSN, replacesUntil: UInt64 = 0, salt: UInt32) {
        self.version = 2
        self.baseLSN = baseLSN
        self.replacesUntil = replacesUntil
        self.salt = salt
    }

    /// The header of a segment being created: the current version with a fresh random salt.
    package static func fresh(baseLSN: LSN, replacesUntil: UInt64 = 0) -> SegmentHeader {
        var generator = SystemRandomNumberGenerator()
        return SegmentHeader(baseLSN: baseLSN, replacesUntil: replacesUntil, salt: generator.next())
    }

    /// What a frame's CRC-32C at `offset` in this segment starts from: for version 2 the CRC-32C of the salt and
    /// the offset (4 and 8 bytes, little-endian), which the frame's header and payload then continue; for
    /// version 1, nothing (a plain CRC-32C).
    package func checksumSeed(at offset: Int64) -> UInt32 {
        guard version >= 2 else { return 0 }
        let seed = withUnsafeBytes(of: salt.littleEndian) { CRC32C.checksum($0) }
        return withUnsafeBytes(of: UInt64(bitPattern: offset).littleEndian) { CRC32C.checksum($0, continuing: seed) }
    }

    package func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        bytes.withUnsafeMutableBytes { b in
            let p = b.baseAddress!
            for (i, m) in Self.magic.enumerated() { p.storeBytes(of: m, toByteOffset: i, as: UInt8.self) }
            p.setLE16(version, 8)
            p.setLE16(UInt16(Self.size), 10)
            p.setLE32(flags, 12)
            p.setLE64(baseLSN.rawValue, 16)
            p.setLE64(replacesUntil, 24)
            p.setLE32(version >= 2 ? salt : 0, 32)
            p.setLE32(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<36])), 36)
        }
        return bytes
    }

    /// Why a header could not be read.
    package enum DecodeFailure: Error, Equatable {
        case tooShort
        case badMagic
        case badChecksum
        case newerVersion(UInt16)
        case badLayout(String)
    }

    /// Whether the header's checksum matches with `version` in place of its version field.
    private static func checksumMatches(_ b: UnsafeRawBufferPointer, version: UInt16) -> Bool {
        var copy = Array(b[0..<36])
        copy[8] = UInt8(truncatingIfNeeded: version)
        copy[9] = UInt8(truncatingIfNeeded: version >> 8)
        return CRC32C.checksum(copy) == b.baseAddress!.le32(36)
    }

    package static func decode(_ b: UnsafeRawBufferPointer) -> Result<SegmentHeader, DecodeFailure> {
        guard b.count >= size else { return .failure(.tooShort) }
        let p = b.baseAddress!
        for (i, m) in magic.enumerated() where p.load(fromByteOffset: i, as: UInt8.self) != m {
            return .failure(.badMagic)
        }
        // The version before the checksum: a newer version may lay out (and checksum) its header differently, and
        // must be refused as such, not as damage. Unless the header is one of ours with a damaged version field:
        // put back a version this code writes and the checksum matches.
        let version = p.le16(8)
        let checksummed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<36])) == p.le32(36)
        if version > currentVersion {
            if !checksummed && (1...currentVersion).contains(where: { checksumMatches(b, version: $0) }) {
                return .failure(.badChecksum)
            }
            return .failure(.newerVersion(version))
        }
        guard checksummed else { return .failure(.badChecksum) }
        guard version >= 1 else { return .failure(.badLayout("format version 0")) }
        guard Int(p.le16(10)) == size else { return .failure(.badLayout("header length \(p.le16(10))")) }
        let flags = p.le32(12)
        guard flags == flagStreamed else { return .failure(.badLayout("flags \(flags)")) }
        // Version 1's reserved bytes are not read: its frames carry a plain CRC whatever they hold.
        var header = version >= 2
            ? SegmentHeader(baseLSN: LSN(p.le64(16)), replacesUntil: p.le64(24), salt: p.le32(32))
            : SegmentHeader(baseLSN: LSN(p.le64(16)), replacesUntil: p.le64(24))
        header.flags = flags
        guard header.baseLSN.rawValue >= 1 else { return .failure(.badLayout("base LSN 0")) }
        return .success(header)
    }
}
