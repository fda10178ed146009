import Cairn
import Foundation
import Synchronization

/// `schedule`: n schedules (default 1,000) ticking every second, on the real clock, durability `.always`, for a
/// 10-second window. Every tick starts a workflow whose body notes its tick and how late it began.
///
/// The line reports `ticks_expected` (n × 10: the ticks of the window, which starts at the first whole second
/// after every schedule is recorded, plus one), `ticks_fired`, `ticks_missed` and `ticks_doubled` (a tick whose
/// body ran more than once; both must be 0), and the ticks' lateness — from the cron tick to its workflow's body
/// beginning, so it includes the start's sync and scheduling — as `p50_ms` / `p99_ms` (also `lateness_p50_ms`,
/// `lateness_p99_ms`). `per_sec` is ticks fired per second of the window.
enum ScheduleBench {
    static let window: Int64 = 10

    static func run(_ context: BenchContext) async throws {
        let n = context.n
        let directory = context.path("engine-schedule")
        defer { context.remove(directory) }
        ScheduleBenchTick.reset()
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: EngineBenchmarks.configuration(), workflows: [ScheduleBenchTick.self])
        let clock = SystemWorkflowClock()
        let second: Int64 = 1_000_000_000
        let (first, cpu) = try await EngineBenchmarks.whileRunning(engine) { engine in
            let cron = try CronExpression("* * * * * *")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<n {
                    group.addTask { try await engine.setSchedule("s\(i)", cron: cron, workflow: ScheduleBenchTick.self) }
                }
                try await group.waitForAll()
            }
            // The window: whole seconds from the second after the next one, for `window` seconds.
            let first = (clock.now() / second + 2) * second
            let end = first + window * second
            let cpu = CPUClock.now()
            let expected = n * Int(window)
            // Until every expected tick has run, or 10 s past the window's end (a missed tick stays missed).
            while clock.now() < end + 10 * second {
                if clock.now() > end && ScheduleBenchTick.count(from: first, before: end) >= expected { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            return (first, CPUClock.now() - cpu)
        }
        let end = first + window * second
        let runs = ScheduleBenchTick.runs()
        var fired = 0
        var doubled = 0
        var lateness: [Double] = []
        for (key, run) in runs {
            if run.count > 1 { doubled += 1 }
            guard key.tick >= first && key.tick < end else { continue }
            fired += 1
            lateness.append(Double(run.lateness) / 1e9)
        }
        let expected = n * Int(window)
        var line = context.line("schedule", seconds: Double(window), latencies: lateness)
        line["per_sec"] = .number(Double(fired) / Double(window), places: 2)
        line["schedules"] = .int(n)
        line["ticks_expected"] = .int(expected)
        line["ticks_fired"] = .int(fired)
        line["ticks_missed"] = .int(expected - fired)
        line["ticks_doubled"] = .int(doubled)
        let sorted = lateness.sorted()
        line["lateness_p50_ms"] = sorted.isEmpty ? .null : .number(Percentile.nearestRank(50, of: sorted) * 1e3)
        line["lateness_p99_ms"] = sorted.isEmpty ? .null : .number(Percentile.nearestRank(99, of: sorted) * 1e3)
        line["cpu_s"] = .number(cpu)
        context.emit(line)
        if fired != expected || doubled != 0 {
            throw BenchError("schedule: \(expected - fired) ticks missed, \(doubled) doubled")
        }
    }
}

/// The `schedule` workload's workflow: notes its tick (schedule, time) and how late its body began.
struct ScheduleBenchTick: Workflow {
    static let name = "bench-schedule-tick"

    struct Key: Hashable {
        var schedule: String
        var tick: Int64
    }

    struct Run {
        var count: Int
        var lateness: Int64
    }

    private static let state = Mutex<[Key: Run]>([:])

    static func reset() { state.withLock { $0 = [:] } }
    static func runs() -> [Key: Run] { state.withLock { $0 } }
    static func count(from first: Int64, before end: Int64) -> Int {
        state.withLock { $0.keys.reduce(0) { $0 + ($1.tick >= first && $1.tick < end ? 1 : 0) } }
    }

    static func run(_ context: WorkflowContext, input: ScheduleTick) async throws -> Int {
        let now = SystemWorkflowClock().now()
        let tick = Int64((input.scheduledAt.timeIntervalSince1970 * 1e9).rounded())
        state.withLock { runs in
            let key = Key(schedule: input.schedule, tick: tick)
            if let earlier = runs[key] {
                runs[key]?.count = earlier.count + 1
            } else {
                runs[key] = Run(count: 1, lateness: now - tick)
            }
        }
        return 0
    }
}
