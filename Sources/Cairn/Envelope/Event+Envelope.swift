package import CairnLog

/// The envelope: a compact, versioned, hand-written binary encoding of an ``Event``, laid out as below (the log
/// record's payload; the log format itself is in CairnLog's format article). `EnvelopeField` is this table in
/// code; the writer below and `EnvelopePeek` (the one parser) follow it.
///
/// ```
/// u8      envelope version (1)
/// varint  presence bits: which optional fields follow; a bit this Cairn does not know is refused
/// str     workflow ID                         str = varint length + UTF-8
/// [pos]   position        (bit 0)             pos = varint depth (<= 64) + varint index (<= UInt32.max) per level
/// str     name
/// [str varint] call site file, line  (bit 1)  line <= Int.max
/// varint  time (ns since 1970)
/// [u64]   digest          (bit 2)             little-endian
/// [str]   target          (bit 3)
/// [varint] deadline       (bit 4)
/// [varint] number         (bit 5)
/// [str]   error type      (bit 6)
/// [pos]   parent position (bit 7)
/// [u8]    flags           (bit 8)             written only when not empty
/// [str]   idempotency key (bit 9)
/// [str]   trace context   (bit 10)
/// ...     payload: the rest of the record
/// ```
/// A varint is unsigned LEB128 of at most 10 bytes whose value fits 64 bits (`Int64` fields as their bit
/// pattern). The event's kind is the log record's tag; what each field means for a kind is in its
/// `EventKind.Declaration`. Decoding never touches the payload beyond slicing it.
extension Event {
    /// The envelope version this code writes and the newest it reads.
    package static let envelopeVersion: UInt8 = 1

    /// The log record for this event.
    package func record() -> LogRecord {
        LogRecord(tag: kind.rawValue, payload: encoded())
    }

    /// The envelope bytes, fields in `EnvelopeField` order.
    package func encoded() -> [UInt8] {
        // Every string counted, so the bytes are allocated once.
        let strings = workflowID.utf8.count + name.utf8.count + (callSite?.file.utf8.count ?? 0) + (target?.utf8.count ?? 0)
            + (errorType?.utf8.count ?? 0) + (idempotencyKey?.utf8.count ?? 0) + (traceContext?.utf8.count ?? 0)
        let positions = 4 * ((position?.depth ?? 0) + (parentPosition?.depth ?? 0))
        var w = EnvelopeWriter(capacity: 64 + strings + positions + payload.count)
        w.byte(Self.envelopeVersion)
        w.varint(presence)
        w.string(workflowID)  // .workflowID
        if let position { w.position(position) }
        w.string(name)  // .name
        if let callSite {
            w.string(callSite.file)
            w.varint(UInt64(max(0, callSite.line)))
        }
        w.varint(UInt64(bitPattern: time))  // .time
        if let digest { w.u64(digest) }
        if let target { w.string(target) }
        if let deadline { w.varint(UInt64(bitPattern: deadline)) }
        if let number { w.varint(number) }
        if let errorType { w.string(errorType) }
        if let parentPosition { w.position(parentPosition) }
        if !flags.isEmpty { w.byte(flags.rawValue) }
        if let idempotencyKey { w.string(idempotencyKey) }
        if let traceContext { w.string(traceContext) }
        w.bytes.append(contentsOf: payload)  // .payload
        return w.bytes
    }

    /// Decodes an envelope read from the log.
    /// - Throws: ``WorkflowError`` `.undecodableEvent` naming the LSN when the bytes are not an envelope this
    ///   version understands.
    package init(record: LogRecordView) throws {
        try self.init(lsn: record.lsn, tag: record.tag, bytes: record.bytes)
    }

    /// Decodes an envelope from a record's parts: `EnvelopePeek`'s walk, then strings and arrays made of the
    /// fields it located.
    /// - Throws: ``WorkflowError`` `.undecodableEvent` naming the LSN, with the peek's reason (the same for every reader).
    package init(lsn: LSN, tag: UInt8, bytes: UnsafeRawBufferPointer) throws {
        let peek: EnvelopePeek
        do {
            peek = try EnvelopePeek(tag: tag, bytes: bytes)
        } catch {
            throw WorkflowError(.undecodableEvent, error.description, lsn: lsn)
        }
        self.init(peek, bytes: bytes)
    }

    /// The event an envelope holds, from a peek of `bytes` (whose checks make every read here succeed).
    init(_ peek: EnvelopePeek, bytes: UnsafeRawBufferPointer) {
        func string(_ range: Range<Int>) -> String { EnvelopePeek.string(range, in: bytes) }
        self.init(
            kind: peek.kind, workflowID: string(peek.workflowID),
            position: peek.position.flatMap { EnvelopePeek.position($0, in: bytes) }, name: string(peek.name),
            callSite: peek.callSite.flatMap { EnvelopePeek.callSite($0, in: bytes) }, time: peek.time,
            digest: peek.digest.flatMap { EnvelopePeek.digest($0, in: bytes) }, target: peek.target.map(string),
            deadline: peek.deadline, number: peek.number, errorType: peek.errorType.map(string),
            parentPosition: peek.parentPosition.flatMap { EnvelopePeek.position($0, in: bytes) },
            idempotencyKey: peek.idempotencyKey.map(string), traceContext: peek.traceContext.map(string), flags: peek.flags,
            payload: Array(UnsafeRawBufferPointer(rebasing: bytes[peek.payload])))
    }
}

/// Appends envelope fields to a byte array.
struct EnvelopeWriter {
    var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func byte(_ b: UInt8) { bytes.append(b) }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func position(_ p: Position) {
        varint(UInt64(p.depth))
        p.forEachIndex { varint(UInt64($0)) }
    }
}
