/// The uncompressed body of a frame: its records back to back.
///
/// Each record is `varint lsnDelta, u8 tag, varint length, bytes`. The first record's delta is 0 (its LSN is the
/// frame's first LSN); every later delta is at least 1, so LSNs strictly increase and compaction can drop records
/// without renumbering the rest.
package enum RecordBlock {
    /// The most bytes one record can take in a block, beyond its payload.
    package static let maxRecordOverhead = 10 + 1 + 10

    /// Appends one record at `offset`; returns the new offset. The caller reserved enough room.
    @inline(__always)
    package static func write(
        lsnDelta: UInt64, tag: UInt8, payload: UnsafeRawBufferPointer, to p: UnsafeMutableRawPointer, at offset: Int
    ) -> Int {
        var o = offset
        o += p.setVarint(lsnDelta, o)
        p.storeBytes(of: tag, toByteOffset: o, as: UInt8.self)
        o += 1
        o += p.setVarint(UInt64(payload.count), o)
        if payload.count > 0 { (p + o).copyMemory(from: payload.baseAddress!, byteCount: payload.count) }
        return o + payload.count
    }

    /// The encoded size of one record.
    @inline(__always)
    package static func encodedSize(lsnDelta: UInt64, payloadCount: Int) -> Int {
        varintSize(lsnDelta) + 1 + varintSize(UInt64(payloadCount)) + payloadCount
    }

    /// Why a block's bytes do not parse (a checksummed frame should never fail this, unless written by a bug).
    package struct Malformed: Error, CustomStringConvertible {
        package var description: String
    }

    /// Walks the records of a block, checking structure: the count matches, LSNs increase, nothing runs past the
    /// end. Returns the last record's LSN.
    @inline(__always)
    package static func forEach(
        in block: UnsafeRawBufferPointer, firstLSN: LSN, count: UInt32,
        _ body: (LSN, UInt8, UnsafeRawBufferPointer) throws -> Void
    ) throws -> LSN {
        guard let p = block.baseAddress else { throw Malformed(description: "empty record block") }
        let end = block.count
        var o = 0
        var lsn = firstLSN.rawValue
        for i in 0..<count {
            guard let delta = readVarint(p, &o, end) else { throw Malformed(description: "record \(i): bad LSN delta") }
            if i == 0 {
                guard delta == 0 else { throw Malformed(description: "first record has LSN delta \(delta)") }
            } else {
                guard delta >= 1, lsn <= UInt64.max - delta else {
                    throw Malformed(description: "record \(i): LSN delta \(delta) does not increase")
                }
                lsn += delta
            }
            guard o < end else { throw Malformed(description: "record \(i): truncated tag") }
            let tag = p.load(fromByteOffset: o, as: UInt8.self)
            o += 1
            guard let length = readVarint(p, &o, end), length <= UInt64(end - o) else {
                throw Malformed(description: "record \(i): length runs past the block")
            }
            try body(LSN(lsn), tag, UnsafeRawBufferPointer(start: p + o, count: Int(length)))
            o += Int(length)
        }
        guard o == end else { throw Malformed(description: "\(end - o) bytes after the last record") }
        return LSN(lsn)
    }
}
