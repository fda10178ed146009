import CairnLog

/// One event as the log holds it — a record's envelope, checked but not decoded — which is what
/// ``Projection/apply(_:)`` reads, at start-up and for every append alike.
///
/// Checking is ``EnvelopePeek``'s walk, the envelope's one parser (``Event/init(lsn:tag:bytes:)`` is the same walk
/// plus materialisation), which allocates nothing. The projection then makes strings and byte arrays only of what it keeps (a workflow's
/// ID and name at its start, an input, an output, a message), and stores an operation's bytes as they are
/// (``HistoryRecords``). Valid only while `bytes` is.
struct EventEnvelope {
    let lsn: LSN
    let bytes: UnsafeRawBufferPointer
    let peek: EnvelopePeek

    var kind: EventKind { peek.kind }

    /// Checks a record's envelope.
    /// - Throws: ``WorkflowError`` `.undecodableEvent` naming the LSN, with the same message a full decode gives.
    init(lsn: LSN, tag: UInt8, bytes: UnsafeRawBufferPointer) throws {
        self.lsn = lsn
        self.bytes = bytes
        do {
            peek = try EnvelopePeek(tag: tag, bytes: bytes)
        } catch {
            throw WorkflowError(.undecodableEvent, error.description, lsn: lsn)
        }
    }

    /// The envelope of a record the engine has just written (`Event.record()`), which cannot be malformed unless
    /// the encoder and this check disagree — a bug, which `EnvelopeAgreementTests` guards against; not bad input.
    init(written record: LogRecord, lsn: LSN, bytes: UnsafeRawBufferPointer) {
        do {
            try self.init(lsn: lsn, tag: record.tag, bytes: bytes)
        } catch {
            preconditionFailure("Event.encoded() wrote an envelope the projection refuses: \(error)")
        }
    }

    /// The string at `range` of the envelope.
    func string(_ range: Range<Int>) -> String { EnvelopePeek.string(range, in: bytes) }

    /// The workflow ID.
    var workflowID: String { string(peek.workflowID) }

    /// The name.
    var name: String { string(peek.name) }

    /// The position at `range` of the envelope (``EnvelopePeek/position`` or ``EnvelopePeek/parentPosition``).
    func position(_ range: Range<Int>) -> Position? {
        EnvelopePeek.position(range, in: bytes)
    }

    /// A copy of the payload.
    var payload: [UInt8] { Array(UnsafeRawBufferPointer(rebasing: bytes[peek.payload])) }

    /// The payload read as UTF-8 text (a failure's message, a park reason).
    var payloadText: String { string(peek.payload) }

    /// The whole event, decoded (for the rare kinds the projection needs all of).
    func decoded() -> Event { Event(peek, bytes: bytes) }

    /// Decodes an envelope that was checked before (by ``init(lsn:tag:bytes:)``, or written by ``Event/encoded()``).
    static func decode(lsn: LSN, tag: UInt8, bytes: UnsafeRawBufferPointer) -> Event {
        do {
            return try Event(lsn: lsn, tag: tag, bytes: bytes)
        } catch {
            // The decoder is the peek's walk, and these bytes passed it: only bytes changed since would reach this.
            preconditionFailure("an envelope the projection checked does not decode (LSN \(lsn)): \(error)")
        }
    }
}
