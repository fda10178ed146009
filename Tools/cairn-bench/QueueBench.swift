import Cairn
import CairnLog
import Synchronization

/// `queue`: n × `ThreeSteps` started at once on one queue of concurrency 100, durability `.always`, all awaited:
/// workflows/s, submit → result latency, and the dispatch latency — from a slot freeing (the commit that settles a
/// queued workflow, applied) to the next workflow started there (its dequeue durable, the workflow scheduled) —
/// as the engine measures it (`cairn_queue_dispatch_duration`).
enum QueueBench {
    static let concurrency = 100

    static func run(_ context: BenchContext) async throws {
        let n = context.n
        let latencies = Mutex<[Double]>([])
        var configuration = EngineBenchmarks.configuration(.always)
        configuration.queues = [WorkflowQueue("bench", concurrency: concurrency)]
        configuration._dispatchObserver = { latency in
            let (s, a) = latency.components
            latencies.withLock { $0.append(Double(s) + Double(a) * 1e-18) }
        }
        let directory = context.path("engine-queue")
        defer { context.remove(directory) }
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: configuration, workflows: BenchWorkflows.all)
        let options = StartOptions(queue: "bench")
        let run = try await EngineBenchmarks.whileRunning(engine) { engine in
            _ = try await EngineBenchmarks.startAllAndWait(
                ThreeSteps.self, engine, count: EngineBenchmarks.warmUp, prefix: "warm", options: options,
                expect: ThreeSteps.expected)
            latencies.withLock { $0 = [] }
            return try await EngineBenchmarks.startAllAndWait(
                ThreeSteps.self, engine, count: n, prefix: "queued", options: options, expect: ThreeSteps.expected)
        }
        var line = run.line(context, "queue")
        let dispatch = latencies.withLock { $0 }.sorted()
        line["queue_concurrency"] = .int(concurrency)
        line["dispatches"] = .int(dispatch.count)
        if !dispatch.isEmpty {
            line["dispatch_p50_ms"] = .number(Percentile.nearestRank(50, of: dispatch) * 1e3, places: 3)
            line["dispatch_p99_ms"] = .number(Percentile.nearestRank(99, of: dispatch) * 1e3, places: 3)
        }
        line["target_per_sec"] = .number(10_000, places: 0)
        line["target_dispatch_p50_ms"] = 1.0
        context.emit(line)
    }
}
