import Synchronization
import CoreMetrics
import CairnLog

extension WorkflowEngine {
    /// Appends events durably (one frame, one sync shared with every other committer) and applies them to the
    /// projection, waking whoever waits on what they change.
    ///
    /// Every operation of every workflow passes here: the synchronous parts are `@inline(never)` helpers, which
    /// keeps this frame (allocated from the caller's task) small.
    func commit(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        guard let log else { throw replayOnlyRefusal(events) }
        let started = ContinuousClock.now
        let last: LSN
        let records = records(events)
        do {
            // The log's enqueue rather than its async append: one frame less for every operation of every workflow.
            last = try await withUnsafeThrowingContinuation { log._enqueue(records, continuation: $0) }
        } catch {
            throw logFailure(error, recording: events)
        }
        applyCommitted(records, at: LSN(last.rawValue - UInt64(records.count - 1)), started: started)
    }

    @inline(never)
    private func replayOnlyRefusal(_ events: [Event]) -> WorkflowError {
        WorkflowError(.misuse, "this engine only replays histories; it cannot record", workflowID: events.first?.workflowID)
    }

    @inline(never)
    private func records(_ events: [Event]) -> [LogRecord] {
        events.map { $0.record() }
    }

    @inline(never)
    private func logFailure(_ error: any Error, recording events: [Event]) -> WorkflowError {
        WorkflowError(
            .logFailure, "the log could not record \(events.count) event(s): \(error)",
            workflowID: events.first?.workflowID, underlying: SendableError(error))
    }

    /// Applies durable records to the projection (the first at `lsn`, the rest after it): the exact bytes just
    /// written, so the projection kept live and the one rebuilt from the log cannot disagree. Fires the signals of
    /// the waiters they concern.
    @inline(never)
    private func applyCommitted(_ records: [LogRecord], at lsn: LSN, started: ContinuousClock.Instant) {
        metrics.commitLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        metrics.commitBatch.record(records.count)
        // Every workflow's every commit takes the engine's lock here: the envelopes of the usual commits (one
        // outcome, or the last outcome with the completion) are checked before it is taken, not while it is held.
        let signals: [Signal]
        switch records.count {
        case 1:
            signals = records[0].payload.withUnsafeBytes { first in
                let a = EventEnvelope(written: records[0], lsn: lsn, bytes: first)
                return state.withLock { s in s.apply(a) }
            }
        case 2:
            signals = records[0].payload.withUnsafeBytes { first in
                records[1].payload.withUnsafeBytes { second in
                    let a = EventEnvelope(written: records[0], lsn: lsn, bytes: first)
                    let b = EventEnvelope(written: records[1], lsn: lsn.next, bytes: second)
                    return state.withLock { s in s.apply(a, then: b) }
                }
            }
        default:
            signals = state.withLock { s in
                var signals: [Signal] = []
                var lsn = lsn
                for record in records {
                    s.wake(s.projection.apply(record, lsn: lsn), into: &signals)
                    lsn = lsn.next
                }
                return signals
            }
        }
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

    /// Waits until workflow `id` is finished, cancelled or parked; returns its summary (nil if it does not exist).
    func awaitSettled(_ id: String, interrupt: Signal? = nil) async throws -> WorkflowSummary? {
        while true {
            switch settled(id) {
            case .settled(let summary): return summary
            case .wait(let signal): _ = try await wait(for: signal, until: nil, interrupt: interrupt)
            }
        }
    }

    enum Settled {
        case settled(WorkflowSummary?)
        case wait(Signal)
    }

    /// Workflow `id`'s summary if it is settled (or nil in it when there is no such workflow); otherwise a signal
    /// fired when its status changes.
    @inline(never)
    func settled(_ id: String) -> Settled {
        state.withLock { s in
            guard let index = s.projection.workflows.index(forKey: id) else { return .settled(nil) }
            let summary = s.projection.workflows[at: index].summary
            if !summary.status.isActive { return .settled(summary) }
            let signal = Signal()
            s.workflowWaiters[id, default: []].append(signal)
            return .wait(signal)
        }
    }
}

extension EngineState {
    /// Applies a checked envelope (and a second one after it) to the projection; returns the signals of the
    /// waiters they wake.
    mutating func apply(_ first: EventEnvelope, then second: EventEnvelope? = nil) -> [Signal] {
        var signals: [Signal] = []
        wake(projection.apply(first), into: &signals)
        if let second { wake(projection.apply(second), into: &signals) }
        return signals
    }

    /// Takes the waiters an applied event lets proceed.
    mutating func wake(_ wakeup: Projection.Wakeup?, into signals: inout [Signal]) {
        switch wakeup {
        case .key(let key)?:
            if let waiting = keyWaiters.removeValue(forKey: key) { signals += waiting }
        case .workflow(let id)?:
            if let waiting = workflowWaiters.removeValue(forKey: id) { signals += waiting }
        case nil:
            break
        }
    }
}
