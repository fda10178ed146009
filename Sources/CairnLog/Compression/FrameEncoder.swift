import CLZ4

/// Builds frames for one segment: records in, checksummed (and, when it pays, LZ4-compressed) frame bytes out.
///
/// All frames of a segment form one LZ4 stream: each block may refer back to the previous 64 KiB of the segment's
/// raw record bytes. That is what makes one small record per group commit compress (a 200-byte workflow event on
/// its own does not shrink; with the segment's recent history as dictionary it shrinks ~2.5x). The price is paid by
/// readers, who must decode a segment's frames in order from its start — which every reader does anyway.
///
/// The raw bytes of recent blocks must stay where LZ4 saw them, so they are written into ``input`` one after
/// another; when the next block does not fit, the last 64 KiB are saved with `LZ4_saveDict` and writing restarts at
/// the front. Not thread-safe: owned by the writer thread (or a compaction).
package final class FrameEncoder {
    package static let window = 64 * 1024

    private let stream: UnsafeMutablePointer<LZ4_stream_t>
    private var input: UnsafeMutableRawPointer
    private var inputCapacity: Int
    private var inputPosition = 0
    private let savedDictionary: UnsafeMutableRawPointer
    /// Where the record block of the frame being built is written; valid between ``beginFrame`` and ``endFrame``.
    private var block: UnsafeMutableRawPointer?
    private var blockLength = 0
    private var blockCount: UInt32 = 0
    private var blockFirstLSN = LSN(0)
    private var blockLastLSN = LSN(0)

    /// Creates an encoder able to build frames of up to `maxBlockLength` raw bytes (it grows if asked for more).
    package init(maxBlockLength: Int) {
        stream = LZ4_createStream()
        inputCapacity = max(4 * maxBlockLength, 4 << 20)
        input = .allocate(byteCount: inputCapacity, alignment: 16)
        savedDictionary = .allocate(byteCount: Self.window, alignment: 16)
    }

    deinit {
        LZ4_freeStream(stream)
        input.deallocate()
        savedDictionary.deallocate()
    }

    /// Starts a new stream: call at the start of every segment.
    package func reset() {
        LZ4_resetStream_fast(stream)
        inputPosition = 0
    }

    /// Starts a new stream that continues after `history`, the last raw bytes of a segment reopened for appending.
    package func reset(continuing history: UnsafeRawBufferPointer) {
        reset()
        let n = min(history.count, Self.window)
        guard n > 0 else { return }
        savedDictionary.copyMemory(from: history.baseAddress! + (history.count - n), byteCount: n)
        _ = LZ4_loadDict(stream, savedDictionary.assumingMemoryBound(to: CChar.self), Int32(n))
    }

    /// Starts a frame whose record block will take at most `maxBlockLength` bytes.
    package func beginFrame(maxBlockLength: Int) {
        if inputPosition + maxBlockLength > inputCapacity {
            if maxBlockLength > inputCapacity {
                // A record larger than any seen: grow. The old bytes the stream refers to are saved first.
                _ = LZ4_saveDict(stream, savedDictionary.assumingMemoryBound(to: CChar.self), Int32(Self.window))
                input.deallocate()
                inputCapacity = 2 * maxBlockLength
                input = .allocate(byteCount: inputCapacity, alignment: 16)
            } else if inputPosition > 0 {
                _ = LZ4_saveDict(stream, savedDictionary.assumingMemoryBound(to: CChar.self), Int32(Self.window))
            }
            inputPosition = 0
        }
        block = input + inputPosition
        blockLength = 0
        blockCount = 0
    }

    /// Adds a record to the frame begun last.
    @inline(__always)
    package func add(lsn: LSN, tag: UInt8, payload: UnsafeRawBufferPointer) {
        let delta = blockCount == 0 ? 0 : lsn.rawValue - blockLastLSN.rawValue
        if blockCount == 0 { blockFirstLSN = lsn }
        blockLength = RecordBlock.write(lsnDelta: delta, tag: tag, payload: payload, to: block!, at: blockLength)
        blockCount += 1
        blockLastLSN = lsn
    }

    /// Appends the seal of a segment whose successor starts at `nextBase` (see ``FrameHeader/seal(nextBase:)``).
    package static func seal(nextBase: LSN, into out: inout ByteBuffer, checksumSeed: UInt32) {
        let start = out.count
        out.reserve(FrameHeader.overhead)
        let base = out.base + start
        FrameHeader.seal(nextBase: nextBase).write(to: base)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: base, count: FrameHeader.size), continuing: checksumSeed)
        (base + FrameHeader.size).setLE32(crc, 0)
        out.count = start + FrameHeader.overhead
    }

    /// The most bytes ``endFrame(into:)`` can append for a block of `blockLength` raw bytes.
    package static func maxFrameLength(blockLength: Int) -> Int {
        FrameHeader.overhead + Int(LZ4_compressBound(Int32(blockLength)))
    }

    /// Compresses the frame's block and appends the whole frame to `out`. Returns the raw block length.
    /// `checksumSeed` binds the frame to its segment and offset (``SegmentHeader/checksumSeed(at:)``; 0 in
    /// version 1).
    @discardableResult
    package func endFrame(into out: inout ByteBuffer, commitIndex: UInt16 = 0, checksumSeed: UInt32 = 0) -> Int {
        precondition(blockCount > 0, "a frame needs at least one record")
        let rawLength = blockLength
        let start = out.count
        out.reserve(Self.maxFrameLength(blockLength: rawLength))
        let base = out.base + start
        let payload = base + FrameHeader.size
        let compressed = LZ4_compress_fast_continue(
            stream,
            UnsafePointer(block!.assumingMemoryBound(to: CChar.self)),
            payload.assumingMemoryBound(to: CChar.self),
            Int32(rawLength), LZ4_compressBound(Int32(rawLength)), 1)
        let header: FrameHeader
        if compressed > 0 && Int(compressed) < rawLength {
            header = FrameHeader(
                flags: FrameHeader.flagCompressed, storedLength: UInt32(compressed), rawLength: UInt32(rawLength),
                recordCount: blockCount, firstLSN: blockFirstLSN, commitIndex: commitIndex)
        } else {
            // Stored raw; the stream has still seen these bytes, so later blocks may refer to them either way.
            payload.copyMemory(from: block!, byteCount: rawLength)
            header = FrameHeader(
                flags: 0, storedLength: UInt32(rawLength), rawLength: UInt32(rawLength), recordCount: blockCount,
                firstLSN: blockFirstLSN, commitIndex: commitIndex)
        }
        header.write(to: base)
        let crcOffset = FrameHeader.size + Int(header.storedLength)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: base, count: crcOffset), continuing: checksumSeed)
        (base + crcOffset).setLE32(crc, 0)
        out.count = start + header.frameLength
        inputPosition += rawLength
        block = nil
        return rawLength
    }
}
