package import CairnLog

/// The envelope: a compact, versioned, hand-written binary encoding of an ``Event``, laid out as below (the log
/// record's payload; the log format itself is in CairnLog's format article).
///
/// ```
/// u8      envelope version (1)
/// varint  presence bits: which optional fields follow
/// str     workflow ID                         str = varint length + UTF-8
/// [pos]   position        (bit 0)             pos = varint depth + varint per level
/// str     name
/// [str varint] call site file, line  (bit 1)
/// varint  time (ns since 1970)
/// [u64]   digest          (bit 2)
/// [str]   target          (bit 3)
/// [varint] deadline       (bit 4)
/// [varint] number         (bit 5)
/// [str]   error type      (bit 6)
/// [pos]   parent position (bit 7)
/// [u8]    flags           (bit 8)
/// [str]   idempotency key (bit 9)
/// ...     payload: the rest of the record
/// ```
/// The event's kind is the log record's tag. Decoding never touches the payload beyond slicing it.
extension Event {
    /// The envelope version this code writes and the newest it reads.
    package static let envelopeVersion: UInt8 = 1

    /// The log record for this event.
    package func record() -> LogRecord {
        LogRecord(tag: kind.rawValue, payload: encoded())
    }

    /// The envelope bytes.
    package func encoded() -> [UInt8] {
        var presence: UInt64 = 0
        if position != nil { presence |= 1 << 0 }
        if callSite != nil { presence |= 1 << 1 }
        if digest != nil { presence |= 1 << 2 }
        if target != nil { presence |= 1 << 3 }
        if deadline != nil { presence |= 1 << 4 }
        if number != nil { presence |= 1 << 5 }
        if errorType != nil { presence |= 1 << 6 }
        if parentPosition != nil { presence |= 1 << 7 }
        if !flags.isEmpty { presence |= 1 << 8 }
        if idempotencyKey != nil { presence |= 1 << 9 }
        // Every string counted, so the bytes are allocated once.
        let strings = workflowID.utf8.count + name.utf8.count + (callSite?.file.utf8.count ?? 0) + (target?.utf8.count ?? 0)
            + (errorType?.utf8.count ?? 0) + (idempotencyKey?.utf8.count ?? 0)
        let positions = 4 * ((position?.depth ?? 0) + (parentPosition?.depth ?? 0))
        var w = EnvelopeWriter(capacity: 64 + strings + positions + payload.count)
        w.byte(Self.envelopeVersion)
        w.varint(presence)
        w.string(workflowID)
        if let position { w.position(position) }
        w.string(name)
        if let callSite {
            w.string(callSite.file)
            w.varint(UInt64(max(0, callSite.line)))
        }
        w.varint(UInt64(bitPattern: time))
        if let digest { w.u64(digest) }
        if let target { w.string(target) }
        if let deadline { w.varint(UInt64(bitPattern: deadline)) }
        if let number { w.varint(number) }
        if let errorType { w.string(errorType) }
        if let parentPosition { w.position(parentPosition) }
        if !flags.isEmpty { w.byte(flags.rawValue) }
        if let idempotencyKey { w.string(idempotencyKey) }
        w.bytes.append(contentsOf: payload)
        return w.bytes
    }

    /// Decodes an envelope read from the log.
    /// - Throws: ``WorkflowError`` `.undecodableEvent` naming the LSN when the bytes are not an envelope this
    ///   version understands.
    package init(record: LogRecordView) throws {
        try self.init(lsn: record.lsn, tag: record.tag, bytes: record.bytes)
    }

    /// Decodes an envelope from a record's parts.
    package init(lsn: LSN, tag: UInt8, bytes: UnsafeRawBufferPointer) throws {
        let record = (lsn: lsn, tag: tag, bytes: bytes)
        guard let kind = EventKind(rawValue: record.tag) else {
            throw WorkflowError(
                .undecodableEvent, "unknown event kind \(record.tag): written by a newer Cairn?", lsn: record.lsn)
        }
        var r = EnvelopeReader(record.bytes)
        do {
            let version = try r.byte()
            guard version <= Self.envelopeVersion, version >= 1 else {
                throw WorkflowError(
                    .undecodableEvent, "envelope version \(version) is newer than this Cairn reads (\(Self.envelopeVersion)); upgrade Cairn",
                    lsn: record.lsn)
            }
            let presence = try r.varint()
            let workflowID = try r.string()
            let position = presence & (1 << 0) != 0 ? try r.position() : nil
            let name = try r.string()
            var callSite: CallSite?
            if presence & (1 << 1) != 0 {
                let file = try r.string()
                let line = try r.varint()
                guard line <= UInt64(Int.max) else { throw EnvelopeReader.Truncated(what: "a line number overflows") }
                callSite = CallSite(file: file, line: Int(line))
            }
            let time = Int64(bitPattern: try r.varint())
            let digest = presence & (1 << 2) != 0 ? try r.u64() : nil
            let target = presence & (1 << 3) != 0 ? try r.string() : nil
            let deadline = presence & (1 << 4) != 0 ? Int64(bitPattern: try r.varint()) : nil
            let number = presence & (1 << 5) != 0 ? try r.varint() : nil
            let errorType = presence & (1 << 6) != 0 ? try r.string() : nil
            let parentPosition = presence & (1 << 7) != 0 ? try r.position() : nil
            let flags = Flags(rawValue: presence & (1 << 8) != 0 ? try r.byte() : 0)
            let idempotencyKey = presence & (1 << 9) != 0 ? try r.string() : nil
            guard presence >> 10 == 0 else {
                throw WorkflowError(
                    .undecodableEvent, "the \(kind) event has fields this Cairn does not know; upgrade Cairn", lsn: record.lsn)
            }
            self.init(
                kind: kind, workflowID: workflowID, position: position, name: name, callSite: callSite, time: time,
                digest: digest, target: target, deadline: deadline, number: number, errorType: errorType,
                parentPosition: parentPosition, idempotencyKey: idempotencyKey, flags: flags, payload: r.rest())
        } catch let error as EnvelopeReader.Truncated {
            throw WorkflowError(.undecodableEvent, "the \(kind) event's envelope is malformed: \(error.what)", lsn: record.lsn)
        }
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

/// Reads envelope fields from bytes, throwing ``Truncated`` instead of reading past the end.
struct EnvelopeReader {
    struct Truncated: Error { var what: String }

    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw Truncated(what: "ends early") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            guard shift < 64 else { throw Truncated(what: "a varint is too long") }
        }
    }

    mutating func u64() throws -> UInt64 {
        guard offset + 8 <= bytes.count else { throw Truncated(what: "ends inside a digest") }
        defer { offset += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    mutating func string() throws -> String {
        let length = try varint()
        guard length <= UInt64(bytes.count - offset) else { throw Truncated(what: "a string runs past the end") }
        let n = Int(length)
        defer { offset += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]), as: UTF8.self)
    }

    mutating func position() throws -> Position {
        let levels = try varint()
        guard levels <= 64 else { throw Truncated(what: "a position is \(levels) levels deep") }
        let depth = Int(levels)
        if depth == 1 { return Position(prefix: [], index: try index()) }  // most are: no array
        var path: [UInt32] = []
        path.reserveCapacity(depth)
        for _ in 0..<depth { path.append(try index()) }
        return Position(path)
    }

    private mutating func index() throws -> UInt32 {
        let v = try varint()
        guard v <= UInt64(UInt32.max) else { throw Truncated(what: "a position index overflows") }
        return UInt32(v)
    }

    func rest() -> [UInt8] { Array(UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
}
