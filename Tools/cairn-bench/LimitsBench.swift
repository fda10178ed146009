import Cairn
import CairnLog
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The limits workloads: logs far larger than a run makes, written directly with the log API in the engine's own
/// envelopes (as `projection-rebuild` does), then opened by the engine.
///
/// - `limits-unfinished`: n unfinished `ThreeSteps` workflows (start and first outcome: each will run code at once,
///   so recovery records an attempt for every one). Times `WorkflowEngine.open` (`open_s`) and `run()`'s recovery up
///   to every attempt durable (`recover_s`); `peak_rss_mb` is the process's peak resident size. Recovery must not
///   fail: its n attempts exceed what one frame holds beyond about 3 million workflows.
/// - `limits-restarts`: n unfinished workflows and `--reps` (default 1,000) clean stops (`engineStopped`) spread
///   through the log, against the same log with one: `open_s` and `open_one_stop_s`, and their ratio, which must not
///   grow with the number of stops.
enum LimitsBench {
    static func unfinished(_ context: BenchContext) async throws {
        let n = context.n
        let directory = context.path("limits-unfinished")
        defer { context.remove(directory) }
        let fillStart = Stopwatch.now()
        try await fill(directory, workflows: n, stops: 0)
        let fillSeconds = Stopwatch.now() - fillStart

        let attempts = Atomic<Int>(0)
        var configuration = EngineBenchmarks.configuration(.never)
        configuration.maxRunningWorkflows = 1  // the resumed workflows wait their turn: recovery is what is timed
        let (observed, recorded) = AsyncStream<Void>.makeStream()
        configuration.log.commitObserver = { commit in
            if attempts.add(commit.records, ordering: .relaxed).newValue >= n { recorded.yield() }
        }
        var start = Stopwatch.now()
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: configuration, workflows: BenchWorkflows.all)
        let openSeconds = Stopwatch.now() - start
        let listed = engine.list(status: [.pending]).count
        guard listed == n else { throw BenchError("limits-unfinished: wrote \(n) unfinished workflows, the engine has \(listed)") }

        start = Stopwatch.now()
        let runner = Task {
            defer { recorded.yield() }  // run() ended early: with the failure to report
            try await engine.run()
        }
        for await _ in observed { break }  // every attempt durable
        let recoverSeconds = Stopwatch.now() - start
        await engine._crash()
        if case .failure(let error) = await runner.result {
            throw BenchError("limits-unfinished: run() failed during recovery: \(error)")
        }

        var line = context.line("limits-unfinished", seconds: openSeconds + recoverSeconds)
        line["unit"] = "workflows"
        line["open_s"] = .number(openSeconds)
        line["recover_s"] = .number(recoverSeconds)
        line["peak_rss_mb"] = .number(Double(ProcessMemory.peak()) / 1_048_576, places: 0)
        line["fill_s"] = .number(fillSeconds)
        context.emit(line)
    }

    static func restarts(_ context: BenchContext) async throws {
        let n = context.n
        let stops = context.reps ?? 1_000
        var seconds: [Int: Double] = [:]
        for count in [1, stops] {
            let directory = context.path("limits-restarts-\(count)")
            defer { context.remove(directory) }
            try await fill(directory, workflows: n, stops: count)
            // Best of three: the files are in the page cache after the first.
            var best = Double.infinity
            for _ in 0..<3 {
                let start = Stopwatch.now()
                let engine = try await WorkflowEngine.open(
                    directory: directory, configuration: EngineBenchmarks.configuration(.never), workflows: BenchWorkflows.all)
                best = min(best, Stopwatch.now() - start)
                let listed = engine.list(status: [.pending]).count
                await engine.shutdown()
                guard listed == n else { throw BenchError("limits-restarts: wrote \(n) unfinished workflows, the engine has \(listed)") }
            }
            seconds[count] = best
        }
        var line = context.line("limits-restarts", seconds: seconds[stops]!)
        line["unit"] = "workflows"
        line["stops"] = .int(stops)
        line["open_s"] = .number(seconds[stops]!)
        line["open_one_stop_s"] = .number(seconds[1]!)
        line["ratio"] = .number(seconds[stops]! / seconds[1]!, places: 2)
        context.emit(line)
    }

    /// Writes `workflows` unfinished `ThreeSteps` histories (a start and the first step's outcome, with a recovery
    /// attempt between them for one in ten) and `stops` `engineStopped` records spread evenly among them.
    private static func fill(_ directory: String, workflows: Int, stops: Int) async throws {
        let log = try await Log.open(at: directory, configuration: LogConfiguration(durability: .never))
        var random = SplitMix64(seed: 0x11_3175)
        var time: Int64 = 1_790_000_000_000_000_000
        let perStop = stops > 0 ? max(1, workflows / stops) : Int.max
        var stopsWritten = 0
        var batch: [LogRecord] = []
        batch.reserveCapacity(4_096)
        func flush() async throws {
            guard !batch.isEmpty else { return }
            _ = try await log.append(contentsOf: batch)
            batch.removeAll(keepingCapacity: true)
        }
        for i in 0..<workflows {
            time += 1_000
            let id = "limits-\(random.next())-\(i)"
            batch.append(Event(
                kind: .workflowStarted, workflowID: id, name: ThreeSteps.name, time: time, payload: Array(String(i).utf8)
            ).record())
            if i % 10 == 0 {
                batch.append(Event(kind: .recoveryAttempted, workflowID: id, name: ThreeSteps.name, time: time).record())
            }
            batch.append(Event(
                kind: .stepCompleted, workflowID: id, position: Position([0]), name: "add-one",
                callSite: CallSite(file: "cairn-bench/BenchWorkflows.swift", line: 18), time: time,
                payload: Array(String(i + 1).utf8)
            ).record())
            if (i + 1) % perStop == 0 && stopsWritten < stops {
                batch.append(Event(kind: .engineStopped, workflowID: "", name: "", time: time).record())
                stopsWritten += 1
            }
            if batch.count >= 4_000 { try await flush() }
        }
        while stopsWritten < stops {
            batch.append(Event(kind: .engineStopped, workflowID: "", name: "", time: time).record())
            stopsWritten += 1
        }
        try await flush()
        try await log.close()
    }
}
