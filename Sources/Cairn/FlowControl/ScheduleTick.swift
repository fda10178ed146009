#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The input of a workflow that a schedule starts with the tick itself rather than a fixed input
/// (``WorkflowEngine/setSchedule(_:cron:timeZone:workflow:catchUp:)``): which schedule, and the tick's time.
///
/// `scheduledAt` is the cron tick — exact, whenever the engine got round to starting the workflow (late, or as a
/// caught-up tick after a downtime).
public struct ScheduleTick: Codable, Sendable, Hashable {
    /// The schedule's name.
    public var schedule: String
    /// The tick's time.
    public var scheduledAt: Date

    /// Creates a tick.
    public init(schedule: String, scheduledAt: Date) {
        self.schedule = schedule
        self.scheduledAt = scheduledAt
    }
}
