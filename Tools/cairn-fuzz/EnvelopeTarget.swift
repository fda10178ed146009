import Cairn
import CairnLog

extension FuzzTarget {
    /// The envelope fast path against the full decoder (differential): `EnvelopePeek`, which the projection's
    /// rebuild, compaction and the CLI run on every record, must accept exactly what `Event(lsn:tag:bytes:)`
    /// accepts — a record the peek accepts at open is fully decoded later, when a replay needs it — and read the
    /// same fields. A decoded event must also survive its own encoding unchanged.
    ///
    /// Input: the record's tag, then the envelope.
    static let envelope = FuzzTarget(
        name: "envelope",
        summary: "EnvelopePeek vs Event(lsn:tag:bytes:) (differential), and decode(encode(event)) == event: u8 tag, then the envelope"
    ) { input in
        guard let tag = input.first else { return }
        let bytes = UnsafeRawBufferPointer(rebasing: input[1...])
        let peek: EnvelopePeek?
        do {
            peek = try EnvelopePeek(tag: tag, bytes: bytes)
        } catch {
            peek = nil
        }
        let event: Event?
        do {
            event = try Event(lsn: LSN(1), tag: tag, bytes: bytes)
        } catch {
            expect(error is WorkflowError, "the decoder threw \(error), not a WorkflowError")
            event = nil
        }
        guard let peek, let event else {
            expect(peek == nil && event == nil, "the peek \(peek == nil ? "refuses" : "accepts") what the decoder \(event == nil ? "refuses" : "accepts")")
            return
        }
        func text(_ range: Range<Int>?) -> String? { range.map { EnvelopePeek.string($0, in: bytes) } }
        expect(peek.kind == event.kind && peek.kind.rawValue == tag, "kinds differ")
        expect(peek.flags == event.flags, "flags differ: \(peek.flags) vs \(event.flags)")
        expect(peek.time == event.time, "times differ")
        expect(text(peek.workflowID) == event.workflowID, "workflow IDs differ")
        expect(EnvelopePeek.workflowID(in: bytes) == peek.workflowID, "the workflow-ID shortcut finds other bytes")
        expect(text(peek.name) == event.name, "names differ")
        expect(text(peek.target) == event.target, "targets differ")
        expect(text(peek.errorType) == event.errorType, "error types differ")
        expect(text(peek.idempotencyKey) == event.idempotencyKey, "idempotency keys differ")
        expect(peek.hasIdempotencyKey == (event.idempotencyKey != nil), "idempotency key presence differs")
        expect(peek.number == event.number, "numbers differ")
        expect(peek.deadline == event.deadline, "deadlines differ")
        expect(peek.position.flatMap { position(in: bytes, $0) } == event.position, "positions differ")
        expect(peek.hasPosition == (event.position != nil) && (peek.parentPosition != nil) == (event.parentPosition != nil), "position presence differs")
        expect(peek.parentPosition.flatMap { position(in: bytes, $0) } == event.parentPosition, "parent positions differ")
        expect(Array(UnsafeRawBufferPointer(rebasing: bytes[peek.payload])) == event.payload, "payloads differ")
        expect(peek.payload.upperBound == bytes.count, "the payload does not run to the end of the record")

        let encoded = event.encoded()
        let again = encoded.withUnsafeBytes { try? Event(lsn: LSN(1), tag: tag, bytes: $0) }
        expect(again == event, "decode(encode(event)) differs from event")
        let peekAgain = encoded.withUnsafeBytes { try? EnvelopePeek(tag: tag, bytes: $0) }
        expect(peekAgain != nil, "the peek refuses an envelope Event.encoded() wrote")
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
