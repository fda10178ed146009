/// Read-only access to a log directory, without taking its lock: for tools that look at a log while a service
/// has it open (`cairn inspect`, `cairn tail`), and for reading a log nobody has open.
///
/// A reader never changes a file. Where an open would repair (a torn tail, an interrupted compaction), the reader
/// reads around it: it stops at the last valid frame and reports where, and it ignores superseded segments and
/// temporary files.
public struct LogReader: Sendable {
    /// The log directory.
    public let directory: String
    private let dir: LogDirectory

    /// Opens `directory` for reading.
    /// - Throws: ``LogError`` — `.notFound`, `.notADirectory`, `.permissionDenied`, `.foreignFile`.
    public init(directory: String) throws {
        dir = LogDirectory(path: directory)
        self.directory = dir.path
        switch try Directory.kind(of: dir.path, in: dir.fileSystem) {
        case .missing:
            throw LogError(.notFound, "there is no log directory at this path", path: dir.path)
        case .other:
            throw LogError(.notADirectory, "the path is not a directory, so it is not a Cairn log", path: dir.path)
        case .directory:
            if Directory.accessDenied(dir.path, write: false, in: dir.fileSystem) != nil {
                throw LogError(.permissionDenied, "this process may not read the log directory", path: dir.path)
            }
        }
        _ = try dir.list()
    }

    /// How a scan ended.
    public struct ScanSummary: Sendable {
        /// Records handed to the body.
        public var recordCount: Int
        /// The LSN of the last of them.
        public var lastLSN: LSN?
        /// Set when the last segment ended in bytes that are not a valid frame: a write in progress, or a torn
        /// tail that the next ``Log/open(at:configuration:visit:)`` will cut.
        public var incompleteTail: (file: String, offset: Int64, reason: String)?
    }

    /// Calls `body` for each record with an LSN at or after `from`, in order, until it returns false. Blocking.
    /// - Throws: ``LogError`` `.corruptSegment` for damage a torn write cannot explain, with file and offset.
    @discardableResult
    public func scan(from: LSN = .first, _ body: (LogRecordView) throws -> Bool) throws -> ScanSummary {
        let dir = self.dir
        let scan = try SegmentScan(from: from, in: dir.fileSystem, segments: { (try dir.catalog().segments, nil) }, body)
        return ScanSummary(recordCount: scan.recordsVisited, lastLSN: scan.lastLSN, incompleteTail: scan.tail)
    }

    /// Every record from `from` on, read into memory. Blocking; for tests and small logs.
    public func entries(from: LSN = .first) throws -> [LogEntry] {
        var entries: [LogEntry] = []
        try scan(from: from) { record in
            entries.append(record.entry)
            return true
        }
        return entries
    }

    /// Verifies the whole log as ``Log/open(at:configuration:visit:)`` would, without repairing anything.
    /// - Returns: what an open would find (``RecoveryReport/truncatedTail`` says what it would cut).
    /// - Throws: the error an open would throw.
    public func verify(visit: ((LogRecordView) throws -> Void)? = nil) throws -> RecoveryReport {
        try Recovery(
            directory: dir, writable: false,
            visit: visit.map { v in { lsn, tag, bytes in try v(LogRecordView(lsn: lsn, tag: tag, bytes: bytes)) } }
        ).report
    }

    /// A tailing sequence: every record from `from` on, then each new one as it is appended, polling the files
    /// every `pollInterval`. Reading happens on a dedicated thread, never on the cooperative pool.
    public func tail(from: LSN = .first, pollInterval: Duration = .milliseconds(50)) -> LogTail {
        LogTail(directory: dir, from: from, pollInterval: pollInterval)
    }
}
