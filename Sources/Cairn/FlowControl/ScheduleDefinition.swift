#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A schedule as a ``EventKind/scheduleChanged`` record's payload holds it: JSON the engine owns (not the payload
/// codec's), decoded when the projection applies the record — schedules change rarely.
struct ScheduleDefinition: Codable, Sendable, Hashable {
    /// The cron expression, as given (``CronExpression/description``).
    var cron: String
    /// The time zone's identifier.
    var timeZone: String
    /// The registered name of the workflow each tick starts.
    var workflow: String
    /// The input every tick starts the workflow with, as the payload codec encoded it; nil when each tick's input
    /// is its ``ScheduleTick``.
    var input: Data?
    /// The catch-up policy: "none", "latest" or "all"; `catchUpMax` for "all".
    var catchUp: String
    var catchUpMax: Int?
    var paused: Bool

    init(cron: String, timeZone: String, workflow: String, input: [UInt8]?, catchUp: ScheduleCatchUp, paused: Bool) {
        self.cron = cron
        self.timeZone = timeZone
        self.workflow = workflow
        self.input = input.map { Data($0) }
        switch catchUp {
        case .none: self.catchUp = "none"
        case .latest: self.catchUp = "latest"
        case .all(let max): (self.catchUp, catchUpMax) = ("all", max)
        }
        self.paused = paused
    }

    var catchUpPolicy: ScheduleCatchUp {
        switch catchUp {
        case "latest": .latest
        case "all": .all(max: catchUpMax ?? 1)
        default: .none
        }
    }

    /// The record's payload.
    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(self))
    }

    /// The definition a record's payload holds; nil when it does not decode (a damaged record: the schedule is
    /// then left as it was, and `cairn verify` shows the record).
    init?(payload: [UInt8]) {
        guard let decoded = try? JSONDecoder().decode(Self.self, from: Data(payload)) else { return nil }
        self = decoded
    }
}
