import CairnLog
import Synchronization

extension WorkflowEngine {
    /// The changes to workflows from now on, live: each status change and each event value set, in the order the
    /// log records them (``WorkflowChange``).
    ///
    /// ```swift
    /// for try await change in engine.changes(name: ProcessOrder.name) {
    ///     if case .status(let summary) = change, summary.status == .failed { alert(summary) }
    /// }
    /// ```
    ///
    /// The subscription starts when this is called, not when the iteration starts: a start after the call is seen.
    /// The sequence is single-pass: iterate it once, from one task. It comes from commits, so a workflow evicted
    /// from memory (``EngineConfiguration/maxCachedWorkflows``) changes just as one that keeps its task.
    ///
    /// - Parameters:
    ///   - name: only workflows of this registered name.
    ///   - id: only the workflow with this ID (``WorkflowHandle/updates()`` also gives its current status first,
    ///     and ends when it is finished).
    /// - Returns: a sequence that ends normally when its task is cancelled or it is dropped (either unsubscribes),
    ///   and otherwise throws ``WorkflowError``:
    ///   - `.fellBehind` when its consumer fell ``EngineConfiguration/maxBufferedChanges`` changes behind (the
    ///     engine never waits for a consumer): the changes buffered until then are delivered first; read the state
    ///     again (``summary(of:)``, ``list(status:name:startedSince:startedBefore:idContaining:limit:after:)``) and subscribe
    ///     again.
    ///   - `.shuttingDown` (`.logFailure` when the log failed) when the engine stops: no more changes come from it.
    public func changes(name: String? = nil, id: String? = nil) -> WorkflowChanges {
        subscribe(to: id, name: name, statuses: true, events: .all, following: false)
    }

    /// Subscribes to changes of workflow `id` (nil: of every workflow). `following` (a handle's subscription):
    /// yields the workflow's current status, and the current value of the event asked for, under the lock that
    /// registers, and ends once the workflow's status ends updates; an unknown ID throws `.notFound`.
    func subscribe(
        to id: String?, name: String?, statuses: Bool, events: ChangeSubscribers.Events, following: Bool
    ) -> WorkflowChanges {
        let limit = configuration.maxBufferedChanges
        let (stream, continuation) = AsyncThrowingStream<WorkflowChange, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(limit))
        let registered = state.withLock { s -> Registration in
            if following, let id {
                guard let index = s.projection.workflows.index(forKey: id) else {
                    return .ended(.init(
                        continuation: continuation, error: WorkflowError(.notFound, "no workflow with this ID", workflowID: id)))
                }
                let summary = s.projection.querySummary(at: index)
                if statuses { continuation.yield(.status(summary)) }
                if case .key(let key) = events, let value = s.projection.events[Projection.Key(workflowID: id, name: key)] {
                    continuation.yield(.event(.init(workflowID: id, key: key, value: value)))
                }
                if summary.status.endsUpdates { return .ended(.init(continuation: continuation, error: nil)) }
            }
            if s.phase == .stopped { return .ended(.init(continuation: continuation, error: s.changesEnded(id))) }
            return .registered(
                s.changeSubscribers.add(
                    continuation, workflowID: id, name: name, statuses: statuses, events: events,
                    endsWithWorkflow: following, limit: limit))
        }
        switch registered {
        case .registered(let subscriber):
            // Set after registering: a subscription the writer ends before this was removed by the writer already.
            continuation.onTermination = { [weak self] _ in self?.unsubscribe(subscriber, from: id) }
        case .ended(let ending):
            ending.finish()
        }
        return WorkflowChanges(stream)
    }

    private enum Registration {
        case registered(Int)
        /// Ended before it was registered: the workflow is unknown or already ended, or the engine has stopped.
        case ended(ChangeSubscribers.Ending)
    }

    /// Removes a subscriber whose sequence ended (its task was cancelled, it was dropped, or it was finished).
    private func unsubscribe(_ subscriber: Int, from id: String?) {
        state.withLock { $0.changeSubscribers.remove(subscriber, workflowID: id) }
    }

    /// Ends every change sequence as the engine stops: nothing more will change here.
    func endChanges() {
        let endings = state.withLock { s in s.changeSubscribers.removeAll(ending: s.changesEnded(nil)) }
        for ending in endings { ending.finish() }
    }

    /// The number of change subscriptions registered (tests check that ended ones leave none behind).
    package var _changeSubscriberCount: Int { state.withLock { $0.changeSubscribers.count } }
}

extension EngineState {
    /// ``WorkflowEngine/applyCommitted(_:)`` while someone follows the changes: each record's change is also handed
    /// to them (``publish(_:of:ending:)``); returns the waiters to wake and the subscriptions to end once the lock
    /// is released.
    @inline(never)
    mutating func applyObserved<Batch: CommittedBatch>(_ batch: Batch) -> ([Signal], [ChangeSubscribers.Ending]) {
        var signals: [Signal] = []
        var endings: [ChangeSubscribers.Ending] = []
        batch.forEachRecord { record, lsn in
            record.payload.withUnsafeBytes { bytes in
                let envelope = EventEnvelope(written: record, lsn: lsn, bytes: bytes)
                let wakeup = projection.apply(envelope)
                if !changeSubscribers.isEmpty {
                    if let wakeup { publish(wakeup, of: envelope.kind, ending: &endings) }
                    if changeSubscribers.hasStreamReaders { publishStream(envelope, ending: &endings) }
                }
                wake(wakeup, into: &signals)
            }
        }
        return (signals, endings)
    }

    /// Hands the subscribers what one applied record changed (`wakeup`, from a record of `kind`), and collects the
    /// subscriptions to end. Called only when there are subscribers.
    mutating func publish(_ wakeup: Projection.Wakeup, of kind: EventKind, ending: inout [ChangeSubscribers.Ending]) {
        switch wakeup {
        case .workflow(let id):
            guard let index = projection.workflows.index(forKey: id) else { return }
            let status = projection.workflows[at: index].summary.status
            // A cancellation, parking or resumption of a finished workflow changes nothing (the reducer ignores it).
            if status.isFinished && (kind == .workflowCancelled || kind == .workflowParked || kind == .workflowResumed) {
                return
            }
            let projection = self.projection  // released before the next record is applied: no copy is made
            changeSubscribers.publish(
                status: { projection.querySummary(at: index) }, of: id, name: projection.workflows[at: index].summary.name,
                endsUpdates: status.endsUpdates, ending: &ending)
        case .event(let key):
            guard let value = projection.events[key] else { return }
            let workflows = projection.workflows
            changeSubscribers.publish(
                event: key, value: value, name: { workflows[key.workflowID]?.summary.name }, ending: &ending)
        case .message:
            break
        }
    }

    /// Hands a stream's record (a value written, or the stream closed) to that stream's readers; any other record
    /// is ignored.
    mutating func publishStream(_ envelope: EventEnvelope, ending: inout [ChangeSubscribers.Ending]) {
        let kind = envelope.kind
        guard kind == .streamWritten || kind == .streamClosed else { return }
        let value = kind == .streamWritten ? ChangeSubscribers.StreamValue(lsn: envelope.lsn, bytes: envelope.payload) : nil
        changeSubscribers.publish(stream: envelope.name, of: envelope.workflowID, value: value, ending: &ending)
    }

    /// The error that ends a change sequence because the engine stopped.
    func changesEnded(_ id: String?) -> WorkflowError {
        if let failure = logFailure {
            return WorkflowError(
                .logFailure,
                "the engine stopped because its log failed (\(failure.message)); no more changes come from it: after the log is opened again, read the state again and subscribe again",
                workflowID: id, underlying: failure)
        }
        return WorkflowError(
            .shuttingDown,
            "the engine stopped; no more changes come from it: after it is opened again, read the state again and subscribe again",
            workflowID: id)
    }
}
