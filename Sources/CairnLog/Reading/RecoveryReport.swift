/// What opening a log found and did: how much it verified, and any repair it made.
///
/// A clean open has no ``truncatedTail``, no ``cutAfterFailedSync`` and no removed files. Anything else is also logged at `warning` level.
public struct RecoveryReport: Sendable, CustomStringConvertible {
    /// Segment files in the log.
    public var segmentCount = 0
    /// Frames verified (checksum, decompression, record structure).
    public var frameCount = 0
    /// Records found.
    public var recordCount = 0
    /// The LSN of the first record, if there is one.
    public var firstLSN: LSN?
    /// The LSN of the last record, if there is one.
    public var lastLSN: LSN?
    /// Bytes of records after decompression, and bytes of frames on disk: their ratio is the compression ratio.
    public var rawBytes = 0
    /// Bytes of frames on disk (headers and checksums included).
    public var storedBytes = 0

    /// A torn or corrupt end of the last segment, cut back to the last good frame.
    public struct TruncatedTail: Sendable, Hashable, CustomStringConvertible {
        /// The segment file.
        public var file: String
        /// Where the cut was made: the end of the last good frame.
        public var offset: Int64
        /// How many bytes followed that point (zero fill included).
        public var droppedBytes: Int64
        /// Why the bytes at ``offset`` were not a frame.
        public var reason: String

        public var description: String {
            "cut \(file) back to offset \(offset) (\(droppedBytes) bytes dropped: \(reason))"
        }
    }

    /// Set when the last segment ended in a torn or corrupt frame. A read-only reader reports it without cutting.
    public var truncatedTail: TruncatedTail?
    /// Set when the previous writer's sync failed: the segment was cut back to the end of its last successful sync
    /// (by that writer, or by this open), as the bytes after it may be pages the disk never took, still in the page
    /// cache (the writer marks this in the `LOCK` file). Records there were never acknowledged under
    /// ``LogConfiguration/Durability/always``; ``TruncatedTail/droppedBytes`` counts what this open cut.
    public var cutAfterFailedSync: TruncatedTail?
    /// Segments that an interrupted compaction had already replaced, removed to finish it.
    public var removedSupersededSegments: [String] = []
    /// Temporary files of an interrupted segment creation or compaction, removed.
    public var removedTemporaryFiles: [String] = []

    /// Creates an empty report.
    public init() {}

    public var description: String {
        var s = "\(segmentCount) segments, \(frameCount) frames, \(recordCount) records"
        if let firstLSN, let lastLSN { s += ", LSN \(firstLSN)...\(lastLSN)" }
        if let cutAfterFailedSync { s += "; after a failed sync, \(cutAfterFailedSync)" }
        if let truncatedTail { s += "; \(truncatedTail)" }
        if !removedSupersededSegments.isEmpty {
            s += "; finished an interrupted compaction by removing \(removedSupersededSegments.joined(separator: ", "))"
        }
        if !removedTemporaryFiles.isEmpty {
            s += "; removed temporary files \(removedTemporaryFiles.joined(separator: ", "))"
        }
        return s
    }
}
