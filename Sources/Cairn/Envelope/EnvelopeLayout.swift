/// Where each field of an envelope lies, read by walking ``EnvelopeField``'s table rather than by hand: the slow,
/// literal reading of the layout that the fast ``EnvelopePeek`` (and through it the decoder) is checked against,
/// field by field, by the envelope tests and the `envelope` fuzz target, and a byte map for tools.
package struct EnvelopeLayout: Sendable, Equatable {
    /// The envelope version.
    package var version: UInt8
    /// The presence varint.
    package var presence: UInt64
    /// Each field present, in wire order, with its bytes: a string's UTF-8 (without its length), a position's or
    /// a call site's whole encoding, a varint's or a fixed field's bytes, and the payload.
    package var fields: [(field: EnvelopeField, bytes: Range<Int>)]

    /// Walks the envelope of a record of kind `tag` by the table.
    /// - Throws: ``EnvelopePeek/Malformed`` with the reason, worded as the peek words it.
    package init(tag: UInt8, bytes: UnsafeRawBufferPointer) throws(EnvelopePeek.Malformed) {
        guard let kind = EventKind(rawValue: tag) else {
            throw EnvelopePeek.Malformed(description: "unknown event kind \(tag): written by a newer Cairn? Upgrade Cairn")
        }
        guard bytes.count <= Int(UInt32.max) else {
            throw EnvelopePeek.Malformed(description: "the \(kind) event's envelope is too large")
        }
        var c = EnvelopeCursor(bytes)
        func malformed() -> EnvelopePeek.Malformed {
            EnvelopePeek.Malformed(description: "the \(kind) event's envelope is malformed: \(c.failure ?? "it ends early")")
        }
        guard let version = c.byte() else { throw malformed() }
        guard version >= 1, version <= Event.envelopeVersion else {
            throw EnvelopePeek.Malformed(
                description: "the \(kind) event's envelope version \(version) is not one this Cairn reads (1 to \(Event.envelopeVersion)): written by a newer Cairn? Upgrade Cairn")
        }
        guard let presence = c.varint() else { throw malformed() }
        guard presence & ~EnvelopeField.knownPresence == 0 else {
            throw EnvelopePeek.Malformed(
                description: "the \(kind) event has fields this Cairn does not know: written by a newer Cairn? Upgrade Cairn")
        }
        self.version = version
        self.presence = presence
        fields = []
        for field in EnvelopeField.allCases {
            if let bit = field.presenceBit, presence & bit == 0 { continue }
            let start = c.offset
            var range: Range<Int>?
            switch field.wire {
            case .string: range = c.string()
            case .position: range = c.skipPosition() ? start..<c.offset : nil
            case .callSite: range = c.string() != nil && c.line() != nil ? start..<c.offset : nil
            case .varint: range = c.varint() != nil ? start..<c.offset : nil
            case .u64: range = c.skip(8, "a digest") ? start..<c.offset : nil
            case .byte: range = c.byte() != nil ? start..<c.offset : nil
            case .rest:
                range = c.offset..<bytes.count
                c.offset = bytes.count
            }
            guard let range else { throw malformed() }
            fields.append((field, range))
        }
    }

    /// The bytes of `field`, when the envelope holds it.
    package func bytes(of field: EnvelopeField) -> Range<Int>? { fields.first { $0.field == field }?.bytes }

    package static func == (a: EnvelopeLayout, b: EnvelopeLayout) -> Bool {
        a.version == b.version && a.presence == b.presence && a.fields.map(\.field) == b.fields.map(\.field)
            && a.fields.map(\.bytes) == b.fields.map(\.bytes)
    }
}
