/// The 28-byte header of a frame, the unit of one group commit (see the LogFormat article).
///
/// ```
/// 0   4  magic "CFRM"
/// 4   2  flags (bit 0: payload is an LZ4 block of the segment's stream; clear: stored raw. bit 1: a seal)
/// 6   2  commit index: the frame's index within its group commit (0 for the first frame of a commit)
/// 8   4  stored length: payload bytes on disk
/// 12  4  raw length: the record block's length once decompressed
/// 16  4  record count (>= 1)
/// 20  8  first LSN: the LSN of the frame's first record
/// 28  .  payload (stored length bytes)
/// ..  4  CRC-32C of header and payload (version 2: continuing ``SegmentHeader/checksumSeed(at:)``)
/// ```
/// A *seal* (version 2) has flags `2`, no payload and no records (stored and raw length 0, record count 0); its
/// first LSN is the base of the segment that follows. It is the last frame of a segment sealed by a roll.
/// A frame whose 28 header bytes are all zero marks the end of data: segments are pre-filled with zeros. A raw frame's
/// stored length equals its raw length; a compressed frame's is smaller (else it would have been stored raw).
package struct FrameHeader: Equatable, Sendable {
    package static let size = 28
    package static let trailerSize = 4
    package static let overhead = size + trailerSize
    package static let magic: UInt32 = 0x4D52_4643  // "CFRM" read as little-endian
    package static let flagCompressed: UInt16 = 1
    package static let flagSeal: UInt16 = 2

    package var flags: UInt16
    package var storedLength: UInt32
    package var rawLength: UInt32
    package var recordCount: UInt32
    package var firstLSN: LSN
    /// The frame's index within the group commit that wrote it (saturating at 65535). Recovery uses it to tell a
    /// torn multi-frame commit (later frames of the same write reached the disk, an earlier one did not) from
    /// damage to acknowledged data: a commit starts only after the previous one was synced.
    package var commitIndex: UInt16 = 0

    package var isCompressed: Bool { flags & Self.flagCompressed != 0 }
    /// A seal: the segment ends here, and the next one's base is ``firstLSN``.
    package var isSeal: Bool { flags == Self.flagSeal }

    /// The seal of a segment whose successor starts at `nextBase`.
    package static func seal(nextBase: LSN) -> FrameHeader {
        FrameHeader(flags: flagSeal, storedLength: 0, rawLength: 0, recordCount: 0, firstLSN: nextBase)
    }
    /// Header, payload and checksum.
    package var frameLength: Int { Self.overhead + Int(storedLength) }

    package init(
        flags: UInt16, storedLength: UInt32, rawLength: UInt32, recordCount: UInt32, firstLSN: LSN, commitIndex: UInt16 = 0
    ) {
        self.commitIndex = commitIndex
        self.flags = flags
        self.storedLength = storedLength
        self.rawLength = rawLength
        self.recordCount = recordCount
        self.firstLSN = firstLSN
    }

    package func write(to p: UnsafeMutableRawPointer) {
        p.setLE32(Self.magic, 0)
        p.setLE16(flags, 4)
        p.setLE16(commitIndex, 6)
        p.setLE32(storedLength, 8)
        p.setLE32(rawLength, 12)
        p.setLE32(recordCount, 16)
        p.setLE64(firstLSN.rawValue, 20)
    }

    /// Why the bytes at a frame position are not a frame.
    package enum DecodeFailure: Error, Equatable {
        /// All 28 header bytes are zero: the end of the data in a pre-filled segment.
        case zeroes
        case badMagic
        case badField(String)
    }

    /// Reads a header; checks only what can be checked without the payload (the CRC covers the rest).
    package static func decode(_ p: UnsafeRawPointer, maxRawLength: Int) -> Result<FrameHeader, DecodeFailure> {
        let magic = p.le32(0)
        if magic != Self.magic {
            if magic == 0 && p.le64(4) == 0 && p.le64(12) == 0 && p.le64(20) == 0 { return .failure(.zeroes) }
            return .failure(.badMagic)
        }
        let h = FrameHeader(
            flags: p.le16(4), storedLength: p.le32(8), rawLength: p.le32(12), recordCount: p.le32(16),
            firstLSN: LSN(p.le64(20)), commitIndex: p.le16(6))
        if h.isSeal {
            guard h.recordCount == 0, h.storedLength == 0, h.rawLength == 0 else {
                return .failure(.badField("seal with a payload"))
            }
            if h.firstLSN.rawValue == 0 { return .failure(.badField("first LSN 0")) }
            return .success(h)
        }
        if h.flags & ~Self.flagCompressed != 0 { return .failure(.badField("flags")) }
        if h.recordCount == 0 { return .failure(.badField("record count 0")) }
        if Int(h.rawLength) > maxRawLength { return .failure(.badField("raw length \(h.rawLength)")) }
        // The encoder stores a block compressed only when that makes it smaller: a compressed frame no smaller than
        // its records is damage, and must not size a read (a flipped top bit would ask for gigabytes).
        if h.isCompressed ? h.storedLength >= h.rawLength : h.storedLength != h.rawLength {
            return .failure(.badField("stored length"))
        }
        if h.firstLSN.rawValue == 0 { return .failure(.badField("first LSN 0")) }
        return .success(h)
    }
}
