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
                    var generator = HistoryGenerator(writer: writer)
                    var batch: [LogRecord] = []
                    batch.reserveCapacity(1_000)
                    for _ in 0..<share {
                        batch.append(generator.next().record())
                        if batch.count == 1_000 {
                            _ = try await log.append(contentsOf: batch)
                            batch.removeAll(keepingCapacity: true)
                        }
                    }
                    if !batch.isEmpty { _ = try await log.append(contentsOf: batch) }
                    return (generator.workflows, generator.unfinished)
                }
            }
            var total = (0, 0)
            for try await (w, u) in group { total = (total.0 + w, total.1 + u) }
            return total
        }
        try await log.close()
        return counts
    }

    /// Interleaved `ThreeSteps`-shaped histories of one writer, as the engine would write them.
    private struct HistoryGenerator {
        struct Run {
            var id: String
            var input: Int
            var parks: Bool
            var next = 0
        }

        static let file = "cairn-bench/BenchWorkflows.swift"
        static let steps = ["add-one", "double", "minus-three"]

        let writer: Int
        var random: SplitMix64
        var runs: [Run] = []
        var slot = 0
        var time: Int64 = 1_790_000_000_000_000_000
        /// Workflows begun (each has its start written) and how many of them have no completion yet.
        var workflows = 0
        var finished = 0
        var unfinished: Int { workflows - finished }

        init(writer: Int) {
            self.writer = writer
            random = SplitMix64(seed: 0xC0FFEE &+ UInt64(writer))
        }

        mutating func newRun() -> Run {
            defer { workflows += 1 }
            let id = uuid(random.next(), random.next())
            return Run(id: id, input: workflows * 2 + writer, parks: workflows % 10 == 9)
        }

        mutating func next() -> Event {
            time += Int64.random(in: 1_000...50_000, using: &random)
            if runs.count < 256 {
                runs.append(newRun())
                slot = runs.count - 1
            } else {
                slot = (slot + 1) % runs.count
                // A run that has written everything it will is replaced (a parked one just stays unfinished).
                if runs[slot].next == (runs[slot].parks ? 3 : 5) { runs[slot] = newRun() }
            }
            defer { runs[slot].next += 1 }
            let run = runs[slot]
            let name = ThreeSteps.name
            switch (run.next, run.parks) {
            case (0, _):
                return Event(
                    kind: .workflowStarted, workflowID: run.id, name: name, time: time, payload: Array(String(run.input).utf8))
            case (1, _), (2, false), (3, false):
                let k = run.next - 1
                let values = [run.input + 1, (run.input + 1) * 2, ThreeSteps.expected(run.input)]
                return Event(
                    kind: .stepCompleted, workflowID: run.id, position: Position([UInt32(k)]), name: Self.steps[k],
                    callSite: CallSite(file: Self.file, line: 18 + k), time: time, payload: Array(String(values[k]).utf8))
            case (2, true):
                let timeout: Int64 = 600_000_000_000
                return Event(
                    kind: .receiveStarted, workflowID: run.id, position: Position([1]), name: "go",
                    callSite: CallSite(file: Self.file, line: 54), time: time, deadline: time + timeout,
                    number: UInt64(timeout))
            default:
                finished += 1
                return Event(
                    kind: .workflowCompleted, workflowID: run.id, name: name, time: time,
                    payload: Array(String(ThreeSteps.expected(run.input)).utf8))
            }
        }

        private func uuid(_ high: UInt64, _ low: UInt64) -> String {
            func hex(_ v: UInt64, _ digits: Int) -> String {
                let s = String(v, radix: 16)
                return String(repeating: "0", count: max(0, digits - s.count)) + s
            }
            let h = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000
            let l = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
            return "\(hex(h >> 32, 8))-\(hex((h >> 16) & 0xFFFF, 4))-\(hex(h & 0xFFFF, 4))-"
                + "\(hex(l >> 48, 4))-\(hex(l & 0xFFFF_FFFF_FFFF, 12))"
        }
    }
}
