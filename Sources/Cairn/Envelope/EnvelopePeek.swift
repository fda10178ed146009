import CairnLog
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A look at an event envelope without decoding it: checks its structure, allocates nothing, and says where each
/// field lies.
///
/// The envelope's one parser. The projection's rebuild (through ``EventEnvelope``), compaction's planner,
/// `cairn verify` and `cairn show` run it on every record; ``Event/init(lsn:tag:bytes:)`` is this walk plus making
/// strings and arrays of what it located, so the two accept and refuse the same envelopes by construction. The walk
/// follows ``EnvelopeField``'s order, one step per field.
package struct EnvelopePeek {
    /// The event's kind (the record's tag).
    package let kind: EventKind
    /// The kind-specific flags.
    package private(set) var flags: Event.Flags = []
    /// The presence bits: which optional fields the envelope holds (see ``EnvelopeField/presenceBit``).
    package private(set) var presence: UInt16 = 0
    /// The event's time, nanoseconds since 1970.
    package private(set) var time: Int64 = 0
    private var numberValue: UInt64 = 0
    private var deadlineValue: Int64 = 0
    // Where the fields lie, 8 bytes each (a record is at most 64 MiB): the projection's rebuild copies a peek a few
    // times per event, so it stays small.
    private var workflowIDSpan = Span.absent
    private var positionSpan = Span.absent
    private var nameSpan = Span.absent
    private var callSiteSpan = Span.absent
    private var digestSpan = Span.absent
    private var targetSpan = Span.absent
    private var errorTypeSpan = Span.absent
    private var parentPositionSpan = Span.absent
    private var idempotencyKeySpan = Span.absent
    private var traceContextSpan = Span.absent
    private var payloadSpan = Span.absent

    /// Whether the envelope holds `field` (always true for a field every envelope has).
    @inline(__always) package func has(_ field: EnvelopeField) -> Bool {
        guard let bit = field.presenceBit else { return true }
        return UInt64(presence) & bit != 0
    }

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
    /// The bytes of the call site (file as a string, then the line), when the event has one.
    package var callSite: Range<Int>? { callSiteSpan.optional }
    /// The 8 bytes of the digest, when the event has one.
    package var digest: Range<Int>? { digestSpan.optional }
    /// The bytes of the error type, when the event has one.
    package var errorType: Range<Int>? { errorTypeSpan.optional }
    /// The event's number (a received message's ID, ...), when it has one.
    package var number: UInt64? { has(.number) ? numberValue : nil }
    /// A sleep's wake time, a wait's deadline (nanoseconds since 1970).
    package var deadline: Int64? { has(.deadline) ? deadlineValue : nil }
    /// The bytes of the parent position (its depth and indices), when the event has one (a child's start).
    package var parentPosition: Range<Int>? { parentPositionSpan.optional }
    /// The bytes of the idempotency key, when the event carries one.
    package var idempotencyKey: Range<Int>? { idempotencyKeySpan.optional }
    /// Whether the event carries an idempotency key.
    package var hasIdempotencyKey: Bool { idempotencyKeySpan.isPresent }
    /// The bytes of the trace context a workflow's start recorded, when it has one.
    package var traceContext: Range<Int>? { traceContextSpan.optional }
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

    /// Why an envelope could not be read; ``description`` is what ``Event/init(lsn:tag:bytes:)`` reports.
    package struct Malformed: Error, CustomStringConvertible {
        package var description: String
    }

    /// Reads the envelope of a record.
    /// - Throws: ``Malformed`` with the reason, when the tag or the envelope is not one this Cairn reads.
    package init(tag: UInt8, bytes b: UnsafeRawBufferPointer) throws(Malformed) {
        guard let kind = EventKind(rawValue: tag) else {
            throw Malformed(description: "unknown event kind \(tag): written by a newer Cairn? Upgrade Cairn")
        }
        self.kind = kind
        guard b.count <= Int(UInt32.max) else { throw Malformed(description: "the \(kind) event's envelope is too large") }
        if let refusal = walk(b) { throw Malformed(description: refusal) }
    }

    /// Reads the envelope's layout into `self`, one step per ``EnvelopeField`` in its order; the reason when it is
    /// not an envelope this Cairn reads.
    private mutating func walk(_ b: UnsafeRawBufferPointer) -> String? {
        var c = EnvelopeCursor(b)
        guard let version = c.byte() else { return Self.malformed(kind, c.failure) }
        guard version >= 1, version <= Event.envelopeVersion else {
            return "the \(kind) event's envelope version \(version) is not one this Cairn reads (1 to \(Event.envelopeVersion)): written by a newer Cairn? Upgrade Cairn"
        }
        guard let presence = c.varint() else { return Self.malformed(kind, c.failure) }
        guard presence & ~EnvelopeField.knownPresence == 0 else {
            return "the \(kind) event has fields this Cairn does not know: written by a newer Cairn? Upgrade Cairn"
        }
        self.presence = UInt16(presence)
        // .workflowID
        guard let workflowID = c.string() else { return Self.malformed(kind, c.failure) }
        workflowIDSpan = Span(workflowID)
        if presence & EnvelopeField.position.bit != 0 {
            let start = c.offset
            guard c.skipPosition() else { return Self.malformed(kind, c.failure) }
            positionSpan = Span(start..<c.offset)
        }
        // .name
        guard let name = c.string() else { return Self.malformed(kind, c.failure) }
        nameSpan = Span(name)
        if presence & EnvelopeField.callSite.bit != 0 {
            let start = c.offset
            guard c.string() != nil, c.line() != nil else { return Self.malformed(kind, c.failure) }
            callSiteSpan = Span(start..<c.offset)
        }
        // .time
        guard let time = c.varint() else { return Self.malformed(kind, c.failure) }
        self.time = Int64(bitPattern: time)
        if presence & EnvelopeField.digest.bit != 0 {
            let start = c.offset
            guard c.skip(8, "a digest") else { return Self.malformed(kind, c.failure) }
            digestSpan = Span(start..<c.offset)
        }
        if presence & EnvelopeField.target.bit != 0 {
            guard let target = c.string() else { return Self.malformed(kind, c.failure) }
            targetSpan = Span(target)
        }
        if presence & EnvelopeField.deadline.bit != 0 {
            guard let deadline = c.varint() else { return Self.malformed(kind, c.failure) }
            deadlineValue = Int64(bitPattern: deadline)
        }
        if presence & EnvelopeField.number.bit != 0 {
            guard let number = c.varint() else { return Self.malformed(kind, c.failure) }
            numberValue = number
        }
        if presence & EnvelopeField.errorType.bit != 0 {
            guard let errorType = c.string() else { return Self.malformed(kind, c.failure) }
            errorTypeSpan = Span(errorType)
        }
        if presence & EnvelopeField.parentPosition.bit != 0 {
            let start = c.offset
            guard c.skipPosition() else { return Self.malformed(kind, c.failure) }
            parentPositionSpan = Span(start..<c.offset)
        }
        if presence & EnvelopeField.flags.bit != 0 {
            guard let flags = c.byte() else { return Self.malformed(kind, c.failure) }
            self.flags = Event.Flags(rawValue: flags)
        }
        if presence & EnvelopeField.idempotencyKey.bit != 0 {
            guard let key = c.string() else { return Self.malformed(kind, c.failure) }
            idempotencyKeySpan = Span(key)
        }
        if presence & EnvelopeField.traceContext.bit != 0 {
            guard let context = c.string() else { return Self.malformed(kind, c.failure) }
            traceContextSpan = Span(context)
        }
        // .payload
        payloadSpan = Span(c.offset..<b.count)
        return nil
    }

    private static func malformed(_ kind: EventKind, _ failure: String?) -> String {
        "the \(kind) event's envelope is malformed: \(failure ?? "it ends early")"
    }

    /// The position at `range` (``position`` or ``parentPosition``) of the envelope the peek read; nil only if
    /// `range` is not one the peek located.
    package static func position(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Position? {
        var c = EnvelopeCursor(UnsafeRawBufferPointer(rebasing: bytes[range]))
        return c.position()
    }

    /// The call site at `range` (``callSite``) of the envelope the peek read.
    package static func callSite(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> CallSite? {
        var c = EnvelopeCursor(UnsafeRawBufferPointer(rebasing: bytes[range]))
        guard let file = c.string(), let line = c.line() else { return nil }
        return CallSite(file: string(file.shifted(by: range.lowerBound), in: bytes), line: line)
    }

    /// The digest at `range` (``digest``) of the envelope the peek read.
    package static func digest(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> UInt64? {
        var c = EnvelopeCursor(UnsafeRawBufferPointer(rebasing: bytes[range]))
        return c.u64()
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

    /// Only where the workflow ID lies (the first field), without checking the rest: compaction's predicate, which
    /// runs on records the planning pass has already checked. Nil when the bytes do not even hold that.
    @inline(__always)
    package static func workflowID(in b: UnsafeRawBufferPointer) -> Range<Int>? {
        var c = EnvelopeCursor(b)
        guard let version = c.byte(), version >= 1, version <= Event.envelopeVersion, let presence = c.varint(),
            presence & ~EnvelopeField.knownPresence == 0
        else { return nil }
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

extension Range<Int> {
    fileprivate func shifted(by n: Int) -> Range<Int> { lowerBound + n..<upperBound + n }
}
