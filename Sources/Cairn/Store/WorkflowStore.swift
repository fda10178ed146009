package import CairnLog

/// Where the engine keeps its records: the one interface between ``WorkflowEngine`` and its storage.
///
/// The engine rebuilds its projection from what ``open(delivering:visit:)`` reads, appends each commit with
/// ``append(_:continuation:)``, applies what the store reports committed (``CommitSink``), reads a workflow's
/// records back for ``WorkflowEngine/history(of:after:)`` (``records(of:in:into:_:)``), compacts, and closes. ``LogStore`` (the
/// segmented log in a directory) is the embedded default; a PostgreSQL store, shared by several executor
/// processes, is to be another implementation of this protocol, not a change to the engine. <doc:Storage> has the
/// whole picture.
///
/// ## The rules every store keeps
///
/// 1. **Durable before acknowledged.** An append resumes its continuation only once its records are durable under
///    the store's policy, and never for a batch that did not commit (a failed sync, a lost lease): then it resumes
///    with an error, and ``failureStopsEngine(_:)`` says whether the store can take no more.
/// 2. **One authoritative order.** The store delivers every committed batch to the sink once, before it resumes
///    that batch's appender, one batch at a time, in one order — the *authoritative order* — and
///    ``open(delivering:visit:)`` of the same store later visits the records in an order that agrees with it for
///    every workflow and every message target. That is what keeps the live projection equal to the one a restart
///    rebuilds: two commits that decide the same thing (two sends with one idempotency key) are applied in the
///    same order both times. The log's order is its LSN order.
/// 3. **Positions.** Each record gets a position (an ``CairnLog/LSN``) that is unique in the store and never
///    handed out again, and a batch's records get consecutive positions in the order they were given. Across
///    batches the engine assumes **nothing** about positions unless ``guarantees`` says
///    ``StoreGuarantees/positionsFollowCommitOrder``: a PostgreSQL store taking positions from a sequence commits
///    them out of order (a transaction that took 7 may commit after one that took 8). The engine keeps only
///    minimum and maximum positions per workflow (the range ``WorkflowEngine/history(of:after:)`` reads), which any
///    order keeps right; only the log-specific compaction and the tests' continued rebuild rely on the promise.
/// 4. **Ownership.** The store is held exclusively (the log's `flock`), or by a lease per executor
///    (``StoreOwnership/lease(_:)``): a store shared by processes must fence every write with the lease's epoch in
///    the same transaction, so that an executor that paused past its lease's expiry cannot write after another
///    took its workflows over, and must read at open only the workflows this executor owns.
///
/// ## What differs in a shared store
///
/// A PostgreSQL store delivers batches in its own commit order (serialised per executor, e.g. by appending under
/// the lease row's lock), not sequence order; learns of records other executors wrote for its workflows (a send
/// from another process) by ``tail(from:)``, woken by `LISTEN/NOTIFY` and backed by a bounded poll (notifications
/// are not durable), with a rule that cannot skip a row that commits late (order by workflow and position, not by
/// the sequence); and compacts by deleting rows (``compact(through:interruptAfter:keeping:)`` may then ignore
/// `through`).
///
/// Appending is the hot path: one call per batch through the existential, no allocation, task hop or lock per
/// record beyond what the store itself needs.
package protocol WorkflowStore: AnyObject, Sendable {
    /// Where the store is, for messages and logs: a directory path, a database name.
    var location: String { get }

    /// What the store promises beyond the rules above.
    var guarantees: StoreGuarantees { get }

    /// How this engine holds the store.
    var ownership: StoreOwnership { get }

    /// What the last ``open(delivering:visit:)`` found and repaired, for the engine's "opened" log line.
    var openingReport: String { get }

    /// Opens the store and calls `visit` for every record the engine is to rebuild from (a shared store: those of
    /// the workflows this executor owns, and the messages sent to them), in the authoritative order; from then on
    /// every committed batch goes to `sink`, in that order, before its appender resumes. `visit` may run on a
    /// thread of the store's own; the view is valid only during the call.
    ///
    /// A store may be opened again after ``close()`` (an engine restarted on it).
    /// - Throws: the store's error when it cannot be opened (held by another process, damaged), or what `visit`
    ///   throws.
    func open(delivering sink: CommitSink, visit: @escaping @Sendable (LogRecordView) throws -> Void) async throws

    /// Appends a batch atomically and durably, then resumes `continuation` with the position of its last record
    /// (the others have the positions before it), after the batch was delivered to the sink; or with the error
    /// that refused it. Never blocks the calling thread on I/O.
    func append(_ records: [LogRecord], continuation: UnsafeContinuation<LSN, any Error>)

    /// Whether a refused append means the store can record nothing more (a failed sync, a lost lease), as opposed
    /// to refusing that batch (too large, closed): the engine then stops.
    func failureStopsEngine(_ error: any Error) -> Bool

    /// Reads the committed records whose positions lie in `range`, in the authoritative order, folding them into
    /// `state` until `body` returns false. Reads only what the range needs, off the cooperative pool.
    func read<State: Sendable>(
        _ range: ClosedRange<LSN>, into state: State,
        _ body: @escaping @Sendable (inout State, LogRecordView) throws -> Bool
    ) async throws -> State

    /// Reads the records of workflow `id` (for ``WorkflowEngine/history(of:after:)``, and for a replay of a
    /// workflow whose history the engine does not hold), in the authoritative order, folding them into `state`,
    /// until `body` returns false.
    ///
    /// `ranges` (in order, disjoint) hold every position of the workflow's records the engine asks for: the pages of
    /// its `RecordIndex` that hold the workflow, cut to its span. The engine filters what it is given with its own
    /// rule of which records concern a workflow, so a store may hand it more — the log reads the ranges, other
    /// workflows' records on those pages included (the default) — but never fewer. A store indexed by workflow
    /// (PostgreSQL) reads by `id` within the ranges' bounds instead, plus the messages sent to it.
    func records<State: Sendable>(
        of id: String, in ranges: [ClosedRange<LSN>], into state: State,
        _ body: @escaping @Sendable (inout State, LogRecordView) throws -> Bool
    ) async throws -> State

    /// Every record from `position` on, then each new one as it is committed (by this process or, in a shared
    /// store, by others), until the task is cancelled.
    func tail(from position: LSN) -> AsyncThrowingStream<LogEntry, any Error>

    /// Renews this engine's hold on the store before it expires; returns the hold now in force. An exclusive
    /// store returns ``StoreOwnership/exclusive`` and does nothing.
    /// - Throws: when the lease was lost (another executor took over): the engine must stop writing.
    func renewLease() async throws -> StoreOwnership

    /// What a compaction could rewrite now, and the store's sizes.
    func compactionScope() throws -> StoreCompactionScope

    /// Rewrites the store without the records `keep` rejects, among those at or below `through`; positions stay
    /// as they are. Crash-safe: after any crash the store holds either the old records or the new ones.
    func compact(
        through: LSN, interruptAfter: CompactionStep?, keeping keep: @escaping @Sendable (LogRecordView) -> Bool
    ) async throws -> CompactionReport

    /// Delivers and acknowledges what is queued, makes it durable and releases the store (its lock or lease).
    /// - Throws: when the final sync failed: what was appended since the last one may not be durable.
    func close() async throws

    /// Releases the store at once without a final sync, as a crash would leave it (tests).
    func abandon()
}

extension WorkflowStore {
    /// Reads each range in turn (``read(_:into:_:)``): right for any store, best for one ordered by position.
    package func records<State: Sendable>(
        of id: String, in ranges: [ClosedRange<LSN>], into state: State,
        _ body: @escaping @Sendable (inout State, LogRecordView) throws -> Bool
    ) async throws -> State {
        var folded = (state: state, stopped: false)
        for range in ranges where !folded.stopped {
            folded = try await read(range, into: folded) { folded, record in
                folded.stopped = try !body(&folded.state, record)
                return !folded.stopped
            }
        }
        return folded.state
    }
}

/// What a store promises beyond the rules of ``WorkflowStore``.
package struct StoreGuarantees: Sendable, Equatable {
    /// Positions increase in the authoritative order, across batches too (the log: yes; a store whose positions
    /// come from a sequence: no).
    package var positionsFollowCommitOrder: Bool

    package init(positionsFollowCommitOrder: Bool) {
        self.positionsFollowCommitOrder = positionsFollowCommitOrder
    }
}

/// What ``WorkflowStore/compactionScope()`` reports: the part of the store a compaction may rewrite, and sizes for
/// its plan.
package struct StoreCompactionScope: Sendable, Equatable {
    /// The last position a compaction may rewrite (the log: the end of its sealed segments); nil when there is
    /// nothing it may rewrite yet.
    package var through: LSN?
    /// Units a compaction would rewrite (the log: sealed segments), and their bytes.
    package var sealedUnits: Int
    package var sealedBytes: Int64
    /// Bytes of the whole store.
    package var totalBytes: Int64
    /// The largest record the store takes: summaries must fit.
    package var maxRecordSize: Int

    package init(through: LSN?, sealedUnits: Int, sealedBytes: Int64, totalBytes: Int64, maxRecordSize: Int) {
        self.through = through
        self.sealedUnits = sealedUnits
        self.sealedBytes = sealedBytes
        self.totalBytes = totalBytes
        self.maxRecordSize = maxRecordSize
    }
}
