import CairnLog
import Logging
import Synchronization

extension WorkflowEngine {
    /// Compacts the log while the engine runs: finished workflows beyond `policy` are dropped, the histories of
    /// the other finished workflows are replaced by summary records, unfinished workflows keep their whole
    /// history, and undelivered messages and the latest value of each retained workflow's events stay.
    ///
    /// Results, statuses and idempotent starts of retained workflows work as before; a dropped workflow is
    /// forgotten (its ID can be started again). Only sealed segments are rewritten, crash-safely, while appends go
    /// on; records in the active segment wait for a later compaction. One compaction runs at a time.
    ///
    /// ```swift
    /// let report = try await engine.compact(policy: CompactionPolicy(keepFinished: .seconds(7 * 86_400)))
    /// logger.info("compacted", metadata: ["dropped": "\(report.plan.dropped.count)"])
    /// ```
    /// To compact on a schedule, add a ``CompactionService`` to the service group.
    /// - Throws: ``CairnLog/LogError`` when the log cannot be read or rewritten (nothing is lost: the old segments
    ///   stay until their replacement is durable); ``WorkflowError`` `.undecodableEvent`.
    public func compact(policy: CompactionPolicy) async throws -> WorkflowCompactionReport {
        let store = try writableStore()
        let planner = try await planner(store)
        let (report, dropped) = try await WorkflowCompaction.run(
            store: store, planner: planner, policy: policy, now: clock.now()
        ) { events in
            try await commit(events)
        }
        if !dropped.isEmpty { state.withLock { $0.projection.forget(dropped) } }
        logger.info(
            "log compacted",
            metadata: [
                "dropped": "\(report.plan.dropped.count)", "summaries": "\(report.summariesWritten)",
                "bytesBefore": "\(report.bytesBefore)", "bytesAfter": "\(report.bytesAfter)",
            ])
        return report
    }

    /// What ``compact(policy:)`` would do now, without changing anything.
    public func compactionPlan(policy: CompactionPolicy) async throws -> CompactionPlan {
        let store = try writableStore()
        let planner = try await planner(store)
        let scope = try store.compactionScope()
        return planner.plan(
            policy: policy, now: clock.now(), maxRecordSize: scope.maxRecordSize,
            sealedSegments: scope.sealedUnits, sealedBytes: scope.sealedBytes, logBytes: scope.totalBytes
        ).plan
    }

    private func writableStore() throws -> any WorkflowStore {
        guard let store else {
            throw WorkflowError(.misuse, "this engine only replays histories; it has no log to compact")
        }
        return store
    }

    /// Reads the whole store (off the cooperative pool) into a planner.
    private func planner(_ store: any WorkflowStore) async throws -> CompactionPlanner {
        let through = try store.compactionScope().through
        return try await store.read(.first...LSN(.max), into: CompactionPlanner(through: through)) { planner, record in
            try planner.add(record)
            return true
        }
    }
}
