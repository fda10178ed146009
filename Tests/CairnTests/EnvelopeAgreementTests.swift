@testable import Cairn
import CairnLog
import Testing

/// The envelope's writer (`Event.encoded()`), its one parser (`EnvelopePeek`, which `Event(lsn:tag:bytes:)` and the
/// projection's `EventEnvelope` build on) and its table (`EnvelopeField`, walked literally by `EnvelopeLayout`)
/// agree on every kind and every set of optional fields, at the edges of every field's range, and refuse the same
/// bytes for the same reason.
@Suite("Envelope: the writer, the peek, the decoder and the field table agree")
struct EnvelopeAgreementTests {
    /// Field values for one encoding: small ones, or each at its edge.
    enum Values: CaseIterable {
        /// Short strings, one-level positions, small numbers, a short payload.
        case small
        /// Empty strings, 10-byte varints, 64-level positions of `UInt32.max`, line `Int.max`, an empty payload.
        case edge
    }

    /// An event of `kind` with exactly the optional fields of `presence` set, to `values`.
    /// `depth`: the levels of an edge position.
    static func event(_ kind: EventKind, presence: UInt64, _ values: Values, depth: Int = 64, payload: [UInt8]? = nil) -> Event {
        func has(_ field: EnvelopeField) -> Bool { presence & field.bit != 0 }
        let edge = values == .edge
        let deep = Position([UInt32](repeating: UInt32.max, count: depth))
        return Event(
            kind: kind, workflowID: edge ? "" : "wf-ü", position: has(.position) ? (edge ? deep : Position([3])) : nil,
            name: edge ? "" : "name", callSite: has(.callSite) ? CallSite(file: edge ? "" : "Mod/File.swift", line: edge ? Int.max : 12) : nil,
            time: edge ? Int64.min : 1_700_000_000_000_000_000, digest: has(.digest) ? (edge ? UInt64.max : 0xABCD) : nil,
            target: has(.target) ? (edge ? "" : "other") : nil, deadline: has(.deadline) ? (edge ? -1 : 5) : nil,
            number: has(.number) ? (edge ? UInt64.max : 127) : nil, errorType: has(.errorType) ? (edge ? "" : "E") : nil,
            parentPosition: has(.parentPosition) ? (edge ? deep : Position([1, 2])) : nil,
            idempotencyKey: has(.idempotencyKey) ? (edge ? "" : "key") : nil,
            traceContext: has(.traceContext) ? (edge ? "" : #"{"traceparent":"00-1-2-01"}"#) : nil,
            flags: has(.flags) ? (edge ? Event.Flags(rawValue: 0xFF) : .copied) : [],
            payload: payload ?? (edge ? [] : Array("{\"a\":1}".utf8)))
    }

    /// Every presence set the format has (2^11).
    static let presenceSets = 0..<(EnvelopeField.knownPresence + 1)

    @Test("the table numbers its optional fields 0 to 10 in wire order, and lists the fixed ones around them")
    func tableShape() {
        #expect(EnvelopeField.optional.map(\.bit) == (0..<11).map { UInt64(1) << $0 })
        #expect(EnvelopeField.allCases.filter { $0.presenceBit != nil } == EnvelopeField.optional, "bits rise in wire order")
        #expect(EnvelopeField.allCases.first == .workflowID && EnvelopeField.allCases.last == .payload)
        #expect(EnvelopeField.knownPresence == EnvelopeField.optional.reduce(0) { $0 | $1.bit })
    }

    @Test("every kind and presence set, small and at the edges: the peek finds each field where the table puts it, and the decoder returns the event written", arguments: Values.allCases)
    func everyKindAndPresenceSet(values: Values) throws {
        for kind in EventKind.allCases {
            for presence in Self.presenceSets {
                let event = Self.event(kind, presence: presence, values)
                #expect(event.presence == presence)
                try check(event)
            }
        }
    }

    @Test("large payloads, with no optional field and with all of them")
    func largePayloads() throws {
        let large = (0..<(1 << 20) + 3).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for kind in EventKind.allCases {
            for presence in [0, EnvelopeField.knownPresence] {
                try check(Self.event(kind, presence: presence, .edge, payload: large))
                try check(Self.event(kind, presence: presence, .small, payload: large))
            }
        }
    }

    /// Encodes `event`, then holds the table walk, the peek, the decoder and the projection's envelope to it.
    private func check(_ event: Event) throws {
        let bytes = event.encoded()
        let tag = event.kind.rawValue
        try bytes.withUnsafeBytes { raw in
            let layout = try EnvelopeLayout(tag: tag, bytes: raw)
            let peek = try EnvelopePeek(tag: tag, bytes: raw)
            let decoded = try Event(lsn: LSN(rawValue: 9), tag: tag, bytes: raw)
            let envelope = try EventEnvelope(lsn: LSN(rawValue: 9), tag: tag, bytes: raw)
            let context = "\(event.kind) presence \(event.presence)"

            // The writer follows the table: every field present, in order, back to back, nothing else.
            #expect(layout.presence == event.presence, "\(context)")
            #expect(layout.fields.map(\.field) == EnvelopeField.allCases.filter { event.has($0) }, "\(context)")
            #expect(layout.bytes(of: .payload) == raw.count - event.payload.count..<raw.count, "\(context)")
            func string(_ field: EnvelopeField) -> String? { layout.bytes(of: field).map { EnvelopePeek.string($0, in: raw) } }
            #expect(string(.workflowID) == event.workflowID && string(.name) == event.name, "\(context)")
            #expect(string(.target) == event.target && string(.errorType) == event.errorType, "\(context)")
            #expect(string(.idempotencyKey) == event.idempotencyKey && string(.traceContext) == event.traceContext, "\(context)")

            // The peek finds the same bytes and values.
            #expect(UInt64(peek.presence) == event.presence, "\(context)")
            for field in EnvelopeField.allCases { #expect(peek.has(field) == event.has(field), "\(context) \(field)") }
            #expect(peek.workflowID == layout.bytes(of: .workflowID) && peek.name == layout.bytes(of: .name), "\(context)")
            #expect(peek.position == layout.bytes(of: .position) && peek.parentPosition == layout.bytes(of: .parentPosition), "\(context)")
            #expect(peek.callSite == layout.bytes(of: .callSite) && peek.digest == layout.bytes(of: .digest), "\(context)")
            #expect(peek.target == layout.bytes(of: .target) && peek.errorType == layout.bytes(of: .errorType), "\(context)")
            #expect(peek.idempotencyKey == layout.bytes(of: .idempotencyKey) && peek.payload == layout.bytes(of: .payload), "\(context)")
            #expect(peek.traceContext == layout.bytes(of: .traceContext), "\(context)")
            #expect(peek.time == event.time && peek.deadline == event.deadline && peek.number == event.number, "\(context)")
            #expect(peek.flags == event.flags && peek.kind == event.kind, "\(context)")
            #expect(peek.position.flatMap { EnvelopePeek.position($0, in: raw) } == event.position, "\(context)")
            #expect(peek.parentPosition.flatMap { EnvelopePeek.position($0, in: raw) } == event.parentPosition, "\(context)")
            #expect(EnvelopePeek.workflowID(in: raw) == peek.workflowID, "\(context)")

            // The decoder and the projection's envelope return what was written.
            #expect(decoded == event, "\(context)")
            #expect(envelope.decoded() == event && envelope.workflowID == event.workflowID && envelope.name == event.name, "\(context)")
            #expect(envelope.payload == event.payload, "\(context)")
        }
    }

    @Test("every truncation, of every presence set: refused by the table, the peek, the decoder and the projection alike, for the same reason, until the payload begins")
    func everyTruncation() throws {
        var refused = 0
        for presence in Self.presenceSets {
            for values in Values.allCases {
                let kind = EventKind.allCases[Int(presence) % EventKind.allCases.count]
                // Three levels: every byte of a position is cut either way, and the test stays quick.
                let event = Self.event(kind, presence: presence, values, depth: 3)
                let bytes = event.encoded()
                let payloadStart = bytes.count - event.payload.count
                for length in 0...bytes.count {
                    let verdict = Self.verdicts(kind.rawValue, Array(bytes.prefix(length)))
                    #expect(verdict.agree, "\(kind) presence \(presence) cut at \(length): \(verdict)")
                    if length < payloadStart {
                        #expect(verdict.peek != nil, "\(kind) presence \(presence) cut at \(length) inside the envelope is accepted")
                        refused += 1
                    } else {
                        #expect(verdict.peek == nil, "\(kind) presence \(presence) cut at \(length) inside the payload is refused")
                    }
                }
            }
        }
        #expect(refused > 40_000)
    }

    /// Each reader's refusal of `bytes` (nil: it accepted them).
    struct Verdicts: CustomStringConvertible {
        var peek: String?
        var layout: String?
        var decoder: String?
        var envelope: String?
        var shortcut: Bool

        var agree: Bool { peek == layout && peek == decoder && peek == envelope && (peek == nil ? shortcut : true) }
        var description: String { "peek \(peek ?? "accepts"), table \(layout ?? "accepts"), decoder \(decoder ?? "accepts"), projection \(envelope ?? "accepts")" }
    }

    static func verdicts(_ tag: UInt8, _ bytes: [UInt8]) -> Verdicts {
        bytes.withUnsafeBytes { raw in
            func reason(_ body: () throws -> Void) -> String? {
                do {
                    try body()
                    return nil
                } catch let error as EnvelopePeek.Malformed {
                    return error.description
                } catch let error as WorkflowError {
                    return error.code == .undecodableEvent && error.lsn == LSN(rawValue: 3) ? error.message : "\(error)"
                } catch {
                    return "\(error)"
                }
            }
            return Verdicts(
                peek: reason { _ = try EnvelopePeek(tag: tag, bytes: raw) },
                layout: reason { _ = try EnvelopeLayout(tag: tag, bytes: raw) },
                decoder: reason { _ = try Event(lsn: LSN(rawValue: 3), tag: tag, bytes: raw) },
                envelope: reason { _ = try EventEnvelope(lsn: LSN(rawValue: 3), tag: tag, bytes: raw) },
                shortcut: EnvelopePeek.workflowID(in: raw) != nil)
        }
    }

    /// Envelopes each rule refuses, with the words of the refusal.
    static let refusals: [(rule: String, tag: UInt8, bytes: [UInt8], reason: String)] = [
        ("an unknown kind", 200, [1, 0, 0, 0, 0], "unknown event kind 200"),
        ("envelope version 0", 2, [0, 0, 0, 0, 0], "envelope version 0 is not one this Cairn reads"),
        ("a newer envelope version", 2, [2, 0, 0, 0, 0], "envelope version 2 is not one this Cairn reads"),
        ("an unknown presence bit", 2, [1, 0x80, 0x10, 0, 0, 0], "has fields this Cairn does not know"),
        ("a presence bit far above the known ones", 2, [1] + varint(1 << 63) + [0, 0, 0], "has fields this Cairn does not know"),
        ("an 11-byte varint", 2, [1, 0, 0, 0] + [UInt8](repeating: 0x80, count: 10) + [0], "a varint is too long"),
        ("a 10-byte varint over 64 bits", 2, [1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 9) + [0x02], "a varint overflows 64 bits"),
        ("a string past the end", 2, [1, 0, 5, 0x61], "a string runs past the end"),
        ("a position 65 levels deep", 2, [1, 1, 0, 65] + [UInt8](repeating: 0, count: 65) + [0, 0], "a position is 65 levels deep"),
        ("a position index over UInt32", 2, [1, 1, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0], "a position index overflows"),
        ("a line past Int.max", 2, [1, 2, 0, 0, 0] + varint(UInt64(Int.max) + 1) + [0], "a line number overflows"),
        ("a digest cut short", 2, [1, 4, 0, 0, 0, 1, 2, 3], "it ends inside a digest"),
        ("a flags byte missing", 2, [1, 0x80, 0x02, 0, 0, 0], "it ends early"),
    ]

    @Test("each limit of the format is refused by every reader, in the same words", arguments: 0..<refusals.count)
    func eachRule(index: Int) {
        let (rule, tag, bytes, reason) = Self.refusals[index]
        let verdict = Self.verdicts(tag, bytes)
        #expect(verdict.agree, "\(rule): \(verdict)")
        #expect(verdict.peek?.contains(reason) == true, "\(rule): \(verdict)")
    }

    @Test("a 10-byte varint holding the 64th bit is read; the largest values survive a round trip")
    func largestVarints() throws {
        let bytes: [UInt8] = [1, 0, 0, 0] + Self.varint(UInt64.max)
        #expect(bytes.count == 4 + 10)
        let event = try bytes.withUnsafeBytes { try Event(lsn: LSN(rawValue: 1), tag: EventKind.stepCompleted.rawValue, bytes: $0) }
        #expect(event.time == -1)
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }
}
