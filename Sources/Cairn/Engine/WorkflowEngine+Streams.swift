import CairnLog
import Synchronization

extension WorkflowEngine {
    /// The values workflow `workflowID` writes to its stream `key` (``WorkflowContext/writeStream(_:_:file:line:)``),
    /// decoded as `V`: every value written so far, in order, then each new one as it commits.
    ///
    /// ```swift
    /// for try await token in engine.readStream(String.self, of: "answer-17", key: "tokens") {
    ///     response.write(token)
    /// }
    /// ```
    ///
    /// The values come from the log, so a reader gets the same ones before and after a restart, each once; a
    /// workflow that crashed between writes goes on with its stream after recovery, without repeating a value. The
    /// sequence finishes when the stream is closed (``WorkflowContext/closeStream(_:file:line:)``) or the workflow
    /// is completed, failed or cancelled; a finished workflow's stream that was never written to finishes empty.
    /// A stream whose workflow is unfinished and does not close it stays open: the reader waits (cancel its task to
    /// stop reading).
    ///
    /// Each iteration reads the stream afresh from `index`: the sequence may be iterated more than once, and it
    /// registers with the engine only while it is iterated. A reader never slows the writer: values wait for it in
    /// a bounded buffer (``EngineConfiguration/maxBufferedChanges``), and one that falls that far behind gets
    /// `.fellBehind`, naming the index to read again from.
    ///
    /// - Parameters:
    ///   - type: the type the values decode as (with the engine's ``EngineConfiguration/codec``).
    ///   - workflowID: the workflow that writes the stream.
    ///   - key: the stream's key.
    ///   - index: the index of the first value wanted (0: the stream's first). A reader that counts the values it
    ///     has consumed continues where it stopped — after `.fellBehind`, a reconnect or a restart — by reading
    ///     again from that count.
    /// - Returns: a sequence that ends normally when the stream is closed, the workflow ends, or its task is
    ///   cancelled, and otherwise throws ``WorkflowError``:
    ///   - `.notFound` when no workflow has this ID (never started, or dropped by compaction beyond its retention:
    ///     its streams went with it);
    ///   - `.undecodablePayload` for a value that does not decode as `V`, naming the workflow, key, index and LSN;
    ///   - `.fellBehind` when its consumer fell ``EngineConfiguration/maxBufferedChanges`` values behind: read
    ///     again from the index the error names;
    ///   - `.shuttingDown` (`.logFailure` when the log failed) when the engine stops before the stream ends;
    ///   - `.undecodableEvent` for a damaged record.
    public func readStream<V: Decodable & Sendable>(
        _ type: V.Type, of workflowID: String, key: String, from index: Int = 0
    ) -> WorkflowStreamValues<V> {
        WorkflowStreamValues(engine: self, workflowID: workflowID, key: key, from: max(0, index))
    }

    /// A stream's reading, opened: how much of it lies in the store already, and its live values from there on.
    struct StreamOpening {
        /// Where the workflow's records lie: the pages of its `RecordIndex` within its span.
        var ranges: [ClosedRange<LSN>]
        /// How many values had been applied when the reader registered: the first `past` values the store holds
        /// are the past, every later one comes live. Nil: the workflow has ended or the stream is closed, and every
        /// value is in the store.
        var past: Int?
        /// The values written after the past; nil when nothing more comes.
        var live: AsyncThrowingStream<ChangeSubscribers.StreamValue, any Error>?
    }

    /// Registers a reader of stream `key` of workflow `id` and counts the stream's values applied so far, under one
    /// acquisition of the lock that applies commits: a value is in the past or delivered live, never both, never
    /// neither. The cut is a count, not an LSN, so it holds for a store whose positions do not follow its commit
    /// order (``StoreGuarantees/positionsFollowCommitOrder``); it counts in the workflow's history, which the
    /// projection holds while the workflow is unfinished (headers only, no payload decoded).
    func openStream(_ id: String, key: String) throws -> StreamOpening {
        let limit = configuration.maxBufferedChanges
        let (live, continuation) = AsyncThrowingStream<ChangeSubscribers.StreamValue, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(limit))
        let opened = try state.withLock { s throws(WorkflowError) -> (StreamOpening, reader: Int?) in
            guard let index = s.projection.workflows.index(forKey: id) else {
                throw WorkflowError(
                    .notFound,
                    "no workflow with this ID, so no stream '\(key)': it was never started here, or a compaction dropped it beyond its retention (CompactionPolicy), and its streams with it",
                    workflowID: id)
            }
            var opening = StreamOpening(ranges: s.projection.recordRanges(ofWorkflowAt: index), past: nil, live: nil)
            if s.projection.workflows[at: index].summary.status.endsUpdates { return (opening, nil) }
            let (values, closed) = s.projection.workflows[at: index].records.stream(Array(key.utf8))
            if closed { return (opening, nil) }
            if s.phase == .stopped { throw s.changesEnded(id) }
            opening.past = values
            opening.live = live
            return (opening, s.changeSubscribers.addReader(continuation, workflowID: id, key: key, limit: limit))
        }
        if let reader = opened.reader {
            // Set after registering: a reader the writer ends before this was removed by the writer already.
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { $0.changeSubscribers.removeReader(reader, workflowID: id) }
            }
        } else {
            continuation.finish()
        }
        return opened.0
    }

    /// The values of stream `key` of workflow `id` the store holds — the first `opening.past` of them, or all up to
    /// its close — from index `first` on, and how many values come before them.
    func pastStreamValues(of id: String, key: String, _ opening: StreamOpening, from first: Int) async throws -> PastStream {
        guard let store, opening.past != 0 else { return PastStream() }
        let (utf8, name, wanted) = (Array(id.utf8), Array(key.utf8), opening.past ?? .max)
        return try await store.records(of: id, in: opening.ranges, into: PastStream()) { past, record in
            guard record.tag == EventKind.streamWritten.rawValue || record.tag == EventKind.streamClosed.rawValue else {
                return true
            }
            let envelope: EventEnvelope
            do { envelope = try EventEnvelope(lsn: record.lsn, tag: record.tag, bytes: record.bytes) } catch {
                throw WorkflowError(
                    .undecodableEvent, "a record of stream '\(key)' does not decode (\(error)); run `cairn verify` on the log",
                    workflowID: id, lsn: record.lsn)
            }
            guard envelope.peek.isOwn(of: utf8, in: envelope.bytes), EnvelopePeek.equals(envelope.peek.name, in: envelope.bytes, name)
            else { return true }
            if envelope.kind == .streamClosed { return false }
            if past.count >= first { past.values.append(.init(lsn: record.lsn, bytes: envelope.payload)) }
            past.count += 1
            return past.count < wanted
        }
    }

    /// What ``pastStreamValues(of:key:_:from:)`` read.
    struct PastStream: Sendable {
        /// The values from the index asked for on.
        var values: [ChangeSubscribers.StreamValue] = []
        /// How many values the stream had (those before the index asked for included).
        var count = 0
    }
}
