import Testing

@testable import CairnLog

/// Found by `cairn-fuzz` (target `frame`): a compressed frame header asking for far more raw bytes than its stored
/// bytes can hold made the decoder allocate for it (256 MiB from an 83-byte frame) before LZ4 refused the block.
@Suite struct FrameDecoderLimitTests {
    @Test func refusesAnImpossibleExpansionBeforeAllocating() throws {
        let decoder = FrameDecoder(initialCapacity: 0)
        let before = decoder.bufferCapacity
        let header = FrameHeader(
            flags: FrameHeader.flagCompressed, storedLength: 83, rawLength: 128 << 20, recordCount: 1, firstLSN: LSN(1))
        let payload = [UInt8](repeating: 0x1F, count: 83)
        #expect(throws: FrameDecoder.Failure.self) {
            _ = try payload.withUnsafeBytes { try decoder.decode(header, payload: $0.baseAddress!) }
        }
        #expect(decoder.bufferCapacity == before, "the decoder grew to \(decoder.bufferCapacity) bytes for a frame it refused")
    }

    /// The bound is LZ4's own: the most compressible block the writer can produce (zeros) still decodes.
    @Test func decodesTheMostCompressibleBlock() throws {
        let entries = [LogEntry(lsn: LSN(1), tag: 1, payload: [UInt8](repeating: 0, count: 4 << 20))]
        let bytes = FrameCodecTests.encode([entries], with: FrameEncoder(maxBlockLength: 8 << 20))
        let header = try bytes.withUnsafeBytes { try FrameHeader.decode($0.baseAddress!, maxRawLength: 1 << 28).get() }
        #expect(header.isCompressed && header.rawLength > 200 * header.storedLength, "zeros compressed only \(header.rawLength / header.storedLength)-fold")
        let decoded = try FrameCodecTests.decode(bytes, with: FrameDecoder())
        #expect(decoded.entries == entries)
    }
}
