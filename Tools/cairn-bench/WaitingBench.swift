import Cairn
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `waiting` (issue #11's workload): n workflows in a durable wait, recovered in a fresh process, then all woken.
///
/// A child process (``ChildProcess``) starts n workflows through the engine, the even ones a ``WaitInSleep`` (a
/// sleep an hour long), the odd ones a ``WaitInReceive`` (a receive without a timeout), waits until every wait is
/// recorded durably (`sleepStarted`, `receiveStarted`) and is SIGKILLed: the log a crash leaves, and no shutdown
/// of n tasks to pay for in the fill. Then this process, which has not run an engine yet, measures:
///
/// - `open_s`: `WorkflowEngine.open` returning; `recovered_s`: every workflow back in a durable wait — as a record in
///   the waiting room (`waiting_at_recovery`) or, replayed, in memory (`cached_at_recovery`) — both from the start
///   of `open` (``WorkflowEngine/activity``, polled);
/// - `rss_before_mb`, `rss_recovered_mb`, `peak_rss_mb`: resident memory just before `open`, once every workflow is
///   back in its wait, and the process's peak (`VmHWM`); `bytes_per_workflow` = (recovered − before) / n: what a
///   waiting workflow costs (its projection record, its history's bytes, its timer or inbox entry);
/// - `wake_s`, `woken_per_sec`: from the wake-up to every result back — the engine's clock (a ``JumpClock``) jumps
///   two hours, past every sleep's deadline, and one "wake" message is sent to each receiver by a pool of clients
///   (as many as `maxRunningWorkflows`; the sends are durable and share their syncs), which then await every
///   workflow's result through its handle; the time includes the clients' work;
/// - `sleepers_done_s`, `receivers_done_s`: from the wake-up to the last sleeper's / receiver's result, as its client
///   saw it (a client awaits its share in order, so a result may be seen after it came);
/// - `seconds`: from the start of `open` to the last result; `cpu_s`: this process's CPU time over the same span.
///
/// The `target_` fields are the issue's, for n = 1,000,000. Run it alone: the peak is the process's, so a workload
/// run before it in the same process would count.
enum WaitingBench {
    static let targetN = 1_000_000
    static let targetRecoverySeconds = 5.0
    static let targetPeakMegabytes = 2_048
    static let targetBytesPerWorkflow = 2_048
    static let targetWokenPerSecond = 50_000

    static func run(_ context: BenchContext) async throws {
        let n = context.n
        let directory = context.path("engine-waiting")
        defer { context.remove(directory) }

        let fillStart = Stopwatch.now()
        let child = try ChildProcess.fillAndKill("waiting", directory: directory, workflows: n)
        let fillSeconds = Stopwatch.now() - fillStart
        context.note("waiting: child \(child) parked \(n) workflows and was killed")

        let clock = JumpClock()
        var configuration = EngineBenchmarks.configuration()
        configuration.clock = clock
        let residentBefore = ProcessMemory.resident()
        let start = Stopwatch.now()
        let cpuStart = CPUClock.now()
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: configuration, workflows: BenchWorkflows.all)
        let opened = Stopwatch.now() - start
        let times = try await EngineBenchmarks.whileRunning(engine) { engine in
            let activity = try await waitUntilWaiting(engine, n)
            let recovered = Stopwatch.now() - start
            let residentRecovered = ProcessMemory.resident()
            let wakeStart = Stopwatch.now()
            clock.jump(by: 2 * 3_600 * 1_000_000_000)
            // A fixed pool of clients, as a service's request handlers would be, rather than a task per workflow: a
            // million of the bench's own tasks would cost more memory than the million waiting workflows. Client c
            // takes workflows c, c + clients, …: it sends to its receivers, then awaits its workflows' results in
            // order (most are in by then). Unstructured tasks, awaited in order.
            let clients = max(1, min(n, configuration.maxRunningWorkflows))
            let pool = (0..<clients).map { c in
                Task {
                    for i in stride(from: c, to: n, by: clients) where i % 2 == 1 {
                        try await engine.send(WaitInReceive.topic, to: workflowID(i), topic: WaitInReceive.topic)
                    }
                    var lastSleeper = wakeStart, lastReceiver = wakeStart
                    for i in stride(from: c, to: n, by: clients) {
                        let id = workflowID(i)
                        let result = i % 2 == 0
                            ? try await engine.handle(for: id, of: WaitInSleep.self).result()
                            : try await engine.handle(for: id, of: WaitInReceive.self).result()
                        guard result == i else { throw BenchError("workflow \(id) returned \(result), not \(i)") }
                        if i % 2 == 0 { lastSleeper = Stopwatch.now() } else { lastReceiver = Stopwatch.now() }
                    }
                    return (lastSleeper, lastReceiver)
                }
            }
            var lastSleeper = wakeStart, lastReceiver = wakeStart
            for client in pool {
                let (sleeper, receiver) = try await client.value
                lastSleeper = max(lastSleeper, sleeper)
                lastReceiver = max(lastReceiver, receiver)
            }
            let done = Stopwatch.now()
            return (
                recovered: recovered, activity: activity, resident: residentRecovered, wake: done - wakeStart,
                sleepersWoken: lastSleeper - wakeStart, receiversWoken: lastReceiver - wakeStart, done: done - start,
                cpu: CPUClock.now() - cpuStart
            )
        }
        let megabyte = 1_048_576.0
        var line = context.line("waiting", seconds: times.done)
        line["unit"] = "workflows"
        line["sleepers"] = .int((n + 1) / 2)
        line["receivers"] = .int(n / 2)
        line["open_s"] = .number(opened)
        line["recovered_s"] = .number(times.recovered)
        line["waiting_at_recovery"] = .int(times.activity.waiting)
        line["cached_at_recovery"] = .int(times.activity.cached)
        line["wake_s"] = .number(times.wake)
        line["woken_per_sec"] = .number(Double(n) / times.wake, places: 0)
        line["sleepers_done_s"] = .number(times.sleepersWoken)
        line["receivers_done_s"] = .number(times.receiversWoken)
        line["rss_before_mb"] = .number(Double(residentBefore) / megabyte, places: 0)
        line["rss_recovered_mb"] = .number(Double(times.resident) / megabyte, places: 0)
        line["peak_rss_mb"] = .number(Double(ProcessMemory.peak()) / megabyte, places: 0)
        line["bytes_per_workflow"] = .number(Double(times.resident - residentBefore) / Double(n), places: 0)
        line["cpu_s"] = .number(times.cpu)
        line["fill_s"] = .number(fillSeconds)
        line["target_n"] = .int(targetN)
        line["target_recovery_s"] = .number(targetRecoverySeconds, places: 0)
        line["target_peak_mb"] = .int(targetPeakMegabytes)
        line["target_bytes_per_workflow"] = .int(targetBytesPerWorkflow)
        line["target_woken_per_sec"] = .int(targetWokenPerSecond)
        context.emit(line)
    }

    /// The child's side: start `workflows` workflows, half sleeping, half receiving; wait until every one has its
    /// wait in its history (one operation: durable, as the projection only applies what the log synced); print
    /// READY and wait to be killed.
    static func child(directory: String, workflows n: Int) async throws -> Never {
        try await ChildProcess.fillThenWaitForKill(directory: directory, workflows: n, operations: 1, poll: .milliseconds(50)) {
            engine, i in
            if i % 2 == 0 {
                _ = try await engine.start(WaitInSleep.self, input: i, id: workflowID(i))
            } else {
                _ = try await engine.start(WaitInReceive.self, input: i, id: workflowID(i))
            }
        }
    }

    private static func workflowID(_ i: Int) -> String { "wait-\(i)" }

    /// Polls until all `n` workflows are back in a durable wait (waiting as records, or cached), every millisecond.
    static func waitUntilWaiting(_ engine: WorkflowEngine, _ n: Int) async throws -> EngineActivity {
        let deadline = Stopwatch.now() + 600
        while true {
            let activity = engine.activity
            if activity.waiting + activity.cached >= n { return activity }
            guard Stopwatch.now() < deadline else {
                throw BenchError("waiting: only \(activity) of \(n) workflows were back in their waits after 600 s")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
