import Cairn
import CairnLog
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The in-process twin of `host-steps` in Tools/cairn-testhost/EngineModes.swift: same name, same input, same step
/// names, so it resumes what the killed process started. It counts the step bodies run in this process.
struct HostSteps: Workflow {
    static let name = "host-steps"

    struct Input: Codable, Sendable {
        var steps: Int
    }

    /// Step bodies run in this process, by "ID K".
    static let runs = Mutex<[String: Int]>([:])

    static func run(_ context: WorkflowContext, input: Input) async throws -> [Int] {
        let id = context.workflowID
        var values: [Int] = []
        for k in 0..<input.steps {
            values.append(try await context.step("step-\(k)") {
                HostSteps.runs.withLock { $0["\(id) \(k)", default: 0] += 1 }
                return Int.random(in: 0..<1_000_000_000)
            })
        }
        return values
    }
}

/// The in-process twin of `host-retries` in Tools/cairn-testhost/EngineModes.swift; counts its attempts here.
struct HostRetries: Workflow {
    static let name = "host-retries"

    /// Attempts made in this process, by workflow ID.
    static let attempts = Mutex<[String: Int]>([:])

    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let id = context.workflowID
        let policy = RetryPolicy(maxAttempts: input, initialInterval: .seconds(3600), backoffRate: 1, maxInterval: .seconds(3600))
        do {
            return try await context.step("call", retry: policy) { () -> Int in
                HostRetries.attempts.withLock { $0[id, default: 0] += 1 }
                throw ServiceUnreachable(attempt: 0)
            }
        } catch is StepFailure {
            return -1
        }
    }
}

/// `cairn-testhost` as a child process, its standard output collected as it comes (without waiting for end of
/// file: a child another test starts at the same moment can inherit this pipe's write end).
final class EngineHost: @unchecked Sendable {
    // @unchecked: `process` and `pipe` are set up in init and then only read; the output is behind a Mutex.
    private let process = Process()
    private let pipe = Pipe()
    private let output = Mutex<[UInt8]>([])

    static var path: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cairn-testhost").path
    }

    init(_ arguments: [String]) throws {
        let path = Self.path
        try #require(FileManager.default.isExecutableFile(atPath: path), "cairn-testhost is built next to the test bundle")
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        let fd = pipe.fileHandleForReading.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        try process.run()
    }

    deinit {
        if process.isRunning { _ = kill(process.processIdentifier, SIGKILL) }
    }

    private func drain() {
        let fd = pipe.fileHandleForReading.fileDescriptor
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        output.withLock { bytes in
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
        }
    }

    /// The complete lines printed so far.
    var lines: [String] {
        drain()
        let bytes = output.withLock { $0 }
        guard let end = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        return String(decoding: bytes[...end], as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Waits until the lines satisfy `condition` (failing if the child exits first).
    func waitFor(_ what: String, _ condition: @escaping ([String]) -> Bool) async throws {
        try await eventually(what) {
            let lines = self.lines
            if let error = lines.first(where: { $0.hasPrefix("error") }) { throw TimedOut(what: "\(what): the host said \(error)") }
            if !self.process.isRunning && !condition(lines) { throw TimedOut(what: "\(what): the host exited") }
            return condition(lines)
        }
    }

    /// SIGKILLs the child and waits until it is gone; returns everything it printed.
    func killAndWait() async throws -> [String] {
        _ = kill(process.processIdentifier, SIGKILL)
        try await eventually("cairn-testhost to exit") { !self.process.isRunning }
        return lines
    }
}

@Suite("Crash of a real process (SIGKILL)")
struct ProcessCrashTests {
    /// What the killed process said it did.
    struct Said {
        var entered: [String: Set<Int>] = [:]
        var done: [String: [Int: Int]] = [:]

        init(_ lines: [String]) {
            for line in lines {
                let parts = line.split(separator: " ").map(String.init)
                if parts.count == 3, parts[0] == "enter", let k = Int(parts[2]) { entered[parts[1], default: []].insert(k) }
                if parts.count == 4, parts[0] == "done", let k = Int(parts[2]), let v = Int(parts[3]) { done[parts[1], default: [:]][k] = v }
            }
        }
    }

    /// Kills the host where `killPoint` says, then finishes every workflow in this process and checks that no
    /// recorded step ran again, that what the host printed as entered implies what must be durable, and that
    /// recorded values were reused.
    func killAndRecover(count: Int, steps: Int, hang: Int?, _ killPoint: String, _ condition: @escaping ([String]) -> Bool) async throws {
        try await withDirectory("process-crash") { dir in
            let prefix = "w\(UUID().uuidString.prefix(8))"
            var arguments = ["engine-run", dir, prefix, "\(count)", "\(steps)"]
            if let hang { arguments.append("\(hang)") }
            let host = try EngineHost(arguments)
            try await host.waitFor(killPoint, condition)
            let said = Said(try await host.killAndWait())

            // What the log holds after the kill.
            let engine = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: [HostSteps.self])
            let ids = (0..<count).map { "\(prefix)-\($0)" }
            var recorded: [String: [Int: Int]] = [:]
            for id in ids {
                guard engine.summary(of: id) != nil else { continue }  // its start was not acknowledged yet
                for event in try await operations(engine, id) where event.kind == .stepCompleted {
                    let k = try #require(Int(event.name.dropFirst("step-".count)))
                    recorded[id, default: [:]][k] = try decodePayload(Int.self, event.payload)
                }
            }
            for id in ids {
                // The commit rule, checked on disk: a step's body starts only after every earlier outcome is durable.
                if let highest = said.entered[id]?.max(), highest > 0 {
                    for k in 0..<highest {
                        #expect(recorded[id]?[k] != nil, "\(id): step \(k + 1) started, so step \(k) must be in the log")
                    }
                }
                // A recorded value is the one the host computed.
                for (k, value) in recorded[id] ?? [:] {
                    #expect(said.done[id]?[k] == value, "\(id) step \(k)")
                }
                if let hang, engine.summary(of: id) != nil {
                    #expect(recorded[id]?[hang] == nil)
                }
            }

            // Finish in this process.
            let runner = Task { try await engine.run() }
            var outputs: [String: [Int]] = [:]
            for id in ids {
                if engine.summary(of: id) == nil {
                    _ = try await engine.start(HostSteps.self, input: HostSteps.Input(steps: steps), id: id)
                }
                outputs[id] = try await result(engine.handle(for: id, of: HostSteps.self))
            }
            await engine.shutdown()
            try await runner.value

            let runs = HostSteps.runs.withLock { $0 }
            for id in ids {
                #expect(outputs[id]?.count == steps)
                for k in 0..<steps {
                    let here = runs["\(id) \(k)"] ?? 0
                    if let value = recorded[id]?[k] {
                        #expect(here == 0, "\(id) step \(k) was recorded before the kill but ran again")
                        #expect(outputs[id]?[k] == value)
                    } else {
                        #expect(here == 1, "\(id) step \(k) was not recorded, so it runs exactly once more (ran \(here))")
                    }
                }
            }
        }
    }

    @Test("SIGKILL inside each step of a workflow", arguments: 0..<4)
    func killInsideStep(_ hang: Int) async throws {
        try await killAndRecover(count: 1, steps: 4, hang: hang, "the host to hang in step \(hang)") { lines in
            lines.contains { $0.hasPrefix("hang ") }
        }
    }

    @Test("SIGKILL at arbitrary points of many concurrent workflows", arguments: [1, 9, 23, 40])
    func killWhileRunning(_ afterDone: Int) async throws {
        try await killAndRecover(count: 8, steps: 6, hang: nil, "\(afterDone) steps done") { lines in
            lines.count { $0.hasPrefix("done ") } >= afterDone
        }
    }

    @Test("SIGKILL during a step's wait between attempts: the restart waits to the recorded deadline, then makes only the attempts left")
    func killDuringRetryWait() async throws {
        try await withDirectory("process-crash") { dir in
            let id = "r\(UUID().uuidString.prefix(8))"
            let host = try EngineHost(["engine-retry", dir, id, "2"])
            try await host.waitFor("the first retry wait durable") { $0.contains("waiting \(id)") }
            let said = try await host.killAndWait()
            #expect(said.filter { $0 == "attempt \(id)" }.count == 1)

            // The log holds the wait: its deadline, an hour after the failed attempt.
            let reader = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: [HostRetries.self])
            let recorded = try await operations(reader, id)
            await reader.shutdown()
            #expect(recorded.map(\.kind) == [.retryWaitStarted])
            let deadline = try #require(recorded.first?.deadline)

            // Reopened a minute before the deadline: it waits for that deadline, running nothing until then.
            let clock = ManualClock(start: deadline - 60_000_000_000)
            let running = try await RunningEngine.start(dir, [HostRetries.self], configuration: testConfiguration(clock: clock))
            try await clock.waitForSleeper(until: deadline)
            #expect(HostRetries.attempts.withLock { $0[id] } == nil)
            clock.advance(to: deadline)
            #expect(try await result(running.engine.handle(for: id, of: HostRetries.self)) == -1)
            #expect(HostRetries.attempts.withLock { $0[id] } == 1, "two attempts in all: one before the kill, one after")
            #expect(try await operations(running.engine, id).map(\.kind) == [.retryWaitStarted, .stepFailed])
            try await running.shutdown()
        }
    }

    @Test("SIGKILL after every workflow finished: nothing runs again")
    func killAfterFinishing() async throws {
        try await killAndRecover(count: 3, steps: 3, hang: nil, "all done") { $0.contains("all done") }
        // (killAndRecover checks that recorded steps do not run again; all of them are recorded here)
    }
}
