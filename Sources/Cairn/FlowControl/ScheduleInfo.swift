#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A schedule as ``WorkflowEngine/schedules()`` lists it.
public struct ScheduleInfo: Sendable, Hashable {
    /// The schedule's name (unique in the engine).
    public var name: String
    /// The cron expression, as given.
    public var cron: String
    /// The time zone's identifier its cron expression is read in.
    public var timeZone: String
    /// The registered name of the workflow each tick starts.
    public var workflow: String
    /// What it does about ticks missed while the engine was down.
    public var catchUp: ScheduleCatchUp
    /// Whether it is paused (no ticks until resumed).
    public var isPaused: Bool
    /// Whether each tick starts the workflow with the fixed input given (true) or with the ``ScheduleTick``.
    public var ticksWithFixedInput: Bool
    /// Its next tick; nil when paused or when its cron expression has no tick within about ten years.
    public var nextTick: Date?
    /// Its latest tick that started a workflow (nil before its first tick).
    public var lastTick: Date?
    /// The ID of the workflow its latest tick started.
    public var lastWorkflowID: String?

    package init(
        name: String, cron: String, timeZone: String, workflow: String, catchUp: ScheduleCatchUp, isPaused: Bool,
        ticksWithFixedInput: Bool, nextTick: Date?, lastTick: Date?, lastWorkflowID: String?
    ) {
        self.name = name
        self.cron = cron
        self.timeZone = timeZone
        self.workflow = workflow
        self.catchUp = catchUp
        self.isPaused = isPaused
        self.ticksWithFixedInput = ticksWithFixedInput
        self.nextTick = nextTick
        self.lastTick = lastTick
        self.lastWorkflowID = lastWorkflowID
    }
}
