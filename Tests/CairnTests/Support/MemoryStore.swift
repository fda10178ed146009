import CairnLog
import Synchronization

@testable import Cairn

/// A ``WorkflowStore`` that keeps its records in memory: the engine's second store, which proves the engine
/// depends on the store protocol only. Closing keeps the records, so an engine reopened on the same object
/// recovers from them as from a log after a restart.
///
/// A batch gets its positions, is delivered to the sink and is acknowledged under one lock, so the delivery order
/// is the order of the records, as the protocol asks. It does not compact.
///
/// With ``Positions/decreasing`` each batch gets a block of positions below the previous batch's: consecutive
/// within a batch, decreasing across batches — the worst a store whose commit order differs from its sequence
/// order can do — to show that the engine relies on no order of positions across batches.
final class MemoryStore: WorkflowStore {
    enum Positions: Sendable, CustomStringConvertible {
        case increasing, decreasing
        var description: String { self == .increasing ? "increasing" : "decreasing" }
    }

    private struct State {
        var records: [LogEntry] = []
        var sink: CommitSink?
        var isOpen = false
        var opens = 0
        /// The last position handed out (decreasing: the lowest).
        var last: UInt64
    }

    private let state: Mutex<State>
    private let positions: Positions
    /// Awaited before each ``read(_:into:_:)`` (nil: none): a test holds a reader there while others write.
    let beforeRead = Mutex<(@Sendable () async throws -> Void)?>(nil)
    /// When set, a workflow's records are read as a store indexed by workflow reads them: all of them, whatever the
    /// span the engine gives (the protocol allows more, never fewer).
    let readsWholeHistories = Mutex(false)

    init(positions: Positions = .increasing) {
        self.positions = positions
        state = Mutex(State(last: positions == .increasing ? 0 : 1 << 40))
    }

    let location = "memory"
    var guarantees: StoreGuarantees { StoreGuarantees(positionsFollowCommitOrder: positions == .increasing) }
    var ownership: StoreOwnership { .exclusive }
    var openingReport: String { "\(records.count) records in memory" }

    /// Every record appended so far.
    var records: [LogEntry] { state.withLock { $0.records } }
    /// How often the store was opened.
    var opens: Int { state.withLock { $0.opens } }

    func open(delivering sink: CommitSink, visit: @escaping @Sendable (LogRecordView) throws -> Void) async throws {
        let records = try state.withLock { s throws(WorkflowError) -> [LogEntry] in
            guard !s.isOpen else { throw WorkflowError(.invalidState, "the memory store is open already") }
            s.isOpen = true
            s.opens += 1
            s.sink = sink
            return s.records
        }
        for record in records {
            try record.payload.withUnsafeBytes { try visit(LogRecordView(lsn: record.lsn, tag: record.tag, bytes: $0)) }
        }
    }

    func append(_ records: [LogRecord], continuation: UnsafeContinuation<LSN, any Error>) {
        let result = state.withLock { s -> Result<LSN, any Error> in
            guard s.isOpen else { return .failure(LogError(.closed, "the memory store is closed", path: location)) }
            guard !records.isEmpty else { return .failure(LogError(.emptyRecord, "no records", path: location)) }
            let count = UInt64(records.count)
            let first: UInt64
            switch positions {
            case .increasing:
                first = s.last + 1
                s.last += count
            case .decreasing:
                first = s.last - count
                s.last = first
            }
            var lsn = LSN(first)
            for record in records {
                s.records.append(LogEntry(lsn: lsn, tag: record.tag, payload: record.payload))
                lsn = lsn.next
            }
            s.sink?.deliver(Batch(records: records, first: LSN(first)))
            return .success(LSN(first + count - 1))
        }
        continuation.resume(with: result)
    }

    func failureStopsEngine(_ error: any Error) -> Bool { false }

    func read<State: Sendable>(
        _ range: ClosedRange<LSN>, into state: State, _ body: @escaping @Sendable (inout State, LogRecordView) throws -> Bool
    ) async throws -> State {
        if let gate = beforeRead.withLock({ $0 }) { try await gate() }
        var state = state
        for record in records where range.contains(record.lsn) {
            let more = try record.payload.withUnsafeBytes {
                try body(&state, LogRecordView(lsn: record.lsn, tag: record.tag, bytes: $0))
            }
            if !more { break }
        }
        return state
    }

    func records<State: Sendable>(
        of id: String, within span: ClosedRange<LSN>, into state: State,
        _ body: @escaping @Sendable (inout State, LogRecordView) throws -> Bool
    ) async throws -> State {
        try await read(readsWholeHistories.withLock { $0 } ? LSN(0)...LSN(.max) : span, into: state, body)
    }

    func tail(from position: LSN) -> AsyncThrowingStream<LogEntry, any Error> {
        let next = LockedBox(position)
        return AsyncThrowingStream { [self] in
            while true {
                let want = next.get()
                if let entry = records.first(where: { $0.lsn >= want }) {
                    next.set(entry.lsn.next)
                    return entry
                }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    func renewLease() async throws -> StoreOwnership { .exclusive }

    func compactionScope() throws -> StoreCompactionScope {
        throw WorkflowError(.misuse, "the memory store does not compact")
    }

    func compact(
        through: LSN, interruptAfter: CompactionStep?, keeping keep: @escaping @Sendable (LogRecordView) -> Bool
    ) async throws -> CompactionReport {
        throw WorkflowError(.misuse, "the memory store does not compact")
    }

    func close() async throws {
        state.withLock { s in
            s.isOpen = false
            s.sink = nil
        }
    }

    func abandon() {
        state.withLock { s in
            s.isOpen = false
            s.sink = nil
        }
    }

    /// One appended batch, as the sink sees it.
    private struct Batch: CommittedBatch {
        var records: [LogRecord]
        var first: LSN

        func forEachRecord(_ body: (LogRecord, LSN) throws -> Void) rethrows {
            var lsn = first
            for record in records {
                try body(record, lsn)
                lsn = lsn.next
            }
        }
    }
}
