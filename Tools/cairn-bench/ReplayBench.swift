import Cairn
import CairnLog

/// `replay`: how fast the determinism checker replays recorded histories (`WorkflowEngine.replay`, what
/// `CairnTesting.Replayer` runs in CI).
///
/// n workflows of ten steps each (`TenSteps`) are recorded with durability `.never`, then the whole log is
/// replayed against the same code in strict mode: every operation is matched with its record and returns the
/// recorded result; nothing runs live or is written. Timed: the replay, reading of the log included.
/// per_sec = recorded operations replayed per second (target ≥ 100,000). `read_s`: the part spent reading the log
/// and rebuilding the histories (a replay of no workflow).
enum ReplayBench {
    static let target = 100_000.0

    static func run(_ context: BenchContext) async throws {
        let workflows = context.n
        let directory = context.path("replay")
        defer { context.remove(directory) }
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: EngineBenchmarks.configuration(.never), workflows: [TenSteps.self])
        _ = try await EngineBenchmarks.whileRunning(engine) { engine in
            try await EngineBenchmarks.startAllAndWait(
                TenSteps.self, engine, count: workflows, prefix: "replay", expect: TenSteps.expected)
        }

        // The part that only reads the log and rebuilds the projection (no workflow chosen): for the split.
        let readStart = Stopwatch.now()
        _ = try await WorkflowEngine.replay(directory: directory, workflows: [TenSteps.self], ids: [])
        let readSeconds = Stopwatch.now() - readStart

        let start = Stopwatch.now()
        let cpu = CPUClock.now()
        let results = try await WorkflowEngine.replay(directory: directory, workflows: [TenSteps.self])
        let seconds = Stopwatch.now() - start
        let cpuSeconds = CPUClock.now() - cpu
        guard results.count == workflows, results.allSatisfy(\.isClean) else {
            let bad = results.first { !$0.isClean }.map(\.description) ?? "\(results.count) of \(workflows) replayed"
            throw BenchError("replay: not every workflow replayed clean: \(bad)")
        }
        var counted = context
        counted.n = results.reduce(0) { $0 + $1.operationsReplayed }
        var line = counted.line("replay", seconds: seconds)
        line["unit"] = "operations/s"
        line["workflows"] = .int(workflows)
        line["cpu_s"] = .number(cpuSeconds)
        line["read_s"] = .number(readSeconds)
        line["target_per_sec"] = .number(target, places: 0)
        context.emit(line)
    }
}

/// `replay`: ten steps in a row, each adding one.
struct TenSteps: Workflow {
    static let name = "bench-ten-steps"

    static func expected(_ x: Int) -> Int { x + 10 }

    static func run(_ context: WorkflowContext, input x: Int) async throws -> Int {
        var value = x
        for i in 0..<10 {
            let current = value
            value = try await context.step("step-\(i)") { current + 1 }
        }
        return value
    }
}
