import HeapModule
import Logging

/// The timed-start loop's timers: each armed schedule's next tick, in a heap by time (entries whose schedule was
/// re-armed since are skipped when they come up). Owned by the loop's task alone.
struct TickTimers {
    /// A tick to fire: which schedule, what to start, and the tick's time.
    struct Fire: Sendable {
        var schedule: String
        var workflow: String
        var input: [UInt8]?
        var tick: Int64
    }

    private struct Entry: Comparable {
        var deadline: Int64
        var name: String
        static func < (a: Entry, b: Entry) -> Bool { (a.deadline, a.name) < (b.deadline, b.name) }
    }

    private struct Armed {
        var timeline: TickTimeline
        var schedule: ScheduledStarts.Schedule
        var next: Int64
        /// The latest tick this loop fired (or the instant ticks count from).
        var counted: Int64
    }

    private var heap = Heap<Entry>()
    private var armed: [String: Armed] = [:]

    /// The most ticks one ``takeDue(now:)`` returns (the rest come in the next round).
    static let maxFiresPerRound = 10_000

    /// Each armed schedule's next tick.
    var nextTicks: [String: Int64] { armed.mapValues(\.next) }

    /// Re-arms schedule `name` from its record (nil: removed). With `catchingUp` (the loop's first look, as
    /// ``WorkflowEngine/run()`` begins), the ticks missed since its last one are fired as its catch-up policy says,
    /// and it goes on after `now`; otherwise every tick after it counts from is due (late ones fire late).
    mutating func arm(
        _ name: String, _ schedule: ScheduledStarts.Schedule?, now: Int64, catchingUp: Bool, logger: Logger,
        into fires: inout [Fire]
    ) {
        let previous = armed.removeValue(forKey: name)
        guard let schedule, !schedule.definition.paused else { return }
        guard let timeline = TickTimeline(schedule) else {
            logger.error(
                "schedule not armed: its cron expression or time zone is not valid in this process",
                metadata: ["schedule": "\(name)", "cron": "\(schedule.definition.cron)", "zone": "\(schedule.definition.timeZone)"])
            return
        }
        var from = schedule.countsFrom
        if let previous, previous.schedule.since == schedule.since { from = max(from, previous.counted) }
        if catchingUp {
            let missed = timeline.ticks(after: from, through: now, limit: schedule.definition.catchUpPolicy.limit)
            fires += missed.map { Fire(schedule: name, workflow: schedule.definition.workflow, input: schedule.definition.input.map { Array($0) }, tick: $0) }
            from = max(from, now)
        }
        guard let next = timeline.next(after: from) else { return }
        armed[name] = Armed(timeline: timeline, schedule: schedule, next: next, counted: from)
        heap.insert(Entry(deadline: next, name: name))
    }

    /// Takes the ticks due at `now` (several of one schedule when the loop is late) and arms each schedule's next.
    mutating func takeDue(now: Int64) -> [Fire] {
        var fires: [Fire] = []
        while fires.count < Self.maxFiresPerRound, let top = heap.min, top.deadline <= now {
            _ = heap.removeMin()
            guard var a = armed[top.name], a.next == top.deadline else { continue }  // re-armed since
            let input = a.schedule.definition.input.map { Array($0) }
            var next: Int64? = a.next
            while let tick = next, tick <= now, fires.count < Self.maxFiresPerRound {
                fires.append(Fire(schedule: top.name, workflow: a.schedule.definition.workflow, input: input, tick: tick))
                a.counted = tick
                next = a.timeline.next(after: tick)
            }
            if let next {
                a.next = next
                armed[top.name] = a
                heap.insert(Entry(deadline: next, name: top.name))
            } else {
                armed[top.name] = nil
            }
        }
        return fires
    }

    /// The earliest next tick of an armed schedule.
    mutating func earliest() -> Int64? {
        while let top = heap.min {
            if armed[top.name]?.next == top.deadline { return top.deadline }
            _ = heap.removeMin()
        }
        return nil
    }
}
