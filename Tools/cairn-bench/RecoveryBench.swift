import Cairn
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `recovery`, as DBOS's bench does it: a child process (this executable, in its hidden `--child-recovery DIR N`
/// mode) starts n `ParkInReceive` workflows, waits until each has its step's outcome and its receive's deadline
/// durable, says READY and is SIGKILLed. Then this process opens the engine on the same directory and times, from
/// the start of `WorkflowEngine.open`:
///
/// - `open_s`: `open` returning (the projection rebuilt from the log);
/// - `first_back_s`, `recovered_s`: the first / every workflow's body back past its (replayed) step, about to wait
///   in its receive again (reported by the body through ``BenchProbe``; `run()` first records one recovery
///   attempt per workflow, durably);
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
        try crashChild(directory: directory, workflows: n, context)
        let fillSeconds = Stopwatch.now() - fillStart

        BenchProbe.reset()
        let start = Stopwatch.now()
        let cpuStart = CPUClock.now()
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: EngineBenchmarks.configuration(), workflows: BenchWorkflows.all)
        let opened = Stopwatch.now() - start
        let times = try await EngineBenchmarks.whileRunning(engine) { engine in
            try await waitUntilEntered(n)
            let recovered = Stopwatch.now() - start
            let (sentAt, doneAt) = try await withThrowingTaskGroup(of: (Double, Double).self) { group in
                for i in 0..<n {
                    group.addTask {
                        let id = "rec-\(i)"
                        try await engine.send("go", to: id, topic: ParkInReceive.topic)
                        let sent = Stopwatch.now()
                        let result = try await engine.handle(for: id, output: Int.self).result()
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
                recovered: recovered, sent: sentAt.max()! - start, done: doneAt.map { $0 - start },
                cpu: CPUClock.now() - cpuStart
            )
        }
        let probe = BenchProbe.snapshot
        var line = EngineBenchmarks.Run(seconds: times.done.max()!, latencies: times.done, cpu: times.cpu)
            .line(context, "recovery")
        line["open_s"] = .number(opened)
        line["first_back_s"] = .number((probe.firstEntered ?? start) - start)
        line["recovered_s"] = .number(times.recovered)
        line["sent_s"] = .number(times.sent)
        line["steps_rerun"] = .int(probe.stepRuns)
        line["target_recovered_s"] = .number(target)
        line["fill_s"] = .number(fillSeconds)
        context.emit(line)
    }

    /// Polls the probe until `n` bodies are back in their receive; fails after 120 s without progress.
    private static func waitUntilEntered(_ n: Int) async throws {
        var last = 0
        var lastProgress = Stopwatch.now()
        while true {
            let entered = BenchProbe.snapshot.entered
            if entered >= n { return }
            if entered != last {
                (last, lastProgress) = (entered, Stopwatch.now())
            } else if Stopwatch.now() - lastProgress > 120 {
                throw BenchError("recovery: only \(entered) of \(n) workflows came back, none for 120 s")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Runs the child that parks `workflows` workflows in `directory`, waits for its READY and SIGKILLs it.
    private static func crashChild(directory: String, workflows: Int, _ context: BenchContext) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath())
        process.arguments = ["--workload", "recovery", "--child-recovery", directory, String(workflows)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let line = readLine(pipe.fileHandleForReading.fileDescriptor)
        kill(process.processIdentifier, SIGKILL)  // a hard crash: no shutdown, nothing flushed
        process.waitUntilExit()
        guard line == "READY" else {
            throw BenchError("recovery: the child process failed before READY (said \(line.debugDescription))")
        }
        context.note("recovery: child \(process.processIdentifier) parked \(workflows) workflows and was killed")
    }

    /// The child's side: start `workflows` workflows, wait until every one has recorded its step and its
    /// receive's deadline (two operations in its history: both durable, as the projection only applies what the
    /// log synced), print READY and wait to be killed (exiting if the parent goes away first).
    static func child(directory: String, workflows n: Int) async throws -> Never {
        let parent = getppid()
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: EngineBenchmarks.configuration(), workflows: BenchWorkflows.all)
        let runner = Task { try await engine.run() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<n {
                group.addTask { _ = try await engine.start(ParkInReceive.self, input: i, id: "rec-\(i)") }
            }
            try await group.waitForAll()
        }
        while engine.list(status: [.running]).lazy.filter({ $0.historyCount >= 2 }).count < n {
            try await Task.sleep(for: .milliseconds(5))
        }
        Console.printLine("READY", to: STDOUT_FILENO)
        while getppid() == parent { try await Task.sleep(for: .milliseconds(200)) }
        _ = runner
        exit(1)
    }

    /// This executable's path (the child is the same binary).
    private static func executablePath() -> String {
        #if canImport(Glibc)
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if count > 0 { return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        #endif
        return CommandLine.arguments[0]
    }

    /// Reads up to a newline (or EOF) from `descriptor`, without the newline.
    private static func readLine(_ descriptor: Int32) -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(descriptor, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
