import Cairn
import CairnLog

extension FuzzTarget {
    /// The envelope's fast path against its table (differential): `EnvelopePeek`, the one parser, which the
    /// projection's rebuild, compaction and the CLI run on every record and which `Event(lsn:tag:bytes:)` builds
    /// on, must accept exactly what `EnvelopeLayout` — a literal walk of the `EnvelopeField` table — accepts, with
    /// the same reason when it refuses, and find every field where the table puts it; the decoder must read those
    /// fields' values. A decoded event must also survive its own encoding unchanged.
    ///
    /// Input: the record's tag, then the envelope.
    static let envelope = FuzzTarget(
        name: "envelope",
        summary: "EnvelopePeek vs EnvelopeLayout (the field table) vs Event(lsn:tag:bytes:) (differential), and decode(encode(event)) == event: u8 tag, then the envelope"
    ) { input in
        guard let tag = input.first else { return }
        let bytes = UnsafeRawBufferPointer(rebasing: input[1...])
        let peek: Result<EnvelopePeek, EnvelopePeek.Malformed> = Result { () throws(EnvelopePeek.Malformed) in
            try EnvelopePeek(tag: tag, bytes: bytes)
        }
        let layout: Result<EnvelopeLayout, EnvelopePeek.Malformed> = Result { () throws(EnvelopePeek.Malformed) in
            try EnvelopeLayout(tag: tag, bytes: bytes)
        }
        let decoded: Result<Event, any Error> = Result { try Event(lsn: LSN(1), tag: tag, bytes: bytes) }
        switch (peek, layout, decoded) {
        case (.failure(let p), .failure(let l), .failure(let d)):
            expect(p.description == l.description, "the peek and the table refuse for different reasons: \(p) vs \(l)")
            expect((d as? WorkflowError)?.message == p.description, "the decoder refuses with \(d), the peek with \(p)")
            return
        case (.success(let peek), .success(let layout), .success(let event)):
            compare(peek, layout, event, bytes, tag: tag)
        default:
            expect(false, "verdicts differ: peek \(peek), table \(layout), decoder \(decoded)")
        }
    }

    private static func compare(_ peek: EnvelopePeek, _ layout: EnvelopeLayout, _ event: Event, _ bytes: UnsafeRawBufferPointer, tag: UInt8) {
        func text(_ range: Range<Int>?) -> String? { range.map { EnvelopePeek.string($0, in: bytes) } }
        func varint(_ range: Range<Int>?) -> UInt64? {
            guard let range else { return nil }
            var value: UInt64 = 0
            for (i, byte) in bytes[range].enumerated() { value |= UInt64(byte & 0x7F) << (7 * UInt64(i)) }
            return value
        }
        expect(UInt64(peek.presence) == layout.presence, "presence differs")
        for field in EnvelopeField.allCases {
            expect(peek.has(field) == (layout.bytes(of: field) != nil), "the peek and the table disagree on whether \(field) is there")
        }
        expect(peek.workflowID == layout.bytes(of: .workflowID), "the workflow ID lies elsewhere")
        expect(peek.position == layout.bytes(of: .position), "the position lies elsewhere")
        expect(peek.name == layout.bytes(of: .name), "the name lies elsewhere")
        expect(peek.callSite == layout.bytes(of: .callSite), "the call site lies elsewhere")
        expect(UInt64(bitPattern: peek.time) == varint(layout.bytes(of: .time)), "times differ")
        expect(peek.digest == layout.bytes(of: .digest), "the digest lies elsewhere")
        expect(peek.target == layout.bytes(of: .target), "the target lies elsewhere")
        expect(peek.deadline.map { UInt64(bitPattern: $0) } == varint(layout.bytes(of: .deadline)), "deadlines differ")
        expect(peek.number == varint(layout.bytes(of: .number)), "numbers differ")
        expect(peek.errorType == layout.bytes(of: .errorType), "the error type lies elsewhere")
        expect(peek.parentPosition == layout.bytes(of: .parentPosition), "the parent position lies elsewhere")
        expect(peek.flags.rawValue == (layout.bytes(of: .flags).map { bytes[$0.lowerBound] } ?? 0), "flags differ")
        expect(peek.idempotencyKey == layout.bytes(of: .idempotencyKey), "the idempotency key lies elsewhere")
        expect(peek.payload == layout.bytes(of: .payload) && peek.payload.upperBound == bytes.count, "the payload lies elsewhere")
        expect(EnvelopePeek.workflowID(in: bytes) == peek.workflowID, "the workflow-ID shortcut finds other bytes")

        expect(peek.kind == event.kind && peek.kind.rawValue == tag, "kinds differ")
        expect(peek.flags == event.flags && peek.time == event.time, "the decoder's flags or time differ")
        expect(text(peek.workflowID) == event.workflowID && text(peek.name) == event.name, "the decoder's workflow ID or name differ")
        expect(text(peek.target) == event.target, "the decoder's target differs")
        expect(text(peek.errorType) == event.errorType, "the decoder's error type differs")
        expect(text(peek.idempotencyKey) == event.idempotencyKey, "the decoder's idempotency key differs")
        expect(peek.number == event.number && peek.deadline == event.deadline, "the decoder's number or deadline differs")
        expect(peek.position.flatMap { position(in: bytes, $0) } == event.position, "positions differ")
        expect(peek.parentPosition.flatMap { position(in: bytes, $0) } == event.parentPosition, "parent positions differ")
        expect((peek.callSite != nil) == (event.callSite != nil), "call site presence differs")
        expect(
            peek.digest.map { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0.lowerBound, as: UInt64.self)) } == event.digest,
            "digests differ")
        expect(Array(UnsafeRawBufferPointer(rebasing: bytes[peek.payload])) == event.payload, "payloads differ")

        let encoded = event.encoded()
        let again = encoded.withUnsafeBytes { try? Event(lsn: LSN(1), tag: tag, bytes: $0) }
        expect(again == event, "decode(encode(event)) differs from event")
    }

    /// Reads the position the peek located (varint depth, then a varint per level), independently of both decoders.
    private static func position(in bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Position? {
        var offset = range.lowerBound
        func varint() -> UInt64? {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while offset < range.upperBound, shift < 64 {
                let byte = bytes[offset]
                offset += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return result }
                shift += 7
            }
            return nil
        }
        guard let depth = varint(), depth <= 64 else { return nil }
        var path: [UInt32] = []
        for _ in 0..<depth {
            guard let index = varint(), let narrow = UInt32(exactly: index) else { return nil }
            path.append(narrow)
        }
        return offset == range.upperBound ? Position(path) : nil
    }
}
