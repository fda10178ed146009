import CairnLog

/// An unfinished workflow's recorded operations, kept as the log holds them — each record's LSN, kind and envelope
/// bytes, appended to one buffer — and decoded into ``Projection/HistoryEntry`` values only when something replays
/// or inspects the history (``decoded()``).
///
/// Why bytes: most histories are never read. At start-up the projection sees every operation of every workflow,
/// and nine in ten of those workflows turn out to be finished, which drops their history. Decoding each operation
/// into an ``Event`` (strings, a position array, a payload copy) and a dictionary entry only to drop it cost more
/// than everything else the rebuild does; appending the bytes costs a copy. A history is decoded when a
/// ``WorkflowRun`` is made for the workflow (execution, recovery, replay) or a tool asks for its state — once per
/// run, not per event.
///
/// Decoding applies the rules ``Projection`` always had (see ``decoded()``). What the summary needs at once — how
/// many positions are recorded (``WorkflowSummary/historyCount``) — is counted as records arrive: ``append(_:)``
/// tells whether a record's position is new.
struct HistoryRecords: Sendable {
    /// Records, each a header (``headerSize`` bytes: LSN, position key, envelope length and tag) and its envelope.
    private var bytes: [UInt8] = []
    /// How many records ``bytes`` holds.
    private(set) var count = 0
    /// The position keys of the records, once there are too many to search the headers for one.
    private var keys: Set<UInt64>?

    private static let headerSize = 24
    /// Up to this many records a new position is looked for in the headers; then in ``keys``.
    private static let scanLimit = 32

    var isEmpty: Bool { count == 0 }

    /// Appends an operation (the envelope must have a position); returns whether its position is new to the history.
    mutating func append(_ envelope: EventEnvelope) -> Bool {
        guard let position = envelope.peek.position else { return false }
        let key = Self.key(position, in: envelope.bytes)
        let isNew = !contains(key, position: UnsafeRawBufferPointer(rebasing: envelope.bytes[position]))
        // Room for a few small operations at once (one allocation for most histories); a large one is not doubled.
        if bytes.isEmpty { bytes.reserveCapacity(max(384, Self.headerSize + envelope.bytes.count)) }
        let header = (
            envelope.lsn.rawValue.littleEndian, key.littleEndian,
            (UInt64(envelope.bytes.count) | UInt64(envelope.kind.rawValue) << 32).littleEndian)
        withUnsafeBytes(of: header) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: envelope.bytes)
        count += 1
        if keys != nil {
            keys!.insert(key)
        } else if count > Self.scanLimit {
            var all = Set<UInt64>(minimumCapacity: 2 * count)
            forEach { _, _, key, _ in all.insert(key) }
            keys = all
        }
        return isNew
    }

    /// The history by position, by the projection's rules: a receive's wait (``EventKind/receiveStarted``) sets
    /// the entry's `waitStarted` (the latest one wins); otherwise the first outcome recorded at a position wins and
    /// later ones are ignored; an entry's LSN is its outcome's, or its first record's while it has none.
    func decoded() -> [Position: Projection.HistoryEntry] {
        var history: [Position: Projection.HistoryEntry] = [:]
        history.reserveCapacity(count)
        forEach { lsn, tag, _, envelope in
            let event = EventEnvelope.decode(lsn: lsn, tag: tag, bytes: envelope)
            guard let position = event.position else { return }
            history[position, default: Projection.HistoryEntry(event: nil, waitStarted: nil, lsn: lsn)].record(event, lsn: lsn)
        }
        return history
    }

    /// Calls `body` with each record: its LSN, tag, position key and envelope bytes, in the order appended.
    private func forEach(_ body: (LSN, UInt8, UInt64, UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { b in
            var offset = 0
            while offset < b.count {
                let lsn = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                let key = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
                let lengthAndTag = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self))
                let length = Int(truncatingIfNeeded: lengthAndTag & 0xFFFF_FFFF)
                let tag = UInt8(truncatingIfNeeded: lengthAndTag >> 32)
                let start = offset + Self.headerSize
                body(LSN(rawValue: lsn), tag, key, UnsafeRawBufferPointer(rebasing: b[start..<start + length]))
                offset = start + length
            }
        }
    }

    /// How many values of stream `key` (UTF-8) the history holds, and whether it holds the stream's close. Reads
    /// the records' headers, and peeks only at stream records.
    func stream(_ key: [UInt8]) -> (values: Int, closed: Bool) {
        var (values, closed) = (0, false)
        forEach { _, tag, _, envelope in
            guard tag == EventKind.streamWritten.rawValue || tag == EventKind.streamClosed.rawValue,
                let peek = try? EnvelopePeek(tag: tag, bytes: envelope), EnvelopePeek.equals(peek.name, in: envelope, key)
            else { return }
            if tag == EventKind.streamClosed.rawValue { closed = true } else { values += 1 }
        }
        return (values, closed)
    }

    /// Whether a record with this position is already here.
    private func contains(_ key: UInt64, position: UnsafeRawBufferPointer) -> Bool {
        if let keys, !keys.contains(key) { return false }
        if count == 0 { return false }
        if keys != nil && Self.isExact(key) { return true }
        // A key that packs the position's bytes is the position; a hashed one must be compared byte by byte.
        var found = false
        forEach { _, tag, stored, envelope in
            guard !found, stored == key else { return }
            if Self.isExact(key) {
                found = true
            } else if let peek = try? EnvelopePeek(tag: tag, bytes: envelope), let range = peek.position {
                found = range.count == position.count
                    && zip(UnsafeRawBufferPointer(rebasing: envelope[range]), position).allSatisfy { $0 == $1 }
            }
        }
        return found
    }

    /// A key for a position's encoded bytes: the bytes themselves and their count when they fit in 7 bytes (every
    /// position of up to 3 levels with indices below 16384, so exact), else a hash with the top bit set.
    private static func key(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> UInt64 {
        if range.count <= 7 {
            var key = UInt64(range.count) << 56
            for (i, byte) in UnsafeRawBufferPointer(rebasing: bytes[range]).enumerated() {
                key |= UInt64(byte) << (8 * UInt64(i))
            }
            return key
        }
        return EnvelopePeek.hash(range, in: bytes).a | (1 << 63)
    }

    private static func isExact(_ key: UInt64) -> Bool { key >> 63 == 0 }
}
