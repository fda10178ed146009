/// The fields of an event's envelope, in the order they are written: the one table of the envelope's layout.
///
/// After the version byte and the presence varint, each field follows in case order; an optional field is there
/// only when its ``presenceBit`` is set. ``Event/encoded()`` writes this order, ``EnvelopePeek`` reads it (and
/// ``Event/init(lsn:tag:bytes:)`` is the peek plus making strings and arrays of what it found), and
/// `EnvelopeAgreementTests` holds both to this table for every presence set. Which fields a kind carries, and what
/// they mean for it, is the kind's ``EventKind/Declaration``.
package enum EnvelopeField: Int, CaseIterable, Sendable, CustomStringConvertible {
    case workflowID, position, name, callSite, time, digest, target, deadline, number, errorType, parentPosition, flags,
        idempotencyKey, traceContext, payload

    /// How a field's bytes are laid out.
    package enum Wire: Sendable {
        /// A varint length, then that many bytes of UTF-8.
        case string
        /// A varint depth (at most 64), then a varint index (at most `UInt32.max`) per level.
        case position
        /// A string (the file) and a varint line (at most `Int.max`).
        case callSite
        /// An unsigned LEB128 varint of at most 10 bytes whose value fits 64 bits.
        case varint
        /// 8 bytes, little-endian.
        case u64
        /// One byte.
        case byte
        /// The rest of the record.
        case rest
    }

    /// The bit of the presence varint that says the field is there; nil for a field every envelope has.
    package var presenceBit: UInt64? {
        switch self {
        case .workflowID, .name, .time, .payload: nil
        case .position: 1 << 0
        case .callSite: 1 << 1
        case .digest: 1 << 2
        case .target: 1 << 3
        case .deadline: 1 << 4
        case .number: 1 << 5
        case .errorType: 1 << 6
        case .parentPosition: 1 << 7
        case .flags: 1 << 8
        case .idempotencyKey: 1 << 9
        case .traceContext: 1 << 10
        }
    }

    /// How the field is encoded.
    package var wire: Wire {
        switch self {
        case .workflowID, .name, .target, .errorType, .idempotencyKey, .traceContext: .string
        case .position, .parentPosition: .position
        case .callSite: .callSite
        case .time, .deadline, .number: .varint
        case .digest: .u64
        case .flags: .byte
        case .payload: .rest
        }
    }

    /// The fields a presence bit announces, in bit order.
    package static let optional: [EnvelopeField] = allCases.filter { $0.presenceBit != nil }
        .sorted { $0.presenceBit! < $1.presenceBit! }

    /// Every presence bit this Cairn knows; an envelope with another set was written by a newer Cairn.
    package static let knownPresence: UInt64 = (1 << 11) - 1

    /// The field's name as ``Event`` calls it.
    package var description: String {
        switch self {
        case .workflowID: "workflowID"
        case .position: "position"
        case .name: "name"
        case .callSite: "callSite"
        case .time: "time"
        case .digest: "digest"
        case .target: "target"
        case .deadline: "deadline"
        case .number: "number"
        case .errorType: "errorType"
        case .parentPosition: "parentPosition"
        case .flags: "flags"
        case .idempotencyKey: "idempotencyKey"
        case .traceContext: "traceContext"
        case .payload: "payload"
        }
    }
}

extension Event {
    /// Whether the optional envelope field `field` is set on this event (for a field every envelope has: true).
    package func has(_ field: EnvelopeField) -> Bool {
        switch field {
        case .workflowID, .name, .time, .payload: true
        case .position: position != nil
        case .callSite: callSite != nil
        case .digest: digest != nil
        case .target: target != nil
        case .deadline: deadline != nil
        case .number: number != nil
        case .errorType: errorType != nil
        case .parentPosition: parentPosition != nil
        case .flags: !flags.isEmpty
        case .idempotencyKey: idempotencyKey != nil
        case .traceContext: traceContext != nil
        }
    }

    /// The presence varint of this event's envelope.
    package var presence: UInt64 {
        var presence: UInt64 = 0
        if position != nil { presence |= EnvelopeField.position.bit }
        if callSite != nil { presence |= EnvelopeField.callSite.bit }
        if digest != nil { presence |= EnvelopeField.digest.bit }
        if target != nil { presence |= EnvelopeField.target.bit }
        if deadline != nil { presence |= EnvelopeField.deadline.bit }
        if number != nil { presence |= EnvelopeField.number.bit }
        if errorType != nil { presence |= EnvelopeField.errorType.bit }
        if parentPosition != nil { presence |= EnvelopeField.parentPosition.bit }
        if !flags.isEmpty { presence |= EnvelopeField.flags.bit }
        if idempotencyKey != nil { presence |= EnvelopeField.idempotencyKey.bit }
        if traceContext != nil { presence |= EnvelopeField.traceContext.bit }
        return presence
    }
}

extension EnvelopeField {
    /// The presence bit of an optional field (0 for one every envelope has), for the codec's straight-line code.
    @inline(__always) package var bit: UInt64 { presenceBit ?? 0 }
}
