import Cairn
import CairnLog

/// The engine workloads, as the peer benchmarks define them (`shared/bench/dbos_bench.py`): each on a fresh
/// engine in its own directory, durability `.always`, with a few untimed warm-up workflows first.
///
/// Latencies of workflows started "at once" run from just before the task that starts the workflow is added
/// (submit) to `handle.result()` returning (the completion is durable and observed), so they include the
/// scheduling of that task, the start's sync and the completion's sync.
///
/// Every line also has `cpu_s`, the process's CPU time (all threads) over the timed part, and `cpu_us_per_wf`: on a
/// machine shared with other work the wall time varies with their load, the CPU cost much less.
enum EngineBenchmarks {
    /// Untimed workflows each workload runs first (DBOS's bench runs 10).
    static let warmUp = 10

    /// `sequential`: n × `ThreeSteps`, one after another (start, then await its result). The line carries the
    /// fdatasync floor measured just before in the same directory (`floor_p50_ms`, as `log-append-1` does) and
    /// `target_ms` = 1.3 × 4 syncs × the floor, `vs_target` = p50 / target.
    static func sequential(_ context: BenchContext) async throws {
        let floor = try Floor.measure(in: context)
        let n = context.n
        let run = try await withRunningEngine(context, "engine-sequential") { engine in
            for i in 0..<warmUp { try await runThreeSteps(engine, id: "warm-\(i)", input: -1 - i) }
            var latencies: [Double] = []
            latencies.reserveCapacity(n)
            let start = Stopwatch.now()
            let cpu = CPUClock.now()
            for i in 0..<n {
                let t = Stopwatch.now()
                try await runThreeSteps(engine, id: "seq-\(i)", input: i)
                latencies.append(Stopwatch.now() - t)
            }
            return Run(seconds: Stopwatch.now() - start, latencies: latencies, cpu: CPUClock.now() - cpu)
        }
        let latencies = run.latencies
        var line = run.line(context, "sequential")
        let p50 = Percentile.nearestRank(50, of: latencies.sorted())
        let target = 1.3 * 4 * floor.appendP50
        line["floor_p50_ms"] = .number(floor.appendP50 * 1e3)
        line["floor_overwrite_p50_ms"] = .number(floor.overwriteP50 * 1e3)
        line["target_ms"] = .number(target * 1e3)
        line["vs_target"] = .number(p50 / target)
        line["syncs_per_wf"] = 4
        context.emit(line)
    }

    /// `concurrent`: n × `ThreeSteps` started at once, all awaited; workflows/s, submit → result latency.
    static func concurrent(_ context: BenchContext) async throws {
        let n = context.n
        let run = try await withRunningEngine(context, "engine-concurrent") { engine in
            _ = try await startAllAndWait(ThreeSteps.self, engine, count: warmUp, prefix: "warm", expect: ThreeSteps.expected)
            return try await startAllAndWait(ThreeSteps.self, engine, count: n, prefix: "conc", expect: ThreeSteps.expected)
        }
        var line = run.line(context, "concurrent")
        line["target_per_sec"] = .number(50_000, places: 0)
        context.emit(line)
    }

    /// `fanout`: `--reps` (else n) × `FanOut` of 100 parallel steps, one after another; p50/p99 per workflow.
    static func fanout(_ context: BenchContext) async throws {
        var context = context
        context.n = context.reps ?? context.n
        let reps = context.n
        let width = 100
        let run = try await withRunningEngine(context, "engine-fanout") { engine in
            for i in 0..<3 { try await runFanOut(engine, id: "warm-\(i)", width: width) }
            var latencies: [Double] = []
            latencies.reserveCapacity(reps)
            let start = Stopwatch.now()
            let cpu = CPUClock.now()
            for i in 0..<reps {
                let t = Stopwatch.now()
                try await runFanOut(engine, id: "fan-\(i)", width: width)
                latencies.append(Stopwatch.now() - t)
            }
            return Run(seconds: Stopwatch.now() - start, latencies: latencies, cpu: CPUClock.now() - cpu)
        }
        var line = run.line(context, "fanout")
        line["steps_per_wf"] = .int(width)
        line["target_p50_ms"] = 2.0
        context.emit(line)
    }

    /// `sleep`: n × `OneSleep` (one durable 100 ms sleep) started at once; submit → result latency (p50 − 100 ms
    /// is the timer's overhead).
    static func sleep(_ context: BenchContext) async throws {
        let n = context.n
        let run = try await withRunningEngine(context, "engine-sleep") { engine in
            _ = try await startAllAndWait(OneSleep.self, engine, count: warmUp, prefix: "warm", expect: { $0 })
            return try await startAllAndWait(OneSleep.self, engine, count: n, prefix: "sleep", expect: { $0 })
        }
        var line = run.line(context, "sleep")
        line["sleep_s"] = 0.1
        line["target_per_sec"] = .number(10_000, places: 0)
        context.emit(line)
    }

    // MARK: Helpers

    /// What a timed part measured: wall seconds, per-workflow latencies (seconds), process CPU seconds.
    struct Run: Sendable {
        var seconds: Double
        var latencies: [Double]
        var cpu: Double

        /// The result line, with `cpu_s` and `cpu_us_per_wf` (per `context.n` workflows).
        func line(_ context: BenchContext, _ workload: String) -> JSONLine {
            var line = context.line(workload, seconds: seconds, latencies: latencies)
            line["cpu_s"] = .number(cpu)
            line["cpu_us_per_wf"] = .number(cpu / Double(context.n) * 1e6, places: 1)
            return line
        }
    }

    /// The engine configuration of the workloads: the defaults, with the given durability.
    static func configuration(_ durability: LogConfiguration.Durability = .always) -> EngineConfiguration {
        var configuration = EngineConfiguration()
        configuration.log = LogConfiguration(durability: durability)
        return configuration
    }

    /// Opens an engine on a fresh directory `name` in the scratch directory, runs it while `body` runs, shuts it
    /// down and removes the directory.
    static func withRunningEngine<R: Sendable>(
        _ context: BenchContext, _ name: String, durability: LogConfiguration.Durability = .always,
        _ body: (WorkflowEngine) async throws -> R
    ) async throws -> R {
        let directory = context.path(name)
        defer { context.remove(directory) }
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: configuration(durability), workflows: BenchWorkflows.all)
        return try await whileRunning(engine, body)
    }

    /// Runs `engine.run()` in the background while `body` runs, then shuts the engine down.
    static func whileRunning<R: Sendable>(
        _ engine: WorkflowEngine, _ body: (WorkflowEngine) async throws -> R
    ) async throws -> R {
        let runner = Task { try await engine.run() }
        let result: R
        do {
            result = try await body(engine)
        } catch {
            await engine.shutdown()
            _ = await runner.result
            throw error
        }
        await engine.shutdown()
        try await runner.value
        return result
    }

    static func runThreeSteps(_ engine: WorkflowEngine, id: String, input: Int) async throws {
        let result = try await engine.start(ThreeSteps.self, input: input, id: id).result()
        guard result == ThreeSteps.expected(input) else {
            throw BenchError("workflow \(id) returned \(result), not \(ThreeSteps.expected(input))")
        }
    }

    static func runFanOut(_ engine: WorkflowEngine, id: String, width: Int) async throws {
        let result = try await engine.start(FanOut.self, input: width, id: id).result()
        guard result == FanOut.expected(width) else {
            throw BenchError("workflow \(id) returned \(result), not \(FanOut.expected(width))")
        }
    }

    /// Starts `count` workflows `prefix-i` (input i) at once, each in its own task, and waits for all their
    /// results. Returns the seconds from the first submit to the last result, each workflow's submit → result, and
    /// the CPU time. With `options`, each is started with them (on a queue, say).
    static func startAllAndWait<W: Workflow>(
        _ type: W.Type, _ engine: WorkflowEngine, count: Int, prefix: String, options: StartOptions? = nil,
        expect: @escaping @Sendable (Int) -> Int
    ) async throws -> Run where W.Input == Int, W.Output == Int {
        let start = Stopwatch.now()
        let cpu = CPUClock.now()
        let latencies = try await withThrowingTaskGroup(of: Double.self) { group in
            for i in 0..<count {
                let submitted = Stopwatch.now()
                group.addTask {
                    let id = "\(prefix)-\(i)"
                    let handle = if let options {
                        try await engine.start(W.self, input: i, id: id, options: options)
                    } else {
                        try await engine.start(W.self, input: i, id: id)
                    }
                    let result = try await handle.result()
                    guard result == expect(i) else {
                        throw BenchError("workflow \(id) returned \(result), not \(expect(i))")
                    }
                    return Stopwatch.now() - submitted
                }
            }
            var latencies: [Double] = []
            latencies.reserveCapacity(count)
            for try await latency in group { latencies.append(latency) }
            return latencies
        }
        return Run(seconds: Stopwatch.now() - start, latencies: latencies, cpu: CPUClock.now() - cpu)
    }
}
