/// Little-endian loads and stores at byte offsets, and LEB128 varints: the whole vocabulary of the on-disk format.
extension UnsafeRawPointer {
    @inline(__always) func le16(_ offset: Int) -> UInt16 { loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian }
    @inline(__always) func le32(_ offset: Int) -> UInt32 { loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian }
    @inline(__always) func le64(_ offset: Int) -> UInt64 { loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian }
}

extension UnsafeMutableRawPointer {
    @inline(__always) func setLE16(_ value: UInt16, _ offset: Int) { storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt16.self) }
    @inline(__always) func setLE32(_ value: UInt32, _ offset: Int) { storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self) }
    @inline(__always) func setLE64(_ value: UInt64, _ offset: Int) { storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self) }

    /// Writes `value` as an unsigned LEB128 varint at `offset`; returns the number of bytes written (1...10).
    @inline(__always) func setVarint(_ value: UInt64, _ offset: Int) -> Int {
        var v = value
        var i = offset
        while v >= 0x80 {
            storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: i, as: UInt8.self)
            v >>= 7
            i += 1
        }
        storeBytes(of: UInt8(v), toByteOffset: i, as: UInt8.self)
        return i + 1 - offset
    }
}

/// The number of bytes `value` takes as a LEB128 varint.
@inline(__always) func varintSize(_ value: UInt64) -> Int {
    value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
}

/// Reads an unsigned LEB128 varint from `p[offset..<end]`; nil when it runs past `end` or over 10 bytes.
@inline(__always) func readVarint(_ p: UnsafeRawPointer, _ offset: inout Int, _ end: Int) -> UInt64? {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while offset < end {
        let byte = p.load(fromByteOffset: offset, as: UInt8.self)
        offset += 1
        if shift == 63 && byte > 1 { return nil }
        result |= UInt64(byte & 0x7F) << shift
        if byte < 0x80 { return result }
        shift += 7
        if shift > 63 { return nil }
    }
    return nil
}
