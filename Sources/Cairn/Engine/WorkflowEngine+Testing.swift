import CairnLog
import DequeModule
import Synchronization

extension WorkflowEngine {
    /// Tests only: stops the engine as if its process died at this instant, so that a test can reopen the directory
    /// in the same process and exercise recovery.
    ///
    /// The store is abandoned first (``WorkflowStore/abandon()``; the log: no final sync, lock released), so nothing more is
    /// recorded — no outcome, no completion, and no `engineStopped` record, whose absence makes the next start count
    /// a recovery attempt. Workflows running here are halted and their tasks cancelled (they can no longer write);
    /// returns once ``run()`` has returned, if it was running.
    package func _crash() async {
        let phase = state.withLock { s -> EngineState.Phase in
            let phase = s.phase
            s.crashed = true
            if phase == .idle { s.phase = .stopped }
            return phase
        }
        store?.abandon()
        switch phase {
        case .idle:
            stopped.fire()
        case .running, .draining:
            beginShutdown()
            for execution in state.withLock({ Array($0.executing.values) }) { execution.cancel() }
            await stopped.wait()
        case .stopped:
            break
        }
    }
}

extension WorkflowEngine {
    /// Tests only: the projection this engine keeps live, and one rebuilt from its log now, so that a test can check
    /// that they agree (what is applied live is what a restart would rebuild).
    ///
    /// - Parameter previous: a projection rebuilt from this log before, to continue from its last LSN (a compaction
    ///   rewrites what was read: pass none after one).
    ///
    /// Compare them when nothing is being committed: records appended during the scan may or may not be included.
    /// A live workflow that runs is `running` where the rebuilt one says `pending`.
    package func _projections(continuing previous: LogProjection = LogProjection()) async throws -> (
        live: LogProjection, rebuilt: LogProjection
    ) {
        let live = LogProjection(state.withLock { $0.projection })
        guard let store else { return (live, LogProjection()) }
        // Continuing from the last LSN read relies on positions following commit order (the log's promise).
        let ordered = store.guarantees.positionsFollowCommitOrder
        let start = ordered ? previous : LogProjection()
        let from = ordered ? previous.projection.lastLSN?.next ?? .first : .first
        let rebuilt = try await store.read(from...LSN(.max), into: start) { rebuilt, record in
            try rebuilt.apply(record)
            return true
        }
        return (live, rebuilt)
    }
}

extension LogProjection {
    init(_ projection: Projection) {
        self.init()
        self.projection = projection
    }

    /// Tests only: undelivered messages by target workflow ID, whether or not that workflow exists yet.
    package var _undelivered: [String: [WorkflowState.Message]] {
        var byTarget: [String: [WorkflowState.Message]] = [:]
        for (key, messages) in projection.inboxes {
            for m in messages { byTarget[key.workflowID, default: []].append(.init(topic: key.name, id: m.id, payload: m.payload)) }
        }
        return byTarget.mapValues { $0.sorted { $0.id < $1.id } }
    }

    /// Tests only: the idempotency keys seen, as "target key" pairs.
    package var _idempotencyKeys: Set<String> { Set(projection.idempotencyKeys.map { "\($0.workflowID) \($0.name)" }) }
}
