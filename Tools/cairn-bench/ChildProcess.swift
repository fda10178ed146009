import Cairn
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fill run in a child process (this executable, in its hidden `--child NAME DIR N` mode), so that what the fill
/// costs — memory, tasks, threads — does not count in the process that is measured afterwards.
///
/// The child fills DIR, prints READY once what it wrote is durable, and is SIGKILLed: a hard crash, no shutdown,
/// nothing flushed, so the parent measures the engine's real recovery path.
enum ChildProcess {
    /// Runs this executable as the `name` child on `directory` with `workflows`, waits for its READY and SIGKILLs it.
    /// Returns the child's process id.
    @discardableResult
    static func fillAndKill(_ name: String, directory: String, workflows: Int) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath())
        process.arguments = ["--workload", name, "--child", name, directory, String(workflows)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let line = readLine(pipe.fileHandleForReading.fileDescriptor)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        guard line == "READY" else {
            throw BenchError("\(name): the child process failed before READY (said \(line.debugDescription))")
        }
        return process.processIdentifier
    }

    /// The child's side: opens the engine on `directory`, starts `n` workflows with `start(engine, i)`, waits
    /// until each has `operations` operations in its history (durable: the projection only applies what the log
    /// synced; polled every `poll`, as each poll lists every workflow), then ``readyThenWaitForKill(parent:)``.
    static func fillThenWaitForKill(
        directory: String, workflows n: Int, operations: Int, poll: Duration,
        start: @escaping @Sendable (WorkflowEngine, Int) async throws -> Void
    ) async throws -> Never {
        let parent = getppid()
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: EngineBenchmarks.configuration(), workflows: BenchWorkflows.all)
        let runner = Task { try await engine.run() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<n { group.addTask { try await start(engine, i) } }
            try await group.waitForAll()
        }
        while engine.list(status: [.running]).lazy.filter({ $0.historyCount >= operations }).count < n {
            try await Task.sleep(for: poll)
        }
        _ = runner  // runs until the kill
        try await readyThenWaitForKill(parent: parent)
    }

    /// The child's side, once its fill is durable: prints READY and waits to be killed, exiting if the parent goes
    /// away first (so no orphan outlives a failed bench).
    static func readyThenWaitForKill(parent: pid_t) async throws -> Never {
        Console.printLine("READY", to: STDOUT_FILENO)
        while getppid() == parent { try await Task.sleep(for: .milliseconds(200)) }
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
