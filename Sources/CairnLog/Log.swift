import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A segmented, LZ4-compressed, checksummed, append-only log of opaque records in a directory.
///
/// One process at a time may open a directory (an `flock` on its `LOCK` file); opening verifies every frame and
/// repairs what a crash can leave (see ``RecoveryReport``). Appends from any number of tasks are group-committed by
/// one writer thread: each cycle takes everything queued, writes it as LZ4-compressed frames with one `pwrite`,
/// syncs once (under ``LogConfiguration/Durability/always``), and resumes every appender.
///
/// ```swift
/// let log = try await Log.open(at: "/var/lib/orders/log")
/// let lsn = try await log.append(LogRecord(tag: 1, payload: Array("hello".utf8)))
/// try log.scan(from: .first) { record in
///     print(record.lsn, record.tag, record.bytes.count)
///     return true
/// }
/// try await log.close()
/// ```
///
/// The on-disk format and the recovery rules are described in <doc:LogFormat>.
public final class Log: Sendable {
    /// The log directory.
    public let directory: String
    /// The configuration the log was opened with.
    public let configuration: LogConfiguration
    /// What opening found and repaired.
    public let recovery: RecoveryReport

    private let writer: LogWriter
    private let closed = Atomic<Bool>(false)
    private let compactionLock = Mutex<Bool>(false)

    package var state: LogState { writer.state }

    private init(directory: String, configuration: LogConfiguration, recovery: RecoveryReport, writer: LogWriter) {
        self.directory = directory
        self.configuration = configuration
        self.recovery = recovery
        self.writer = writer
    }

    deinit {
        // Not closed: stop the writer without waiting. Queued appends still complete; the lock is released when
        // the writer thread exits.
        if !closed.load(ordering: .relaxed) { writer.stopDetached() }
    }

    /// Opens the log in `directory`, creating the directory (mode 0700) if it does not exist.
    ///
    /// Verifies every frame, removes the leftovers of an interrupted segment creation or compaction, and cuts a
    /// torn tail off the last segment (and, after a failed sync, everything the sync did not make durable); what
    /// it did is in ``recovery``.
    ///
    /// - Parameters:
    ///   - directory: the log directory.
    ///   - configuration: durability, segment size, record size limit and logger.
    ///   - visit: called for every record, in LSN order, while recovery verifies them — a state rebuild that needs
    ///     only one pass over the log. The view is valid only during the call. It runs on the opening thread.
    /// - Throws: ``LogError`` — `.locked` if another `Log` has the directory, `.notADirectory`,
    ///   `.permissionDenied` (also when files cannot be created in the directory), `.foreignFile` (also a symbolic
    ///   link, FIFO or directory under a log file's name), `.unsupportedFormatVersion`, `.corruptSegment`,
    ///   `.missingSegment` (the segments do not cover one unbroken LSN range), `.invalidArgument` (a configuration
    ///   value out of range, an empty path).
    public static func open(
        at directory: String, configuration: LogConfiguration = LogConfiguration(),
        visit: (@Sendable (LogRecordView) throws -> Void)? = nil
    ) async throws -> Log {
        try await DedicatedThread.run(name: "cairn-log-open") {
            try openBlocking(at: directory, configuration: configuration, visit: visit)
        }
    }

    /// ``open(at:configuration:visit:)`` without leaving the calling thread: blocks it for the whole recovery.
    /// For command-line tools and tests; services should use the `async` form.
    public static func openBlocking(
        at directory: String, configuration: LogConfiguration = LogConfiguration(),
        visit: ((LogRecordView) throws -> Void)? = nil
    ) throws -> Log {
        let configuration = try configuration.validated()
        guard !directory.isEmpty else {
            // Not the current directory, and above all not "/" (the lock file would be "/LOCK").
            throw LogError(.invalidArgument, "the log directory path is empty; give the path of a directory", path: directory)
        }
        let dir = LogDirectory(path: directory)
        switch try Directory.kind(of: dir.path) {
        case .other:
            throw LogError(.notADirectory, "the log path exists but is not a directory; give a directory path", path: dir.path)
        case .missing:
            try Directory.create(dir.path)
        case .directory:
            // The writer creates segments here as the log grows: find out now, not at the first roll (which would
            // poison the log), and before writing anything — the lock file included.
            guard Directory.isAccessible(dir.path, write: true) else {
                let code = errno
                throw LogError(
                    .permissionDenied,
                    "this process may not create files in the log directory (\(String(cString: strerror(code)))); give it read, write and search access",
                    path: dir.path, errno: code)
            }
        }
        let lock = try DirectoryLock.acquire(directory: dir.path)
        var recovery = try Recovery(
            directory: dir, writable: true, failedSync: lock.failedSync,
            visit: visit.map { v in { lsn, tag, bytes in try v(LogRecordView(lsn: lsn, tag: tag, bytes: bytes)) } })
        if lock.failedSync != nil { try lock.clearFailedSync() }
        let segment: File
        let header: SegmentHeader
        let writeOffset: Int64
        var history = UnsafeRawBufferPointer(start: nil, count: 0)
        if let last = recovery.last {
            segment = last.file
            header = last.header
            writeOffset = last.offset
            history = last.history
        } else {
            // A new log: its first segment, created durably before anything is acknowledged.
            let name = LogDirectory.segmentName(base: recovery.nextLSN)
            let path = dir.file(name)
            header = SegmentHeader.fresh(baseLSN: recovery.nextLSN)
            let created = try File.open(path + ".tmp", O_RDWR | O_CREAT | O_TRUNC, mode: 0o600)
            try created.write(header.encoded(), at: 0)
            try created.sync()
            try Directory.rename(path + ".tmp", to: path)
            try Directory.sync(dir.path)
            segment = try File.open(path, O_RDWR)
            writeOffset = Int64(SegmentHeader.size)
            recovery.segments.append(SegmentDescriptor(name: name, path: path, base: recovery.nextLSN, replacesUntil: 0))
            recovery.report.segmentCount = 1
        }
        let state = LogState(
            directory: dir, segments: recovery.segments, activeEnd: writeOffset, lastLSN: recovery.report.lastLSN)
        let writer = try LogWriter(
            state: state, configuration: configuration, lock: lock, segment: segment, header: header, writeOffset: writeOffset,
            nextLSN: recovery.nextLSN, history: history)
        writer.start()
        let report = recovery.report
        if report.truncatedTail != nil || report.cutAfterFailedSync != nil || !report.removedTemporaryFiles.isEmpty || !report.removedSupersededSegments.isEmpty {
            configuration.logger.warning("log recovered with repairs", metadata: ["directory": "\(dir.path)", "report": "\(report)"])
        } else {
            configuration.logger.debug("log opened", metadata: ["directory": "\(dir.path)", "report": "\(report)"])
        }
        return Log(directory: dir.path, configuration: configuration, recovery: report, writer: writer)
    }

    // MARK: Appending

    /// Appends one record; returns its LSN once it is acknowledged under the configured durability policy.
    ///
    /// Cancelling the calling task does not withdraw the record: once queued it is written.
    /// - Throws: ``LogError`` — `.emptyRecord`, `.recordTooLarge` (nothing written); `.poisoned`, `.diskFull`,
    ///   `.ioFailed` when the log cannot write; `.closed`.
    public func append(_ record: LogRecord) async throws -> LSN {
        try await withUnsafeThrowingContinuation { _enqueue([record], continuation: $0) }
    }

    /// Appends records atomically: all in one frame, with consecutive LSNs, acknowledged together.
    /// - Returns: the LSNs the records got.
    /// - Throws: ``LogError`` — `.emptyRecord` (no records, or an empty one), `.recordTooLarge` (a record over
    ///   ``LogConfiguration/maxRecordSize``, or a batch over 256 MiB, the largest frame); nothing is written then.
    ///   Otherwise as ``append(_:)``.
    public func append(contentsOf records: [LogRecord]) async throws -> ClosedRange<LSN> {
        let last = try await withUnsafeThrowingContinuation { _enqueue(records, continuation: $0) }
        return LSN(last.rawValue - UInt64(records.count - 1))...last
    }

    /// ``append(contentsOf:)`` without its async frame, for callers that suspend in a continuation of their own
    /// (the engine's commit, once per workflow operation): validates and enqueues `records`, then resumes
    /// `continuation` with the last LSN once they are acknowledged, or with the ``LogError`` that refused them.
    package func _enqueue(_ records: [LogRecord], continuation: UnsafeContinuation<LSN, any Error>) {
        do {
            let bound = try validate(records)
            writer.enqueue(records, rawBound: bound, continuation: continuation)
        } catch {
            continuation.resume(throwing: error)
        }
    }

    /// Checks a batch before it is queued; returns the bound on its raw size. Kept out of the async callers, whose
    /// frames (allocated from the task for every append) would grow with it.
    @inline(never)
    private func validate(_ records: [LogRecord]) throws(LogError) -> Int {
        guard !records.isEmpty else {
            throw LogError(.emptyRecord, "append(contentsOf:) was given no records", path: directory)
        }
        var bound = 0
        for record in records {
            try validate(record)
            bound += record.payload.count + RecordBlock.maxRecordOverhead
        }
        // One frame holds the whole batch, and readers refuse frames larger than this as damage.
        guard bound <= SegmentReader.maxRawLength else {
            throw LogError(
                .recordTooLarge,
                "a batch of \(records.count) records (up to \(bound) bytes) exceeds the largest frame (\(SegmentReader.maxRawLength) bytes); nothing was written — append it in smaller batches",
                path: directory)
        }
        return bound
    }

    private func validate(_ record: LogRecord) throws(LogError) {
        if record.payload.isEmpty {
            throw LogError(.emptyRecord, "a record must have at least one byte (tag \(record.tag)); nothing was written", path: directory)
        }
        if record.payload.count > configuration.maxRecordSize {
            throw LogError(
                .recordTooLarge,
                "a record of \(record.payload.count) bytes exceeds maxRecordSize (\(configuration.maxRecordSize)); nothing was written — store large blobs elsewhere and log a reference",
                path: directory)
        }
    }

    /// The LSN of the last acknowledged record, if any.
    public var lastLSN: LSN? { state.snapshot.lastLSN }

    // MARK: Closing

    /// Writes and acknowledges everything queued, syncs, stops the writer thread and releases the directory lock.
    /// Appends after this throw ``LogError/Code/closed``.
    /// - Throws: ``LogError`` when the final sync failed (`.ioFailed`, `.diskFull`): what was appended since the
    ///   last successful sync may not be durable, and the next open cuts it off. The lock is released regardless.
    public func close() async throws {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        try await DedicatedThread.run(name: "cairn-log-close") { [writer] in try writer.stop(sync: true) }
    }

    /// Stops without the final sync and releases the lock, as a crash would leave the files (tests only: what was
    /// written but not synced is still in the page cache, so this models a process crash, not a power loss).
    package func _abandon() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        try? writer.stop(sync: false)
    }
}
