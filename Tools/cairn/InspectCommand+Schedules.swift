import Cairn
import Foundation

/// `cairn inspect`'s schedules and pending debounces, as the engine's own rules rebuild them from the log
/// (``ScheduledStarts``). A next tick is computed from the records alone: a running engine's catch-up after a
/// downtime may have moved it since.
extension InspectCommand {
    static func writeScheduledStarts(_ starts: ScheduledStarts, to w: inout JSONWriter) {
        w.key("schedules")
        w.beginArray()
        for s in starts.scheduleInfos {
            w.beginObject()
            w.field("name", s.name)
            w.field("cron", s.cron)
            w.field("timeZone", s.timeZone)
            w.field("workflow", s.workflow)
            w.field("catchUp", s.catchUp.description)
            w.key("paused")
            w.bool(s.isPaused)
            w.field("nextTick", s.nextTick.map { Format.time($0.nanoseconds, iso: true) })
            w.field("lastTick", s.lastTick.map { Format.time($0.nanoseconds, iso: true) })
            w.field("lastWorkflowID", s.lastWorkflowID)
            w.endObject()
        }
        w.endArray()
        w.key("pendingDebounces")
        w.beginArray()
        for d in starts.pendingDebounces {
            w.beginObject()
            w.field("key", d.key)
            w.field("workflowID", d.workflowID)
            w.field("workflow", d.workflow)
            w.field("fireAt", Format.time(d.fireAt.nanoseconds, iso: true))
            w.field("latest", d.latest.map { Format.time($0.nanoseconds, iso: true) })
            w.field("requests", d.requests)
            w.endObject()
        }
        w.endArray()
    }

    /// The text rows: a label, its value, and the lines of a table below it (empty when there is nothing to list).
    static func scheduledStartRows(_ starts: ScheduledStarts) -> [(label: String, value: String, table: [String])] {
        let schedules = starts.scheduleInfos
        var scheduleTable = Table([
            .init(title: "NAME"), .init(title: "CRON"), .init(title: "ZONE"), .init(title: "WORKFLOW"),
            .init(title: "NEXT TICK"), .init(title: "LAST TICK"), .init(title: "STATE"),
        ])
        for s in schedules {
            scheduleTable.add([
                (s.name, nil), (s.cron, nil), (s.timeZone, nil), (s.workflow, nil),
                (s.nextTick.map { Format.time($0.nanoseconds) } ?? "—", nil),
                (s.lastTick.map { Format.time($0.nanoseconds) } ?? "—", nil),
                (s.isPaused ? "paused" : "active", s.isPaused ? .yellow : .dim),
            ])
        }
        let debounces = starts.pendingDebounces
        var debounceTable = Table([
            .init(title: "KEY"), .init(title: "WORKFLOW"), .init(title: "ID"), .init(title: "FIRES AT"),
            .init(title: "CALLS", alignment: .right),
        ])
        for d in debounces {
            debounceTable.add([
                (d.key, nil), (d.workflow, nil), (d.workflowID, nil), (Format.time(d.fireAt.nanoseconds), nil),
                (Format.count(d.requests), nil),
            ])
        }
        return [
            ("Schedules", schedules.isEmpty ? "none" : "\(schedules.count)", schedules.isEmpty ? [] : scheduleTable.lines()),
            ("Debounces", debounces.isEmpty ? "none pending" : "\(debounces.count) pending", debounces.isEmpty ? [] : debounceTable.lines()),
        ]
    }
}

extension Date {
    fileprivate var nanoseconds: Int64 { Int64((timeIntervalSince1970 * 1e9).rounded()) }
}
