import Cairn
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `recovery`, as DBOS's bench does it: a child process (``ChildProcess``) starts n `ParkInReceive` workflows, waits until each has its step's outcome and its receive's deadline
/// durable, says READY and is SIGKILLed. Then this process opens the engine on the same directory and times, from
/// the start of `WorkflowEngine.open`:
///
/// - `open_s`: `open` returning (the projection rebuilt from the log);
/// - `recovered_s`: every workflow back in its receive — waiting as a record (`waiting_at_recovery`; it replays when
///   its message comes) or, replayed, in memory (`cached_at_recovery`) — polled through ``WorkflowEngine/activity``;
///   `run()` first records a recovery attempt for each workflow that runs code at once (none here: each waits);
/// - `sent_s`: one `send("go")` to each, all sent at once (group commit shares their syncs), all returned;
/// - `seconds`: every result back. p50/p99: open → each result.
///
/// `steps_rerun` counts step bodies executed again in this process: 0 when every outcome was replayed. `cpu_s`:
/// this process's CPU time from the open to the last result.
enum RecoveryBench {
    static let target = 1.0

    static func run(_ context: BenchContext) async throws {
        let n = context.n
        let directory = context.path("engine-recovery")
        defer { context.remove(directory) }

        let fillStart = Stopwatch.now()
        let child = try ChildProcess.fillAndKill("recovery", directory: directory, workflows: n)
        context.note("recovery: child \(child) parked \(n) workflows and was killed")
        let fillSeconds = Stopwatch.now() - fillStart

        BenchProbe.reset()
        let start = Stopwatch.now()
        let cpuStart = CPUClock.now()
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: EngineBenchmarks.configuration(), workflows: BenchWorkflows.all)
        let opened = Stopwatch.now() - start
        let times = try await EngineBenchmarks.whileRunning(engine) { engine in
            let activity = try await WaitingBench.waitUntilWaiting(engine, n)
            let recovered = Stopwatch.now() - start
            let (sentAt, doneAt) = try await withThrowingTaskGroup(of: (Double, Double).self) { group in
                for i in 0..<n {
                    group.addTask {
                        let id = "rec-\(i)"
                        try await engine.send("go", to: id, topic: ParkInReceive.topic)
                        let sent = Stopwatch.now()
                        let result = try await engine.handle(for: id, of: ParkInReceive.self).result()
                        guard result == i + 1 else { throw BenchError("workflow \(id) returned \(result), not \(i + 1)") }
                        return (sent, Stopwatch.now())
                    }
                }
                var sent: [Double] = []
                var done: [Double] = []
                for try await (s, d) in group {
                    sent.append(s)
                    done.append(d)
                }
                return (sent, done)
            }
            return (
                recovered: recovered, activity: activity, sent: sentAt.max()! - start, done: doneAt.map { $0 - start },
                cpu: CPUClock.now() - cpuStart
            )
        }
        let probe = BenchProbe.snapshot
        var line = EngineBenchmarks.Run(seconds: times.done.max()!, latencies: times.done, cpu: times.cpu)
            .line(context, "recovery")
        line["open_s"] = .number(opened)
        line["recovered_s"] = .number(times.recovered)
        line["waiting_at_recovery"] = .int(times.activity.waiting)
        line["cached_at_recovery"] = .int(times.activity.cached)
        line["sent_s"] = .number(times.sent)
        line["steps_rerun"] = .int(probe.stepRuns)
        line["target_recovered_s"] = .number(target)
        line["fill_s"] = .number(fillSeconds)
        context.emit(line)
    }

    /// The child's side: start `workflows` workflows, wait until every one has recorded its step and its
    /// receive's deadline (two operations in its history: both durable, as the projection only applies what the
    /// log synced), print READY and wait to be killed (exiting if the parent goes away first).
    static func child(directory: String, workflows n: Int) async throws -> Never {
        try await ChildProcess.fillThenWaitForKill(directory: directory, workflows: n, operations: 2, poll: .milliseconds(5)) {
            engine, i in _ = try await engine.start(ParkInReceive.self, input: i, id: "rec-\(i)")
        }
    }
}
