/// The 40 bytes at the start of every segment file (see the LogFormat article for the byte-by-byte layout).
///
/// ```
/// 0   8  magic "CAIRNSEG"
/// 8   2  format version (1)
/// 10  2  header length (40)
/// 12  4  flags (bit 0: the segment's frames form one LZ4 stream; always set in version 1)
/// 16  8  base LSN: every record in the segment has an LSN >= this
/// 24  8  replaces-until LSN: 0, or for a compaction output the exclusive end of the LSN range it replaces
/// 32  4  reserved, zero
/// 36  4  CRC-32C of bytes 0..<36
/// ```
package struct SegmentHeader: Equatable, Sendable {
    package static let size = 40
    package static let magic: [UInt8] = Array("CAIRNSEG".utf8)
    /// The version this code writes, and the newest it reads.
    package static let currentVersion: UInt16 = 1
    package static let flagStreamed: UInt32 = 1

    package var version: UInt16 = SegmentHeader.currentVersion
    package var flags: UInt32 = SegmentHeader.flagStreamed
    package var baseLSN: LSN
    /// Non-zero only in a segment written by compaction: later segments whose base is below this are leftovers of
    /// that compaction, fully contained in this one.
    package var replacesUntil: UInt64 = 0

    package init(baseLSN: LSN, replacesUntil: UInt64 = 0) {
        self.baseLSN = baseLSN
        self.replacesUntil = replacesUntil
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

    package static func decode(_ b: UnsafeRawBufferPointer) -> Result<SegmentHeader, DecodeFailure> {
        guard b.count >= size else { return .failure(.tooShort) }
        let p = b.baseAddress!
        for (i, m) in magic.enumerated() where p.load(fromByteOffset: i, as: UInt8.self) != m {
            return .failure(.badMagic)
        }
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<36])) == p.le32(36) else {
            return .failure(.badChecksum)
        }
        let version = p.le16(8)
        guard version <= currentVersion else { return .failure(.newerVersion(version)) }
        guard version >= 1 else { return .failure(.badLayout("format version 0")) }
        guard Int(p.le16(10)) == size else { return .failure(.badLayout("header length \(p.le16(10))")) }
        let flags = p.le32(12)
        guard flags == flagStreamed else { return .failure(.badLayout("flags \(flags)")) }
        var header = SegmentHeader(baseLSN: LSN(p.le64(16)), replacesUntil: p.le64(24))
        header.version = version
        header.flags = flags
        guard header.baseLSN.rawValue >= 1 else { return .failure(.badLayout("base LSN 0")) }
        return .success(header)
    }
}
