package import CairnLog
import Synchronization

/// The segmented log in a directory (``CairnLog/Log``) as a ``WorkflowStore``: the embedded default, held
/// exclusively by the directory's `flock`.
///
/// Its authoritative order is LSN order, and LSNs follow it: the log's writer thread assigns them as it frames a
/// group commit, and hands the commit to the sink (the log's ``CairnLog/LogConfiguration/_acknowledge`` hook) after
/// the sync and before it resumes the appenders. An append is the log's enqueue: no task hop, lock or allocation
/// beyond the log's own.
package final class LogStore: WorkflowStore, @unchecked Sendable {
    // @unchecked: `opened` is written only by `open` (before the engine that appends exists, or once it has closed
    // the store) and by `init(opened:)`; every other use happens after `open` returned to the engine that uses it.
    // `isOpen` refuses a second `open` while the store is open.
    private nonisolated(unsafe) var opened: Log?
    private let isOpen = Atomic<Bool>(false)
    private let configuration: LogConfiguration

    /// The log directory.
    package let directory: String

    /// A store on the log in `directory` (created at ``open(delivering:visit:)`` if missing).
    package init(directory: String, configuration: LogConfiguration) {
        self.directory = directory
        self.configuration = configuration
    }

    /// A store on a log opened already (`cairn compact`, which opens it itself). It delivers no commits.
    package init(opened log: Log) {
        directory = log.directory
        configuration = log.configuration
        opened = log
        isOpen.store(true, ordering: .relaxed)
    }

    /// The open log (tests look at it directly).
    package var log: Log? { opened }

    package var location: String { directory }
    package var guarantees: StoreGuarantees { StoreGuarantees(positionsFollowCommitOrder: true) }
    package var ownership: StoreOwnership { .exclusive }
    package var openingReport: String { opened.map { "\($0.recovery)" } ?? "not open" }

    package func open(delivering sink: CommitSink, visit: @escaping @Sendable (LogRecordView) throws -> Void) async throws {
        guard !isOpen.exchange(true, ordering: .relaxed) else {
            throw WorkflowError(.invalidState, "the log store at \(directory) is open already; close it first")
        }
        var configuration = self.configuration
        configuration._acknowledge = { acknowledgement in sink.deliver(acknowledgement) }
        do {
            opened = try await Log.open(at: directory, configuration: configuration, visit: visit)
        } catch {
            isOpen.store(false, ordering: .relaxed)
            throw error
        }
    }

    package func append(_ records: [LogRecord], continuation: UnsafeContinuation<LSN, any Error>) {
        guard let log = opened else {
            continuation.resume(throwing: LogError(.closed, "the log store is not open", path: directory))
            return
        }
        log._enqueue(records, continuation: continuation)
    }

    package func failureStopsEngine(_ error: any Error) -> Bool {
        guard let error = error as? LogError else { return false }
        return ![.recordTooLarge, .emptyRecord, .closed].contains(error.code)
    }

    package func read<State: Sendable>(
        _ range: ClosedRange<LSN>, into state: State,
        _ body: @escaping @Sendable (inout State, LogRecordView) throws -> Bool
    ) async throws -> State {
        let log = try openLog()
        return try await DedicatedThread.run(name: "cairn-log-read") {
            var state = state
            try log.scan(range) { record in try body(&state, record) }
            return state
        }
    }

    /// One thread for all the ranges; the ranges that start in one segment are read in one scan (a scan decompresses
    /// its first segment from the start, so a scan per range would do that again for each), skipping the records
    /// between them without handing them to `body`.
    package func records<State: Sendable>(
        of id: String, in ranges: [ClosedRange<LSN>], into state: State,
        _ body: @escaping @Sendable (inout State, LogRecordView) throws -> Bool
    ) async throws -> State {
        guard !ranges.isEmpty else { return state }
        let log = try openLog()
        return try await DedicatedThread.run(name: "cairn-log-read") {
            var state = state
            let segments = log.state.snapshot.segments
            func segment(of lsn: LSN) -> Int { segments.lastIndex { $0.base <= lsn } ?? 0 }
            var next = 0
            var stopped = false
            while next < ranges.count && !stopped {
                // The ranges from `next` that start in the segment it starts in.
                let home = segment(of: ranges[next].lowerBound)
                var last = next
                while last + 1 < ranges.count && segment(of: ranges[last + 1].lowerBound) == home { last += 1 }
                var current = next
                _ = try log.scan(ranges[next].lowerBound...ranges[last].upperBound) { record in
                    while record.lsn > ranges[current].upperBound { current += 1 }
                    guard record.lsn >= ranges[current].lowerBound else { return true }
                    stopped = try !body(&state, record)
                    return !stopped
                }
                next = last + 1
            }
            return state
        }
    }

    package func tail(from position: LSN) -> AsyncThrowingStream<LogEntry, any Error> {
        let directory = self.directory
        let iterator = TailIterator()
        return AsyncThrowingStream {
            try await iterator.next(directory: directory, from: position)
        }
    }

    package func renewLease() async throws -> StoreOwnership { .exclusive }

    package func compactionScope() throws -> StoreCompactionScope {
        let log = try openLog()
        let segments = log.state.snapshot.segments
        let size = WorkflowCompaction.sizes(segments, in: log.state.directory.fileSystem)
        return StoreCompactionScope(
            through: WorkflowCompaction.sealedBoundary(segments), sealedUnits: size.sealedSegments,
            sealedBytes: size.sealed, totalBytes: size.total, maxRecordSize: log.configuration.maxRecordSize)
    }

    package func compact(
        through: LSN, interruptAfter: CompactionStep?, keeping keep: @escaping @Sendable (LogRecordView) -> Bool
    ) async throws -> CompactionReport {
        try await openLog().compact(through: through, interruptAfter: interruptAfter, keeping: keep)
    }

    package func close() async throws {
        guard let log = opened else { return }
        defer { isOpen.store(false, ordering: .relaxed) }
        try await log.close()
    }

    package func abandon() {
        opened?._abandon()
        isOpen.store(false, ordering: .relaxed)
    }

    private func openLog() throws -> Log {
        guard let log = opened else {
            throw WorkflowError(.invalidState, "the log store at \(directory) is not open")
        }
        return log
    }
}

/// The log's tail, made on the first call: ``LogStore/tail(from:)``'s state between the stream's pulls, which
/// come one at a time.
private final class TailIterator: @unchecked Sendable {
    // @unchecked: an `AsyncThrowingStream(unfolding:)` calls its closure once at a time, never concurrently.
    private var iterator: LogTail.Iterator?

    func next(directory: String, from position: LSN) async throws -> LogEntry? {
        if iterator == nil { iterator = try LogReader(directory: directory).tail(from: position).makeAsyncIterator() }
        return try await iterator!.next()
    }
}
