public import Logging
public import ServiceLifecycle

/// Compacts an engine's log on a schedule: add it to the same `ServiceGroup` as the engine.
///
/// ```swift
/// let compaction = CompactionService(
///     engine: engine, policy: CompactionPolicy(keepFinished: .seconds(7 * 86_400)), every: .seconds(3600))
/// let group = ServiceGroup(services: [engine, compaction, httpServer], logger: logger)
/// ```
/// Each run is ``WorkflowEngine/compact(policy:)``. A failed run is logged and retried at the next interval;
/// graceful shutdown stops the schedule (a compaction in progress finishes first: it is crash-safe anyway).
public struct CompactionService: Service {
    /// The engine whose log is compacted.
    public let engine: WorkflowEngine
    /// What is kept.
    public let policy: CompactionPolicy
    /// The time between the end of one compaction and the start of the next.
    public let interval: Duration
    private let logger: Logger

    /// A schedule: the first compaction runs one `interval` after ``run()`` starts.
    public init(engine: WorkflowEngine, policy: CompactionPolicy, every interval: Duration, logger: Logger? = nil) {
        self.engine = engine
        self.policy = policy
        self.interval = interval
        self.logger = logger ?? engine.configuration.logger
    }

    /// Compacts every ``interval`` until the task is cancelled or graceful shutdown begins.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: interval.asWait)
                    do {
                        _ = try await engine.compact(policy: policy)
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        logger.error("scheduled compaction failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        } catch is CancellationError {
            return
        }
    }
}
