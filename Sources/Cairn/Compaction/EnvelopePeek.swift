import CairnLog

/// A look at an event envelope without decoding it: checks its structure as ``Event/init(lsn:tag:bytes:)`` does,
/// but allocates nothing, and says where the workflow ID, the target and the payload lie.
///
/// Compaction's predicate, `cairn verify` and `cairn show` run it on every record; a full decode (strings, a
/// payload copy) is kept for the records they actually need.
package struct EnvelopePeek {
    /// The event's kind (the record's tag).
    package var kind: EventKind
    /// The bytes of the workflow ID.
    package var workflowID: Range<Int>
    /// The bytes of the target workflow ID, when the event has one.
    package var target: Range<Int>?
    /// Whether the event has a position (an operation of a workflow's code).
    package var hasPosition: Bool
    /// The bytes of the payload (the rest of the record).
    package var payload: Range<Int>

    /// Why an envelope could not be read.
    package struct Malformed: Error, CustomStringConvertible {
        package var description: String
    }

    /// Reads the envelope of a record.
    /// - Throws: ``Malformed`` with the reason, when the tag or the envelope is not one this Cairn reads.
    package init(tag: UInt8, bytes b: UnsafeRawBufferPointer) throws(Malformed) {
        guard let kind = EventKind(rawValue: tag) else { throw Malformed(description: "unknown event kind \(tag)") }
        self.kind = kind
        var o = 0
        func byte() throws(Malformed) -> UInt8 {
            guard o < b.count else { throw Malformed(description: "the \(kind) event's envelope ends early") }
            defer { o += 1 }
            return b[o]
        }
        func varint() throws(Malformed) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let v = try byte()
                result |= UInt64(v & 0x7F) << shift
                if v < 0x80 { return result }
                shift += 7
                guard shift < 64 else { throw Malformed(description: "a varint of the \(kind) event is too long") }
            }
        }
        func string() throws(Malformed) -> Range<Int> {
            let n = try varint()
            guard n <= UInt64(b.count - o) else {
                throw Malformed(description: "a string of the \(kind) event runs past its end")
            }
            defer { o += Int(n) }
            return o..<o + Int(n)
        }
        func position() throws(Malformed) {
            let depth = try varint()
            guard depth <= 64 else { throw Malformed(description: "a position of the \(kind) event is \(depth) levels deep") }
            for _ in 0..<depth {
                guard try varint() <= UInt64(UInt32.max) else {
                    throw Malformed(description: "a position index of the \(kind) event overflows")
                }
            }
        }
        let version = try byte()
        guard version >= 1, version <= Event.envelopeVersion else {
            throw Malformed(description: "envelope version \(version) of the \(kind) event is not one this Cairn reads")
        }
        let presence = try varint()
        guard presence >> 10 == 0 else { throw Malformed(description: "the \(kind) event has fields this Cairn does not know") }
        workflowID = try string()
        hasPosition = presence & 1 != 0
        if hasPosition { try position() }
        _ = try string()
        if presence & (1 << 1) != 0 {
            _ = try string()
            _ = try varint()
        }
        _ = try varint()
        if presence & (1 << 2) != 0 {
            guard o + 8 <= b.count else { throw Malformed(description: "the \(kind) event ends inside a digest") }
            o += 8
        }
        target = presence & (1 << 3) != 0 ? try string() : nil
        if presence & (1 << 4) != 0 { _ = try varint() }
        if presence & (1 << 5) != 0 { _ = try varint() }
        if presence & (1 << 6) != 0 { _ = try string() }
        if presence & (1 << 7) != 0 { try position() }
        if presence & (1 << 8) != 0 { _ = try byte() }
        if presence & (1 << 9) != 0 { _ = try string() }
        payload = o..<b.count
    }

    /// The workflow ID as a string.
    package static func string(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Whether the bytes at `range` are `utf8`.
    package static func equals(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer, _ utf8: [UInt8]) -> Bool {
        guard range.count == utf8.count else { return false }
        return utf8.withUnsafeBytes { u in
            u.count == 0 || memcmp(bytes.baseAddress! + range.lowerBound, u.baseAddress!, u.count) == 0
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
