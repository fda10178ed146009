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
            _ = try await startAllAndWait(engine, count: EngineBenchmarks.warmUp, prefix: "warm", options: options)
            latencies.withLock { $0 = [] }
            return try await startAllAndWait(engine, count: n, prefix: "queued", options: options)
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

    /// Starts `count` workflows on the queue at once, each in its own task, and waits for all their results.
    private static func startAllAndWait(
        _ engine: WorkflowEngine, count: Int, prefix: String, options: StartOptions
    ) async throws -> EngineBenchmarks.Run {
        let start = Stopwatch.now()
        let cpu = CPUClock.now()
        let latencies = try await withThrowingTaskGroup(of: Double.self) { group in
            for i in 0..<count {
                let submitted = Stopwatch.now()
                group.addTask {
                    let id = "\(prefix)-\(i)"
                    let result = try await engine.start(ThreeSteps.self, input: i, id: id, options: options).result()
                    guard result == ThreeSteps.expected(i) else {
                        throw BenchError("workflow \(id) returned \(result), not \(ThreeSteps.expected(i))")
                    }
                    return Stopwatch.now() - submitted
                }
            }
            var latencies: [Double] = []
            latencies.reserveCapacity(count)
            for try await latency in group { latencies.append(latency) }
            return latencies
        }
        return EngineBenchmarks.Run(seconds: Stopwatch.now() - start, latencies: latencies, cpu: CPUClock.now() - cpu)
    }
}
