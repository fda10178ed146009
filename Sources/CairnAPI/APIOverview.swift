public import Cairn

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// `GET /api/v1/overview`: the engine at a glance.
public struct APIOverview: Codable, Sendable, Hashable {
    /// How many workflows are in each status (statuses with none are absent).
    public var workflows: [String: Int]
    public var running: Int
    /// Waiting in memory, waiting as records only, and ready to run but held by the running limit.
    public var cached: Int
    public var waiting: Int
    public var ready: Int
    public var commitLatency: APILatency
    public var syncLatency: APILatency
    /// The LSN of the last event recorded.
    public var lastRecorded: UInt64
    /// The workflow names this engine runs (what `POST /workflows` starts).
    public var registeredWorkflows: [String]
    public var queues: [APIQueue]
    public var schedules: [APISchedule]
    /// Where the engine keeps its records (a log directory).
    public var store: String

    public init(
        _ statistics: EngineStatistics, registeredWorkflows: [String], queues: [APIQueue], schedules: [APISchedule],
        store: String
    ) {
        var workflows: [String: Int] = [:]
        for (status, count) in statistics.workflows { workflows[status.rawValue] = count }
        self.workflows = workflows
        running = statistics.activity.running
        cached = statistics.activity.cached
        waiting = statistics.activity.waiting
        ready = statistics.activity.ready
        commitLatency = APILatency(statistics.commitLatency)
        syncLatency = APILatency(statistics.syncLatency)
        lastRecorded = statistics.lastRecorded
        self.registeredWorkflows = registeredWorkflows
        self.queues = queues
        self.schedules = schedules
        self.store = store
    }
}

/// A latency's count and percentiles in milliseconds (nil before the first one).
public struct APILatency: Codable, Sendable, Hashable {
    public var count: Int
    public var p50Ms: Double?
    public var p90Ms: Double?
    public var p99Ms: Double?

    public init(_ summary: LatencySummary) {
        count = summary.count
        p50Ms = summary.p50?.inMilliseconds
        p90Ms = summary.p90?.inMilliseconds
        p99Ms = summary.p99?.inMilliseconds
    }
}

/// A queue: its limits and how many workflows wait, are delayed and run (``QueueState``).
public struct APIQueue: Codable, Sendable, Hashable {
    public var name: String
    public var waiting: Int
    public var delayed: Int
    public var running: Int
    public var concurrency: Int?
    public var workerConcurrency: Int?
    public var partitionConcurrency: Int?
    /// At most `rateLimitCount` starts per `rateLimitPeriodMs`.
    public var rateLimitCount: Int?
    public var rateLimitPeriodMs: Double?

    public init(_ state: QueueState) {
        name = state.name
        waiting = state.waiting
        delayed = state.delayed
        running = state.running
        concurrency = state.declaration?.concurrency
        workerConcurrency = state.declaration?.workerConcurrency
        partitionConcurrency = state.declaration?.partitionConcurrency
        rateLimitCount = state.declaration?.rateLimit?.count
        rateLimitPeriodMs = state.declaration?.rateLimit?.period.inMilliseconds
    }
}

/// A schedule (``ScheduleInfo``).
public struct APISchedule: Codable, Sendable, Hashable {
    public var name: String
    public var cron: String
    public var timeZone: String
    public var workflow: String
    public var catchUp: String
    public var paused: Bool
    public var nextTick: Date?
    public var lastTick: Date?
    public var lastWorkflowID: String?

    public init(_ info: ScheduleInfo) {
        name = info.name
        cron = info.cron
        timeZone = info.timeZone
        workflow = info.workflow
        catchUp = "\(info.catchUp)"
        paused = info.isPaused
        nextTick = info.nextTick
        lastTick = info.lastTick
        lastWorkflowID = info.lastWorkflowID
    }
}
