import Synchronization
import CoreMetrics
import CairnLog

extension WorkflowEngine {
    /// Appends events durably (one frame, one sync shared with every other committer) and applies them to the
    /// projection, waking whoever waits on what they change.
    func commit(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        let started = ContinuousClock.now
        guard let log else {
            throw WorkflowError(.misuse, "this engine only replays histories; it cannot record", workflowID: events.first?.workflowID)
        }
        let lsns: ClosedRange<LSN>
        let records = events.map { $0.record() }
        do {
            lsns = try await log.append(contentsOf: records)
        } catch {
            throw WorkflowError(
                .logFailure, "the log could not record \(events.count) event(s): \(error)",
                workflowID: events.first?.workflowID, underlying: SendableError(error))
        }
        metrics.commitLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        metrics.commitBatch.record(events.count)
        let signals: [Signal] = state.withLock { s in
            var signals: [Signal] = []
            var lsn = lsns.lowerBound
            for record in records {
                if let wakeup = s.projection.apply(record, lsn: lsn) {
                    switch wakeup {
                    case .key(let key):
                        if let waiting = s.keyWaiters.removeValue(forKey: key) { signals += waiting }
                    case .workflow(let id):
                        if let waiting = s.workflowWaiters.removeValue(forKey: id) { signals += waiting }
                    }
                }
                lsn = lsn.next
            }
            return signals
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
            let signal = Signal()
            let summary = state.withLock { s -> WorkflowSummary?? in
                guard let w = s.projection.workflows[id] else { return .some(nil) }
                if !w.summary.status.isActive { return w.summary }
                s.workflowWaiters[id, default: []].append(signal)
                return nil
            }
            if let summary { return summary }
            _ = try await wait(for: signal, until: nil, interrupt: interrupt)
        }
    }
}
