/// What the end of one segment's frames means: the one judgement that recovery acts on, that readers respect and
/// that `cairn verify` reports, in the same words.
///
/// ``SegmentReader`` says where and why its frames stopped (``SegmentReader/End``); this says what that is:
/// - a segment followed by another (sealed) is intact when its frames reach the end of the file, its seal, or a
///   seal a power loss tore (``SegmentReader/endsInTornSeal(_:)``); anything else is damage to acknowledged records;
/// - the last segment is intact when its frames reach the end of the file or its zero fill; bad bytes after its
///   last good frame are a torn tail (an unacknowledged write, to be cut) unless a frame that starts a later commit
///   follows them, which proves acknowledged records lie beyond the damage (``SegmentReader/tailVerdict(_:)``).
package struct SegmentVerdict: Sendable, Equatable {
    /// The judgement.
    package enum Kind: Sendable, Equatable {
        /// Valid frames to the segment's end.
        case intact
        /// The last segment ends in the remains of an unacknowledged write: the bytes from ``offset`` on are cut by
        /// the next writable open.
        case tornTail(reason: String)
        /// The last segment is damaged at ``offset`` and a frame that starts a later commit follows at the given
        /// offset: acknowledged records lie beyond the damage, so nothing may be cut.
        case damagedBeforeCommit(reason: String, followedByCommitAt: Int64)
        /// A sealed segment whose frames stop at ``offset``, before its end.
        case damagedSealed(reason: String)
    }

    /// The judgement.
    package var kind: Kind
    /// The segment file's name.
    package var file: String
    /// Its path.
    package var path: String
    /// Where the valid frames end: the offset of the first byte that is not part of one.
    package var offset: Int64
    /// The last LSN read from the segment's valid frames, if any.
    package var lastLSN: LSN?
    /// The segment file's size.
    package var fileSize: Int64

    /// Judges where `reader` stopped (its frames ended with `end`) in `segment`; `isLast` when no segment follows.
    package init(
        reader: SegmentReader, end: SegmentReader.End, segment: SegmentDescriptor, isLast: Bool
    ) throws(LogError) {
        file = segment.name
        path = segment.path
        offset = reader.offset
        lastLSN = reader.lastLSN
        fileSize = try reader.file.size()
        if isLast {
            switch try reader.tailVerdict(end) {
            case .clean: kind = .intact
            case .torn(let reason): kind = .tornTail(reason: reason)
            case .damaged(let valid): kind = .damagedBeforeCommit(reason: end.explanation, followedByCommitAt: valid)
            }
        } else {
            let sealed = end == .endOfFile ? true : try reader.endsInTornSeal(end)
            kind = sealed ? .intact : .damagedSealed(reason: end.explanation)
        }
    }

    /// Whether records are missing or damaged: an open refuses the log (``error``).
    package var isDamage: Bool {
        switch kind {
        case .intact, .tornTail: false
        case .damagedBeforeCommit, .damagedSealed: true
        }
    }

    /// Bytes a torn tail's cut drops.
    package var droppedBytes: Int64 { fileSize - offset }

    /// The finding in words (nil when intact), as `cairn verify` lists it and an open's error says it.
    package var finding: String? {
        switch kind {
        case .intact:
            nil
        case .tornTail(let reason):
            "torn tail (\(reason)): \(droppedBytes) bytes after the last good frame; the next open cuts them, or `cairn verify --repair` now"
        case .damagedBeforeCommit(let reason, let valid):
            "segment \(file) is damaged at this offset (\(reason)) but a later commit's frame follows at offset \(valid): acknowledged records lie beyond the damage, so it is not a torn write and nothing may be cut; restore the segment from a backup"
        case .damagedSealed(let reason):
            "sealed segment \(file) is damaged at this offset (\(reason)); restore it from a backup"
        }
    }

    /// The error an open stops with: set for damage, nil for an intact segment or a torn tail (which it cuts).
    package var error: LogError? {
        guard isDamage, let finding else { return nil }
        return LogError(
            .corruptSegment, finding + ", or run `cairn verify` for details", path: path, offset: offset,
            lsn: lastLSN)
    }

    /// What an open cuts for a torn tail, as its report says it.
    package var truncatedTail: RecoveryReport.TruncatedTail? {
        guard case .tornTail(let reason) = kind else { return nil }
        return RecoveryReport.TruncatedTail(file: file, offset: offset, droppedBytes: droppedBytes, reason: reason)
    }
}

extension SegmentReader.End {
    /// Why the frames stopped, in words.
    package var explanation: String {
        switch self {
        case .endOfFile: "end of file"
        case .zeroes: "zero bytes where a frame should start"
        case .invalid(let reason): reason
        }
    }
}
