import Synchronization
import CairnLog

extension WorkflowEngine {
    /// What the engine knows about workflow `id`, or nil if there is none.
    public func summary(of id: String) -> WorkflowSummary? {
        state.withLock { $0.projection.workflows[id]?.summary }
    }

    /// Workflows matching every given filter, oldest start first.
    /// - Parameters:
    ///   - status: only these statuses.
    ///   - name: only workflows of this registered name.
    ///   - startedAfter, startedBefore: start time bounds, nanoseconds since 1970.
    ///   - limit: at most this many.
    public func list(
        status: Set<WorkflowStatus>? = nil, name: String? = nil, startedAfter: Int64? = nil,
        startedBefore: Int64? = nil, limit: Int? = nil
    ) -> [WorkflowSummary] {
        let all = state.withLock { s in
            s.projection.workflows.values.compactMap { w -> WorkflowSummary? in
                let summary = w.summary
                if let status, !status.contains(summary.status) { return nil }
                if let name, summary.name != name { return nil }
                if let startedAfter, summary.startedAt < startedAfter { return nil }
                if let startedBefore, summary.startedAt >= startedBefore { return nil }
                return summary
            }
        }
        let sorted = all.sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }
        if let limit { return Array(sorted.prefix(limit)) }
        return sorted
    }

    /// Every event recorded for workflow `id`, in log order: its operations (position, kind, name, call site,
    /// time, the details of each kind, the payload bytes) and its lifecycle, as read-only ``HistoryEvent``s. Reads
    /// the log, so it works for finished workflows too (until a compaction replaces their history by a summary).
    ///
    /// Reads only the part of the store between the workflow's first and last record (the projection keeps that
    /// span for every workflow, sends to it from outside included), not the whole log.
    /// - Throws: ``WorkflowError`` — `.notFound` for an unknown ID, `.undecodableEvent` for a damaged record.
    public func history(of id: String) async throws -> [HistoryEvent] {
        try await historyRecords(of: id).map(HistoryEvent.init)
    }

    /// ``history(of:)`` as the recorded events themselves, for the tools and tests of this package.
    package func historyRecords(of id: String) async throws -> [HistoryRecord] {
        let span = state.withLock { s in s.projection.workflows.index(forKey: id).map { s.projection.workflows[at: $0].historySpan } }
        guard let span else {
            throw WorkflowError(.notFound, "no workflow with this ID", workflowID: id)
        }
        guard let store else { return [] }
        let utf8 = Array(id.utf8)
        return try await store.records(of: id, within: span, into: [HistoryRecord]()) { records, record in
            let envelope = try EventEnvelope(lsn: record.lsn, tag: record.tag, bytes: record.bytes)
            if envelope.peek.concerns(utf8, in: envelope.bytes) {
                records.append(HistoryRecord(lsn: record.lsn, event: envelope.decoded()))
            }
            return true
        }
    }
}
