#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening a log directory: verify every frame of every segment, decide what a bad tail means, and (when allowed
/// to write) repair what a crash can leave behind.
///
/// The rules (also in the LogFormat article); what a segment's end means is judged by ``SegmentVerdict``, which
/// `cairn verify` reports in the same words:
/// - Temporary files (`.seg.tmp`, `.seg.compact`) are unfinished work: removed.
/// - A segment whose base is below an earlier compaction output's *replaces-until* LSN was already replaced by it:
///   removed, which finishes that compaction.
/// - A sealed segment (any but the last) must be valid frames from header to end of file. Anything else stops the
///   open with ``LogError/Code/corruptSegment``, naming the file and byte offset.
/// - The last segment may end in zeros (pre-allocated space) or in a torn frame: a crash mid-write. If no valid
///   frame follows the bad bytes, they are cut off and reported in ``RecoveryReport/truncatedTail``. If a valid
///   frame does follow, acknowledged records lie beyond the damage: that is corruption, not a torn write, and the
///   open stops with an error rather than drop them.
/// - The segments must cover one unbroken LSN range (``SegmentDescriptor/checkContiguity(after:)``):
///   a missing or overlapping segment stops the open with ``LogError/Code/missingSegment``. A last segment that
///   ends in a seal, or that is a compaction output, was followed by another segment that is gone.
/// - After a failed sync the writer left a mark in `LOCK`: the marked segment is cut back to its last synced
///   offset before anything is read (``RecoveryReport/cutAfterFailedSync``).
/// - Nothing else is removed or cut until every segment has been verified: an open that stops with an error has
///   changed no file but the cut after a failed sync, whose bytes are untrusted whatever happens next.
package struct Recovery {
    package var report = RecoveryReport()
    package var segments: [SegmentDescriptor] = []
    /// The reader left at the end of the last segment (writable when recovering for a writer), if any segment.
    package var last: SegmentReader?
    /// The LSN the next appended record gets.
    package var nextLSN = LSN.first

    /// Recovers `directory`. `writable` allows removing leftovers and cutting a torn tail; `visit` sees every record
    /// that survives, in LSN order.
    package init(
        directory: LogDirectory, writable: Bool, failedSync: DirectoryLock.FailedSync? = nil,
        visit: ((LSN, UInt8, UnsafeRawBufferPointer) throws -> Void)? = nil
    ) throws {
        let catalog = try directory.catalog()
        segments = catalog.segments
        report.segmentCount = segments.count
        if writable, let failedSync, let marked = segments.first(where: { $0.name == failedSync.segment }) {
            let file = try File.open(marked.path, O_RDWR, in: directory.fileSystem)
            let size = try file.size()
            // The writer cut it back already when it could; reported either way, for a failed sync is news.
            if size > failedSync.syncedUntil {
                try file.truncate(to: failedSync.syncedUntil)
                try file.sync()
            }
            report.cutAfterFailedSync = RecoveryReport.TruncatedTail(
                file: marked.name, offset: failedSync.syncedUntil, droppedBytes: max(0, size - failedSync.syncedUntil),
                reason: "a sync of this segment failed after this offset: the bytes after it are not trusted")
        }
        var previous: LSN?
        /// The base the next segment must have, from the segments before it.
        var expectedBase: LSN?
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            try segment.checkContiguity(after: expectedBase)
            let reader = try SegmentReader(
                path: segment.path, writable: writable && isLast, following: previous, in: directory.fileSystem)
            let end: SegmentReader.End
            scan: while true {
                switch try reader.next(visit ?? { _, _, _ in }) {
                case .frame: continue
                case .end(let why):
                    end = why
                    break scan
                }
            }
            // One judgement for the open, readers and `cairn verify` (SegmentVerdict): damage stops the open, a torn
            // tail of the last segment is cut once every segment is verified.
            let verdict = try SegmentVerdict(reader: reader, end: end, segment: segment, isLast: isLast)
            if let error = verdict.error { throw error }
            if let tail = verdict.truncatedTail { report.truncatedTail = tail }
            if isLast { try segment.checkIsLast(sealedNextBase: reader.sealedNextBase) }
            report.frameCount += reader.frameCount
            report.recordCount += reader.recordCount
            report.rawBytes += reader.rawBytes
            report.storedBytes += reader.storedBytes
            if reader.recordCount > 0 {
                if report.firstLSN == nil {
                    // The first record of the first segment that has any.
                    report.firstLSN = firstLSNOf(segment: segment, reader: reader)
                }
                report.lastLSN = reader.lastLSN
            }
            expectedBase = segment.successorBase(
                lastLSN: reader.recordCount > 0 ? reader.lastLSN : nil, sealedNextBase: reader.sealedNextBase)
            previous = reader.lastLSN ?? previous
            nextLSN = max(nextLSN, segment.base, LSN(max(segment.replacesUntil, 1)))
            if let last = reader.lastLSN { nextLSN = max(nextLSN, last.next) }
            if isLast { self.last = reader }
        }
        // Every segment is verified: only now repair, so that an open which refuses has changed nothing.
        guard writable else { return }
        for name in catalog.temporaries {
            try Directory.remove(directory.file(name), in: directory.fileSystem)
            report.removedTemporaryFiles.append(name)
        }
        for name in catalog.superseded {
            try Directory.remove(directory.file(name), in: directory.fileSystem)
            report.removedSupersededSegments.append(name)
        }
        if !catalog.temporaries.isEmpty || !catalog.superseded.isEmpty { try Directory.sync(directory.path, in: directory.fileSystem) }
        if let tail = report.truncatedTail, let last {
            try last.file.truncate(to: tail.offset)
            try last.file.sync()
        }
    }

    private func firstLSNOf(segment: SegmentDescriptor, reader: SegmentReader) -> LSN? {
        guard let probe = try? SegmentReader(path: segment.path, in: reader.file.fileSystem) else { return nil }
        var first: LSN?
        _ = try? probe.next { lsn, _, _ in if first == nil { first = lsn } }
        return first
    }
}
