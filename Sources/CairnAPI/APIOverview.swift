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
    /// Workflows whose code runs in the engine now.
    public var running: Int
    /// Workflows waiting in memory.
    public var cached: Int
    /// Workflows waiting as records only (evicted from memory).
    public var waiting: Int
    /// Workflows ready to run, held by the running limit.
    public var ready: Int
    /// From handing records to the store to their being durable and applied.
    public var commitLatency: APILatency
    /// The store's syncs (`fdatasync` for a log directory).
    public var syncLatency: APILatency
    /// The LSN of the last event recorded.
    public var lastRecorded: UInt64
    /// The workflow names this engine runs (what `POST /workflows` starts).
    public var registeredWorkflows: [String]
    /// Every queue, declared or used.
    public var queues: [APIQueue]
    /// Every schedule.
    public var schedules: [APISchedule]
    /// Where the engine keeps its records (a log directory).
    public var store: String

    /// The overview of `statistics` and the rest.
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
    /// How many were measured since the engine opened.
    public var count: Int
    /// The median, in milliseconds.
    public var p50Ms: Double?
    /// The 90th percentile, in milliseconds.
    public var p90Ms: Double?
    /// The 99th percentile, in milliseconds.
    public var p99Ms: Double?

    /// The API's form of `summary`.
    public init(_ summary: LatencySummary) {
        count = summary.count
        p50Ms = summary.p50?.inMilliseconds
        p90Ms = summary.p90?.inMilliseconds
        p99Ms = summary.p99?.inMilliseconds
    }
}

/// A queue: its limits and how many workflows wait, are delayed and run (``QueueState``).
public struct APIQueue: Codable, Sendable, Hashable {
    /// Its name ("" for delayed starts that join no queue).
    public var name: String
    /// Workflows waiting for a slot.
    public var waiting: Int
    /// Enqueued workflows whose not-before time has not come.
    public var delayed: Int
    /// Workflows holding a slot (running, or waiting inside their code).
    public var running: Int
    /// The most of its workflows running at once, across the engine.
    public var concurrency: Int?
    /// The most running at once in one process.
    public var workerConcurrency: Int?
    /// The most running at once per partition key.
    public var partitionConcurrency: Int?
    /// At most `rateLimitCount` starts per `rateLimitPeriodMs`.
    public var rateLimitCount: Int?
    /// The rate limit's period, in milliseconds.
    public var rateLimitPeriodMs: Double?

    /// The API's form of `state`.
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
    /// Its name.
    public var name: String
    /// Its cron expression.
    public var cron: String
    /// The time zone its cron expression is read in.
    public var timeZone: String
    /// The workflow it starts.
    public var workflow: String
    /// What it does about ticks missed while no engine ran.
    public var catchUp: String
    /// Whether it is paused.
    public var paused: Bool
    /// Its next tick; nil when paused or when none is left.
    public var nextTick: Date?
    /// Its last tick, if any.
    public var lastTick: Date?
    /// The workflow its last tick started.
    public var lastWorkflowID: String?

    /// The API's form of `info`.
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
