import CairnLog
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A look at an event envelope without decoding it: checks its structure as ``Event/init(lsn:tag:bytes:)`` does,
/// but allocates nothing, and says where the workflow ID, the target and the payload lie.
///
/// The projection's rebuild (through ``EventEnvelope``), compaction's planner, `cairn verify` and `cairn show` run
/// it on every record; a full decode (strings, a payload copy) is kept for the records they actually need. It must
/// refuse exactly what the full decode refuses: a record the projection accepted at open is decoded later, when a
/// replay needs it.
package struct EnvelopePeek {
    /// The event's kind (the record's tag).
    package let kind: EventKind
    /// The kind-specific flags.
    package private(set) var flags: Event.Flags = []
    /// The event's time, nanoseconds since 1970.
    package private(set) var time: Int64 = 0
    private var numberValue: UInt64 = 0
    private var hasNumber = false
    private var deadlineValue: Int64 = 0
    private var hasDeadline = false
    // Where the fields lie, 8 bytes each (a record is at most 64 MiB): the projection's rebuild copies a peek a few
    // times per event, and with `Range<Int>?` fields it was 250 bytes.
    private var workflowIDSpan = Span.absent
    private var targetSpan = Span.absent
    private var positionSpan = Span.absent
    private var nameSpan = Span.absent
    private var errorTypeSpan = Span.absent
    private var parentPositionSpan = Span.absent
    private var idempotencyKeySpan = Span.absent
    private var payloadSpan = Span.absent

    /// The bytes of the workflow ID.
    package var workflowID: Range<Int> { workflowIDSpan.range }
    /// The bytes of the target workflow ID, when the event has one.
    package var target: Range<Int>? { targetSpan.optional }
    /// The bytes of the position (its depth and indices, as encoded), when the event has one: an operation of a
    /// workflow's code.
    package var position: Range<Int>? { positionSpan.optional }
    /// Whether the event has a position (an operation of a workflow's code).
    package var hasPosition: Bool { positionSpan.isPresent }
    /// The bytes of the name.
    package var name: Range<Int> { nameSpan.range }
    /// The bytes of the error type, when the event has one.
    package var errorType: Range<Int>? { errorTypeSpan.optional }
    /// The event's number (a received message's ID, ...), when it has one.
    package var number: UInt64? { hasNumber ? numberValue : nil }
    /// A sleep's wake time, a wait's deadline (nanoseconds since 1970).
    package var deadline: Int64? { hasDeadline ? deadlineValue : nil }
    /// The bytes of the parent position (its depth and indices), when the event has one (a child's start).
    package var parentPosition: Range<Int>? { parentPositionSpan.optional }
    /// The bytes of the idempotency key, when the event carries one.
    package var idempotencyKey: Range<Int>? { idempotencyKeySpan.optional }
    /// Whether the event carries an idempotency key.
    package var hasIdempotencyKey: Bool { idempotencyKeySpan.isPresent }
    /// The bytes of the payload (the rest of the record).
    package var payload: Range<Int> { payloadSpan.range }

    /// A range of the envelope's bytes in 8 bytes; `absent` (lower above upper) for a field the event lacks.
    private struct Span {
        var lower: UInt32
        var upper: UInt32

        static let absent = Span(lower: 1, upper: 0)

        init(lower: UInt32, upper: UInt32) {
            self.lower = lower
            self.upper = upper
        }

        init(_ range: Range<Int>) { self.init(lower: UInt32(range.lowerBound), upper: UInt32(range.upperBound)) }

        var isPresent: Bool { lower <= upper }
        var range: Range<Int> { isPresent ? Int(lower)..<Int(upper) : 0..<0 }
        var optional: Range<Int>? { isPresent ? Int(lower)..<Int(upper) : nil }
    }

    /// Why an envelope could not be read.
    package struct Malformed: Error, CustomStringConvertible {
        package var description: String
    }

    /// Reads the envelope of a record.
    /// - Throws: ``Malformed`` with the reason, when the tag or the envelope is not one this Cairn reads.
    package init(tag: UInt8, bytes b: UnsafeRawBufferPointer) throws(Malformed) {
        guard let kind = EventKind(rawValue: tag) else { throw Malformed(description: "unknown event kind \(tag)") }
        self.kind = kind
        guard b.count <= Int(UInt32.max) else { throw Malformed(description: "the \(kind) event's envelope is too large") }
        var failure: String?
        guard walk(b, failure: &failure) else {
            throw Malformed(description: "the \(kind) event's envelope is malformed: \(failure ?? "it ends early")")
        }
    }

    /// Reads bytes without bounds-check traps: every read says whether it fit.
    private struct Cursor {
        let base: UnsafeRawPointer?
        let count: Int
        var offset = 0
        var failure: String?

        @inline(__always) mutating func byte() -> UInt8? {
            guard offset < count else { return nil }
            defer { offset += 1 }
            return base!.load(fromByteOffset: offset, as: UInt8.self)
        }

        @inline(__always) mutating func varint() -> UInt64? {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while offset < count {
                let v = base!.load(fromByteOffset: offset, as: UInt8.self)
                offset += 1
                result |= UInt64(v & 0x7F) << shift
                if v < 0x80 { return result }
                shift += 7
                if shift >= 64 {
                    failure = "a varint is too long"
                    return nil
                }
            }
            return nil
        }

        @inline(__always) mutating func string() -> Range<Int>? {
            guard let n = varint() else { return nil }
            guard n <= UInt64(count - offset) else {
                failure = "a string runs past its end"
                return nil
            }
            defer { offset += Int(n) }
            return offset..<offset + Int(n)
        }

        @inline(__always) mutating func position() -> Bool {
            guard let depth = varint() else { return false }
            guard depth <= 64 else {
                failure = "a position is \(depth) levels deep"
                return false
            }
            for _ in 0..<depth {
                guard let index = varint() else { return false }
                guard index <= UInt64(UInt32.max) else {
                    failure = "a position index overflows"
                    return false
                }
            }
            return true
        }
    }

    /// Reads the envelope's layout into `self`; false (with the cursor's failure) when it is malformed.
    private mutating func walk(_ b: UnsafeRawBufferPointer, failure: UnsafeMutablePointer<String?>) -> Bool {
        var c = Cursor(base: b.baseAddress, count: b.count)
        defer { failure.pointee = c.failure }
        guard let version = c.byte() else { return false }
        guard version >= 1, version <= Event.envelopeVersion else {
            c.failure = "envelope version \(version) is not one this Cairn reads"
            return false
        }
        guard let presence = c.varint() else { return false }
        guard presence >> 10 == 0 else {
            c.failure = "it has fields this Cairn does not know"
            return false
        }
        guard let workflowID = c.string() else { return false }
        workflowIDSpan = Span(workflowID)
        if presence & 1 != 0 {
            let start = c.offset
            guard c.position() else { return false }
            positionSpan = Span(start..<c.offset)
        }
        guard let name = c.string() else { return false }
        nameSpan = Span(name)
        if presence & (1 << 1) != 0 {
            guard c.string() != nil, let line = c.varint() else { return false }
            guard line <= UInt64(Int.max) else {
                c.failure = "a line number overflows"
                return false
            }
        }
        guard let time = c.varint() else { return false }
        self.time = Int64(bitPattern: time)
        if presence & (1 << 2) != 0 {
            guard c.offset + 8 <= c.count else {
                c.failure = "it ends inside a digest"
                return false
            }
            c.offset += 8
        }
        if presence & (1 << 3) != 0 {
            guard let target = c.string() else { return false }
            targetSpan = Span(target)
        }
        if presence & (1 << 4) != 0 {
            guard let deadline = c.varint() else { return false }
            deadlineValue = Int64(bitPattern: deadline)
            hasDeadline = true
        }
        if presence & (1 << 5) != 0 {
            guard let number = c.varint() else { return false }
            numberValue = number
            hasNumber = true
        }
        if presence & (1 << 6) != 0 {
            guard let errorType = c.string() else { return false }
            errorTypeSpan = Span(errorType)
        }
        if presence & (1 << 7) != 0 {
            let start = c.offset
            guard c.position() else { return false }
            parentPositionSpan = Span(start..<c.offset)
        }
        if presence & (1 << 8) != 0 {
            guard let flags = c.byte() else { return false }
            self.flags = Event.Flags(rawValue: flags)
        }
        if presence & (1 << 9) != 0 {
            guard let key = c.string() else { return false }
            idempotencyKeySpan = Span(key)
        }
        payloadSpan = Span(c.offset..<b.count)
        return true
    }

    /// A 128-bit hash of the bytes at `range` (two independent 64-bit hashes): for sets of workflow IDs where a
    /// string per record would cost more than the rest of a scan.
    package static func hash(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> IDHash {
        var h = IDHash(a: 0x9E37_79B9_7F4A_7C15 ^ UInt64(range.count), b: 0xC2B2_AE3D_27D4_EB4F &+ UInt64(range.count))
        var i = range.lowerBound
        guard let p = bytes.baseAddress else { return h }
        while i + 8 <= range.upperBound {
            h.mix(p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < range.upperBound {
            tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
            shift += 8
            i += 1
        }
        h.mix(tail)
        h.a ^= h.a >> 33
        h.b ^= h.b >> 31
        return h
    }

    /// Only where the workflow ID lies (the third field), without checking the rest: compaction's predicate, which
    /// runs on records the planning pass has already checked. Nil when the bytes do not even hold that.
    @inline(__always)
    package static func workflowID(in b: UnsafeRawBufferPointer) -> Range<Int>? {
        var c = Cursor(base: b.baseAddress, count: b.count)
        guard let version = c.byte(), version >= 1, version <= Event.envelopeVersion, c.varint() != nil else { return nil }
        return c.string()
    }

    /// The workflow ID as a string.
    package static func string(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Whether the bytes at `range` are the UTF-8 of `string`.
    package static func equals(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer, _ string: String) -> Bool {
        var string = string
        return string.withUTF8 { utf8 in
            utf8.count == range.count
                && (utf8.count == 0 || memcmp(bytes.baseAddress! + range.lowerBound, utf8.baseAddress!, utf8.count) == 0)
        }
    }

    /// Whether the bytes at `range` are `utf8`.
    package static func equals(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer, _ utf8: [UInt8]) -> Bool {
        guard range.count == utf8.count else { return false }
        return utf8.withUnsafeBytes { u in
            u.count == 0 || memcmp(bytes.baseAddress! + range.lowerBound, u.baseAddress!, u.count) == 0
        }
    }
}
