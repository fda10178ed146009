/// Reads the envelope's wire types (``EnvelopeField/Wire``) from raw bytes without bounds-check traps: every read
/// says whether it fit, and a refusal names its reason in ``failure`` (nil: the bytes ended early).
///
/// The only reader of envelope bytes: ``EnvelopePeek`` walks an envelope with it, and ``Event``'s decoder and
/// ``EventEnvelope`` read the positions and call sites the peek located with it, so every limit below holds
/// everywhere an envelope is read.
struct EnvelopeCursor {
    let base: UnsafeRawPointer?
    let count: Int
    var offset: Int
    var failure: String?

    /// The deepest position an envelope may hold.
    static let maxDepth: UInt64 = 64

    init(_ bytes: UnsafeRawBufferPointer, from offset: Int = 0) {
        base = bytes.baseAddress
        count = bytes.count
        self.offset = offset
    }

    @inline(__always) mutating func byte() -> UInt8? {
        guard offset < count else { return nil }
        defer { offset += 1 }
        return base!.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// An unsigned LEB128 varint: at most 10 bytes, and the 10th may only hold the 64th bit.
    @inline(__always) mutating func varint() -> UInt64? {
        guard offset < count else { return nil }
        let first = base!.load(fromByteOffset: offset, as: UInt8.self)
        offset += 1
        if first < 0x80 { return UInt64(first) }  // most are: lengths, depths, indices, the presence bits
        var result = UInt64(first & 0x7F)
        var shift: UInt64 = 7
        while offset < count {
            let v = base!.load(fromByteOffset: offset, as: UInt8.self)
            offset += 1
            result |= UInt64(v & 0x7F) << shift
            if v < 0x80 {
                // Checked on the last byte only, off the loop: the 10th byte may hold the 64th bit and no more.
                guard shift < 63 || v <= 1 else {
                    failure = "a varint overflows 64 bits"
                    return nil
                }
                return result
            }
            shift += 7
            if shift >= 64 {
                failure = "a varint is too long"
                return nil
            }
        }
        return nil
    }

    /// A string's bytes: a varint length, then that many bytes.
    @inline(__always) mutating func string() -> Range<Int>? {
        guard let n = varint() else { return nil }
        guard n <= UInt64(count - offset) else {
            failure = "a string runs past the end"
            return nil
        }
        defer { offset += Int(n) }
        return offset..<offset + Int(n)
    }

    /// Skips `n` bytes of a fixed-size field named `what`.
    @inline(__always) mutating func skip(_ n: Int, _ what: String) -> Bool {
        guard n <= count - offset else {
            failure = "it ends inside \(what)"
            return false
        }
        offset += n
        return true
    }

    /// A position's index, at most `UInt32.max`.
    @inline(__always) mutating func index() -> UInt32? {
        guard let index = varint() else { return nil }
        guard index <= UInt64(UInt32.max) else {
            failure = "a position index overflows"
            return nil
        }
        return UInt32(index)
    }

    /// A position's depth, at most ``maxDepth``.
    @inline(__always) mutating func depth() -> Int? {
        guard let depth = varint() else { return nil }
        guard depth <= Self.maxDepth else {
            failure = "a position is \(depth) levels deep"
            return nil
        }
        return Int(depth)
    }

    /// Checks a position and steps over it.
    @inline(__always) mutating func skipPosition() -> Bool {
        guard let depth = depth() else { return false }
        for _ in 0..<depth {
            guard index() != nil else { return false }
        }
        return true
    }

    /// Reads a position.
    mutating func position() -> Position? {
        guard let depth = depth() else { return nil }
        if depth == 1 { return index().map { Position(prefix: [], index: $0) } }  // most are: no array
        var path: [UInt32] = []
        path.reserveCapacity(depth)
        for _ in 0..<depth {
            guard let index = index() else { return nil }
            path.append(index)
        }
        return Position(path)
    }

    /// A call site's line, at most `Int.max`.
    @inline(__always) mutating func line() -> Int? {
        guard let line = varint() else { return nil }
        guard line <= UInt64(Int.max) else {
            failure = "a line number overflows"
            return nil
        }
        return Int(line)
    }

    /// A little-endian 8-byte value.
    mutating func u64() -> UInt64? {
        guard 8 <= count - offset else {
            failure = "it ends inside a digest"
            return nil
        }
        defer { offset += 8 }
        return UInt64(littleEndian: base!.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
