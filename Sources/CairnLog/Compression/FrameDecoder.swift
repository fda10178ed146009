import CLZ4

/// Decodes the frames of one segment in order, keeping the last 64 KiB of raw bytes that the next LZ4 block may
/// refer to (see ``FrameEncoder``).
///
/// Blocks are decompressed one after another into ``buffer``; when the next one does not fit, the last 64 KiB move
/// to the front. Not thread-safe: one per reader.
package final class FrameDecoder {
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var position = 0
    /// The raw length of the block decoded last (see ``discardLastBlock()``).
    private var lastBlockLength = 0

    /// The most raw bytes one stored byte of an LZ4 block can decompress to.
    package static let maxExpansion: UInt64 = 255

    /// `initialCapacity`: the raw bytes expected (a reader passes what its segment's size suggests); the buffer grows
    /// to whatever a block needs beside its 64 KiB of history.
    package init(initialCapacity: Int = 4 << 20) {
        capacity = max(initialCapacity, 1 << 12)
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Forgets the history: call at the start of every segment.
    package func reset() {
        position = 0
        lastBlockLength = 0
    }

    /// Takes the block decoded last back out of the history, for a frame found invalid after decoding (its records
    /// do not parse). Its bytes must not become the dictionary that a writer continuing the segment compresses
    /// against: once the frame is cut off, no reader has them.
    package func discardLastBlock() {
        position -= lastBlockLength
        lastBlockLength = 0
    }

    /// The last raw bytes decoded (at most 64 KiB): what an encoder continuing this segment must start from.
    package var history: UnsafeRawBufferPointer {
        let n = min(position, FrameEncoder.window)
        return UnsafeRawBufferPointer(start: buffer + (position - n), count: n)
    }

    /// The bytes reserved for raw blocks and their history: what damage must not be able to inflate.
    package var bufferCapacity: Int { capacity }

    /// The reason a payload did not decode although its checksum matched.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// Decodes one frame's payload; the returned block is valid until the next call.
    package func decode(_ header: FrameHeader, payload: UnsafeRawPointer) throws -> UnsafeRawBufferPointer {
        let raw = Int(header.rawLength)
        // An LZ4 block cannot expand more than 255-fold (a match-length byte adds at most 255 bytes). A raw length
        // beyond that is damage, and must not size the buffer: a few stored bytes would ask for 256 MiB.
        if header.isCompressed && UInt64(raw) > (UInt64(header.storedLength) + 1) * Self.maxExpansion {
            throw Failure(description: "a compressed block of \(header.storedLength) bytes cannot hold \(raw) raw bytes")
        }
        if position + raw > capacity {
            let keep = min(position, FrameEncoder.window)
            if keep + raw > capacity {
                let newCapacity = 2 * (keep + raw)
                let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
                grown.copyMemory(from: buffer + (position - keep), byteCount: keep)
                buffer.deallocate()
                buffer = grown
                capacity = newCapacity
            } else {
                buffer.copyMemory(from: buffer + (position - keep), byteCount: keep)
            }
            position = keep
        }
        let destination = buffer + position
        if header.isCompressed {
            let dictionarySize = min(position, FrameEncoder.window)
            let n = LZ4_decompress_safe_usingDict(
                payload.assumingMemoryBound(to: CChar.self),
                destination.assumingMemoryBound(to: CChar.self),
                Int32(header.storedLength), Int32(raw),
                UnsafePointer((destination - dictionarySize).assumingMemoryBound(to: CChar.self)),
                Int32(dictionarySize))
            guard n == Int32(raw) else {
                throw Failure(description: "LZ4 block did not decode to \(raw) bytes (result \(n))")
            }
        } else {
            destination.copyMemory(from: payload, byteCount: raw)
        }
        position += raw
        lastBlockLength = raw
        return UnsafeRawBufferPointer(start: destination, count: raw)
    }
}
