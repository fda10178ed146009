import CairnLog

/// A fuzzed segment file: the input's first byte holds options, the rest is the file's bytes.
///
/// With option bit 0 set, the checksums are made right before the file is written (the segment header's and every
/// frame's that the walk reaches), so mutations reach the decompressor and the record parser instead of stopping at
/// a checksum mismatch; with it clear, the bytes are written as they are, which exercises the checksum paths and
/// the search for a later commit.
struct SegmentImage {
    /// The bytes of the file.
    var bytes: [UInt8]
    var options: UInt8

    init(_ input: UnsafeRawBufferPointer) {
        options = input.first ?? 0
        bytes = input.count > 1 ? Array(input[1...]) : []
        if options & 1 != 0 { fixChecksums() }
    }

    /// The segment file name a log would give this image: from the header's base LSN when the header reads.
    var fileName: String {
        let base: LSN
        switch bytes.withUnsafeBytes({ SegmentHeader.decode($0) }) {
        case .success(let header): base = header.baseLSN
        case .failure: base = LSN(1)
        }
        return LogDirectory.segmentName(base: base)
    }

    /// The seed form of a segment file: options byte, then its bytes.
    static func input(file: [UInt8], fixChecksums: Bool = true) -> [UInt8] { [fixChecksums ? 1 : 0] + file }

    private mutating func fixChecksums() {
        bytes.withUnsafeMutableBytes { b in
            guard b.count >= SegmentHeader.size, let p = b.baseAddress else { return }
            let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(start: p, count: SegmentHeader.size - 4))
            storeLE32(headerCRC, p + SegmentHeader.size - 4)
            // Frames' checksums start from the segment's seed (its salt and the frame's offset, from version 2).
            guard case .success(let segment) = SegmentHeader.decode(UnsafeRawBufferPointer(b)) else { return }
            var offset = SegmentHeader.size
            while offset + FrameHeader.size <= b.count {
                guard case .success(let frame) = FrameHeader.decode(
                    UnsafeRawPointer(p + offset), maxRawLength: SegmentReader.maxRawLength),
                    frame.frameLength <= b.count - offset
                else { return }
                let covered = FrameHeader.size + Int(frame.storedLength)
                let crc = CRC32C.checksum(
                    UnsafeRawBufferPointer(start: p + offset, count: covered),
                    continuing: segment.checksumSeed(at: Int64(offset)))
                storeLE32(crc, p + offset + covered)
                offset += frame.frameLength
            }
        }
    }
}

func storeLE32(_ value: UInt32, _ p: UnsafeMutableRawPointer) {
    p.storeBytes(of: value.littleEndian, as: UInt32.self)
}

func loadLE32(_ p: UnsafeRawPointer) -> UInt32 { UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)) }

func loadLE64(_ p: UnsafeRawPointer) -> UInt64 { UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)) }
