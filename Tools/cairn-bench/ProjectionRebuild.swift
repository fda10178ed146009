import Cairn
import CairnLog

/// `projection-rebuild`: how fast `WorkflowEngine.open` rebuilds its projection from a large log.
///
/// The log holds n events in the engine's own envelopes (`Event.record()`), shaped like `ThreeSteps` runs: 9 in
/// 10 workflows finished (start, three step outcomes, completion), 1 in 10 parked in a receive (start, one
/// outcome, the receive's deadline), 256 workflows interleaved at a time per writer; written with durability
/// `.never` by two tasks with disjoint workflows (so each workflow's events stay in order). The files are in the
/// page cache, as after a process restart.
///
/// Timed (`seconds`, per_sec = events/s): `WorkflowEngine.open`, which verifies and decompresses every frame and
/// applies every envelope to the projection (payloads stay bytes). For the split of that time, the same log is
/// opened first by `Log.openBlocking` alone (`log_open_s`) and with every envelope checked as the open checks it
/// (`EnvelopePeek`, no decoding) but not applied (`peek_s`). `cpu_s`: the process's CPU time during `WorkflowEngine.open`.
enum ProjectionRebuild {
    static let target = 2_000_000.0

    static func run(_ context: BenchContext) async throws {
        let directory = context.path("projection-rebuild")
        defer { context.remove(directory) }
        let n = context.n
        let fillStart = Stopwatch.now()
        let written = try await fill(directory, events: n)
        let fillSeconds = Stopwatch.now() - fillStart

        var start = Stopwatch.now()
        let log = try Log.openBlocking(at: directory)
        let logOpenSeconds = Stopwatch.now() - start
        let report = log.recovery
        try await log.close()
        guard report.recordCount == n else {
            throw BenchError("projection-rebuild: wrote \(n) events, the log has \(report.recordCount)")
        }

        start = Stopwatch.now()
        let peeking = try Log.openBlocking(at: directory) { record in
            _ = try EnvelopePeek(tag: record.tag, bytes: record.bytes)
        }
        let peekSeconds = Stopwatch.now() - start
        try await peeking.close()

        start = Stopwatch.now()
        let cpuStart = CPUClock.now()
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: EngineBenchmarks.configuration(.never), workflows: BenchWorkflows.all)
        let openSeconds = Stopwatch.now() - start
        let cpu = CPUClock.now() - cpuStart
        let workflows = engine.list().count
        let unfinished = engine.list(status: [.pending]).count
        await engine.shutdown()
        guard workflows == written.workflows, unfinished == written.unfinished else {
            throw BenchError(
                "projection-rebuild: wrote \(written.workflows) workflows (\(written.unfinished) unfinished), "
                    + "the engine has \(workflows) (\(unfinished) unfinished)")
        }

        var line = context.line("projection-rebuild", seconds: openSeconds)
        line["unit"] = "events/s"
        line["workflows"] = .int(workflows)
        line["unfinished"] = .int(unfinished)
        line["log_open_s"] = .number(logOpenSeconds)
        line["peek_s"] = .number(peekSeconds)
        line["stored_mb"] = .number(Double(report.storedBytes) / 1e6, places: 1)
        line["fill_s"] = .number(fillSeconds)
        line["cpu_s"] = .number(cpu)
        line["target_per_sec"] = .number(target, places: 0)
        context.emit(line)
    }

    /// Writes `n` events; returns how many workflows they belong to and how many of those are unfinished.
    private static func fill(_ directory: String, events n: Int) async throws -> (workflows: Int, unfinished: Int) {
        let writers = 2
        let log = try await Log.open(at: directory, configuration: LogConfiguration(durability: .never))
        let counts = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for writer in 0..<writers {
                let share = n / writers + (writer < n % writers ? 1 : 0)
                group.addTask {
                    var generator = WorkflowLog.Generator(writer: writer, workflows: .max, sends: false)
                    var batch: [LogRecord] = []
                    batch.reserveCapacity(1_000)
                    for _ in 0..<share {
                        guard let event = generator.next() else { break }
                        batch.append(event.record())
                        if batch.count == 1_000 {
                            _ = try await log.append(contentsOf: batch)
                            batch.removeAll(keepingCapacity: true)
                        }
                    }
                    if !batch.isEmpty { _ = try await log.append(contentsOf: batch) }
                    return (generator.begun, generator.begun - generator.finished)
                }
            }
            var total = (0, 0)
            for try await (w, u) in group { total = (total.0 + w, total.1 + u) }
            return total
        }
        try await log.close()
        return counts
    }
}
