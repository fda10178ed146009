import Synchronization
import CoreMetrics
import CairnLog

extension WorkflowEngine {
    /// Appends events durably (one frame, one sync shared with every other committer); returns once they are
    /// applied to the projection, and whoever waits on what they change is woken.
    ///
    /// The store applies each committed batch to the projection, in its authoritative order (the log: LSN order, on
    /// its writer thread), before it resumes the appenders (``applyCommitted(_:)``): applied as the appenders' tasks
    /// happen to resume, two commits that decide the same thing (two sends with one idempotency key) could be
    /// applied in the other order than the store holds them, and the live projection would disagree with the one a
    /// restart rebuilds.
    ///
    /// Every operation of every workflow passes here: the synchronous parts are `@inline(never)` helpers, which
    /// keeps this frame (allocated from the caller's task) small.
    func commit(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        guard let store else { throw replayOnlyRefusal(events) }
        let started = ContinuousClock.now
        let records = records(events)
        do {
            // The store's enqueue-and-resume rather than an async append: one frame less for every operation of
            // every workflow.
            _ = try await withUnsafeThrowingContinuation { store.append(records, continuation: $0) }
        } catch {
            throw logFailure(error, recording: events)
        }
        committed(records.count, started: started)
    }

    @inline(never)
    private func replayOnlyRefusal(_ events: [Event]) -> WorkflowError {
        WorkflowError(.misuse, "this engine only replays histories; it cannot record", workflowID: events.first?.workflowID)
    }

    @inline(never)
    private func records(_ events: [Event]) -> [LogRecord] {
        events.map { $0.record() }
    }

    /// The error a refused commit throws. When the store itself failed (rather than refusing these records, or being
    /// closed: ``WorkflowStore/failureStopsEngine(_:)``), the engine stops: see ``logFailed(_:)``.
    @inline(never)
    private func logFailure(_ error: any Error, recording events: [Event]) -> WorkflowError {
        let failure = WorkflowError(
            .logFailure, "the log could not record \(events.count) event(s): \(error)",
            workflowID: events.first?.workflowID, underlying: SendableError(error))
        if store?.failureStopsEngine(error) == true { logFailed(failure) }
        return failure
    }

    @inline(never)
    private func committed(_ count: Int, started: ContinuousClock.Instant) {
        let nanoseconds = (ContinuousClock.now - started).nanoseconds
        metrics.commitLatency.recordNanoseconds(nanoseconds)
        metrics.commitHistogram.record(nanoseconds: nanoseconds)
        metrics.commitBatch.record(count)
    }

    /// Applies committed batches to the projection — the exact bytes just written, in the store's authoritative
    /// order, under one acquisition of the engine's lock — and fires the signals of the waiters they concern. The
    /// store calls it (through its ``CommitSink``) before the appenders resume: the log on its writer thread
    /// (``LogConfiguration/_acknowledge``). Generic over the batch, so no existential is called per record.
    func applyCommitted<Batch: CommittedBatch>(_ batch: Batch) {
        let (signals, endings) = state.withLock { s in
            defer { s.flowControlApplied() }
            guard s.changeSubscribers.isEmpty else { return s.applyObserved(batch) }
            var signals: [Signal] = []
            batch.forEachRecord { record, lsn in
                record.payload.withUnsafeBytes { bytes in
                    s.wake(s.projection.apply(EventEnvelope(written: record, lsn: lsn, bytes: bytes)), into: &signals)
                }
            }
            return (signals, [])
        }
        for ending in endings { ending.finish() }
        for signal in signals { signal.fire() }
    }

    /// Waits until `key`'s event is set or `deadline` (ns since 1970) passes; nil on timeout.
    func waitForEvent(_ key: Projection.Key, deadline: Int64?, interrupt: Signal? = nil) async throws -> [UInt8]? {
        while true {
            let signal = Signal()
            let value = state.withLock { s -> [UInt8]? in
                if let value = s.projection.events[key] { return value }
                s.keyWaiters[key, default: []].append(signal)
                return nil
            }
            if let value { return value }
            if try await !wait(for: signal, until: deadline, interrupt: interrupt) { return nil }
        }
    }

    /// Waits for `signal` (nil: none), until `deadline` at the latest; false when the deadline passed first.
    /// Throws `CancellationError` when the task is cancelled or `interrupt` fires.
    func wait(for signal: Signal?, until deadline: Int64?, interrupt: Signal?) async throws -> Bool {
        if deadline == nil && interrupt == nil, let signal {
            // The common case (a handle awaiting a result): no race to run, so no task group and child tasks.
            await signal.wait()
            try Task.checkCancellation()
            return true
        }
        return try await race(signal, until: deadline, interrupt: interrupt)
    }

    /// ``wait(for:until:interrupt:)`` with a deadline or an interrupt: a separate function, so that the common case
    /// does not carry its task group in its frame.
    @inline(never)
    private func race(_ signal: Signal?, until deadline: Int64?, interrupt: Signal?) async throws -> Bool {
        let clock = self.clock
        let fired = await withTaskGroup(of: Bool?.self) { group in
            if let signal {
                group.addTask {
                    await signal.wait()
                    return true
                }
            }
            if let deadline {
                group.addTask {
                    do { try await clock.sleep(until: deadline) } catch { return nil }
                    return false
                }
            }
            if let interrupt {
                group.addTask {
                    await interrupt.wait()
                    return nil
                }
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        try Task.checkCancellation()
        guard let fired else { throw CancellationError() }
        return fired
    }

    /// Waits until workflow `id` is finished, cancelled or parked; returns its summary, with its output once completed
    /// (nil if it does not exist).
    func awaitSettled(_ id: String, interrupt: Signal? = nil) async throws -> WorkflowSummary? {
        while true {
            switch settled(id) {
            case .settled(let summary): return summary
            case .wait(let signal): _ = try await wait(for: signal, until: nil, interrupt: interrupt)
            case .stopped(let error): throw error
            }
        }
    }

    enum Settled {
        case settled(WorkflowSummary?)
        case wait(Signal)
        /// The workflow is unfinished and this engine has stopped: nothing more will happen to it here.
        case stopped(WorkflowError)
    }

    /// Workflow `id`'s summary if it is settled (or nil in it when there is no such workflow); otherwise a signal
    /// fired when its status changes, or the reason it cannot change any more (the engine has stopped).
    @inline(never)
    func settled(_ id: String) -> Settled {
        state.withLock { s in
            guard let index = s.projection.workflows.index(forKey: id) else {
                // A debounced workflow exists once its debounce fires: its handle's result waits for it.
                guard s.projection.scheduledStarts.debounces[id] != nil else { return .settled(nil) }
                if s.phase == .stopped {
                    return .stopped(WorkflowError(
                        .shuttingDown, "the engine stopped before the debounced workflow started; it starts when the log is opened again",
                        workflowID: id))
                }
                let signal = Signal()
                s.workflowWaiters[id, default: []].append(signal)
                return .wait(signal)
            }
            let status = s.projection.workflows[at: index].summary.status
            // With its output: a handle's result needs no second look.
            if !status.isActive { return .settled(s.projection.workflows[at: index].publicSummary) }
            if s.phase == .stopped {
                return .stopped(s.logFailure.map { failure in
                    WorkflowError(
                        .logFailure,
                        "the engine stopped before the workflow finished, because its log failed (\(failure.message)); it resumes when the log is opened again",
                        workflowID: id, underlying: failure)
                } ?? WorkflowError(
                    .shuttingDown,
                    "the engine stopped before the workflow finished; it resumes when the log is opened again",
                    workflowID: id))
            }
            let signal = Signal()
            s.workflowWaiters[id, default: []].append(signal)
            return .wait(signal)
        }
    }
}

extension EngineState {
    /// Takes the waiters an applied event lets proceed, and the evicted workflows it wakes (for the waker).
    mutating func wake(_ wakeup: Projection.Wakeup?, into signals: inout [Signal]) {
        switch wakeup {
        case .message(let key)?:
            if let waiting = keyWaiters.removeValue(forKey: key) { signals += waiting }
            if room.count > 0 { release(room.take(.message(key))) }
        case .event(let key)?:
            if let waiting = keyWaiters.removeValue(forKey: key) { signals += waiting }
            if room.count > 0 { release(room.take(.event(key))) }
        case .workflow(let id)?:
            if let waiting = workflowWaiters.removeValue(forKey: id) { signals += waiting }
            if room.count > 0 { workflowChanged(id) }
        case nil:
            break
        }
    }

    /// Workflow `id` changed status: parents waiting for it to settle are woken if it did; if it waits in the room
    /// itself and has stopped (cancelled, parked), it leaves the room.
    private mutating func workflowChanged(_ id: String) {
        guard let index = projection.workflows.index(forKey: id) else { return }
        guard !projection.workflows[at: index].summary.status.isActive else { return }
        release(room.take(.settled(id)))
        room.remove(id)
    }
}
