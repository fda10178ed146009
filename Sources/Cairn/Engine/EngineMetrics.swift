import Metrics

/// The engine's swift-metrics instruments. The embedder bootstraps the backend; without one they cost nothing.
struct EngineMetrics: Sendable {
    let started: Counter
    let completed: Counter
    let failed: Counter
    let parked: Counter
    /// Workflows evicted from memory in a durable wait (resumed by replay when woken).
    let evicted: Counter
    let stepLatency: Metrics.Timer
    let commitLatency: Metrics.Timer
    let commitBatch: Recorder
    /// Records per group commit of the log (all workflows together), and the log's `fdatasync` latency.
    let logCommitRecords: Recorder
    let logSyncLatency: Metrics.Timer
    /// From a queue's slot freeing (the commit that settles a queued workflow, applied) to the next workflow the
    /// dispatcher starts there (its dequeue durable, the workflow scheduled).
    let queueDispatchLatency: Metrics.Timer
    /// The commit and sync latencies again, kept by the engine for ``WorkflowEngine/statistics()``.
    let commitHistogram = LatencyHistogram()
    let syncHistogram = LatencyHistogram()

    init(dimensions: [(String, String)]) {
        started = Counter(label: "cairn_workflows_started_total", dimensions: dimensions)
        completed = Counter(label: "cairn_workflows_completed_total", dimensions: dimensions)
        failed = Counter(label: "cairn_workflows_failed_total", dimensions: dimensions)
        parked = Counter(label: "cairn_workflows_parked_total", dimensions: dimensions)
        evicted = Counter(label: "cairn_workflows_evicted_total", dimensions: dimensions)
        stepLatency = Metrics.Timer(label: "cairn_step_duration", dimensions: dimensions)
        commitLatency = Metrics.Timer(label: "cairn_commit_duration", dimensions: dimensions)
        commitBatch = Recorder(label: "cairn_commit_events", dimensions: dimensions)
        logCommitRecords = Recorder(label: "cairn_log_commit_records", dimensions: dimensions)
        logSyncLatency = Metrics.Timer(label: "cairn_log_sync_duration", dimensions: dimensions)
        queueDispatchLatency = Metrics.Timer(label: "cairn_queue_dispatch_duration", dimensions: dimensions)
    }
}
