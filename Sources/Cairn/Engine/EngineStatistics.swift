import CairnLog
import Synchronization

/// The engine at a glance (``WorkflowEngine/statistics()``): workflows by status, what runs now, and the latency
/// of commits and of the store's syncs.
public struct EngineStatistics: Sendable {
    /// How many workflows the engine knows in each status (a status with none is absent).
    public var workflows: [WorkflowStatus: Int]
    /// What runs and waits now.
    public var activity: EngineActivity
    /// From a workflow's operation handing its records to the store to their being durable and applied.
    public var commitLatency: LatencySummary
    /// The store's syncs (`fdatasync` for a log directory), each shared by a group commit.
    public var syncLatency: LatencySummary
    /// The events recorded so far (the store's last LSN; 0 when empty).
    public var lastRecorded: UInt64
}

extension WorkflowEngine {
    /// The engine at a glance: counts by status (one pass over the workflows in memory), activity, latencies.
    public func statistics() -> EngineStatistics {
        var counts = [Int](repeating: 0, count: WorkflowStatus.allCases.count)
        let (lastRecorded, activity): (UInt64, EngineActivity) = state.withLock { s in
            for index in s.projection.workflows.indices {
                counts[s.projection.workflows[at: index].summary.status.ordinal] += 1
            }
            return (s.projection.lastLSN?.rawValue ?? 0, s.activity)
        }
        var workflows: [WorkflowStatus: Int] = [:]
        for (status, count) in zip(WorkflowStatus.allCases, counts) where count > 0 { workflows[status] = count }
        return EngineStatistics(
            workflows: workflows, activity: activity, commitLatency: metrics.commitHistogram.summary,
            syncLatency: metrics.syncHistogram.summary, lastRecorded: lastRecorded)
    }
}

extension WorkflowStatus {
    /// The status's place in ``allCases``.
    var ordinal: Int {
        switch self {
        case .enqueued: 0
        case .pending: 1
        case .running: 2
        case .completed: 3
        case .failed: 4
        case .cancelled: 5
        case .diverged: 6
        case .parked: 7
        }
    }
}
