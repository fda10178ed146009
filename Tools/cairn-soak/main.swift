// cairn-soak: kills a loaded engine over and over and checks every acknowledgement it gave.
//
//   cairn-soak [--long] [--kills N] [--workflows N] [--steps N] [--messages N] [--seed N] [--directory DIR]
//              [--testhost PATH] [--concurrent-same-key]
//
// Runs `cairn-testhost engine-soak` (a workflow engine working through a stream of workflows: starts, steps,
// keyed sends and receives, every acknowledgement one line on stdout) on one directory, SIGKILLs it at a random
// moment, restarts it on the same directory, N times (default 20; --long: 1,000), then lets a last life finish
// every workflow. Then it checks, from the lines of every life in order:
//   - each acknowledged start has a result;
//   - no step body ran again once its result was acknowledged (by the next step's body, or the result);
//   - each acknowledged step result is what the workflow's result holds;
//   - each workflow received each of its messages exactly once (they are re-sent with the same key in every life;
//     with --concurrent-same-key each time as two different messages sent concurrently with that key, of which
//     exactly one must be received — issue 9 item 1);
//   - no workflow failed or was parked, and the reopened engine lists every workflow as completed.
// Prints the figures and exits 0, or prints every violation and exits 1 (keeping the directory).
import Cairn
import CairnLog
import CairnTestSupport
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Options {
    var kills = 20
    var workflows = 200
    var steps = 4
    var messages = 2
    var seed = UInt64(UInt32.random(in: 0...UInt32.max))
    var directory: String?
    var concurrentSameKey = false
    var testhost = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("cairn-testhost").path

    init(_ arguments: ArraySlice<String>) throws {
        var rest = arguments
        func value(_ name: String) throws -> String {
            guard let v = rest.popFirst() else { throw UsageError(message: "\(name) needs a value") }
            return v
        }
        func number(_ name: String) throws -> Int {
            guard let n = Int(try value(name)), n >= 0 else { throw UsageError(message: "\(name) needs a number ≥ 0") }
            return n
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--long":
                kills = 1000
                workflows = 500
            case "--kills": kills = try number(argument)
            case "--workflows": workflows = max(1, try number(argument))
            case "--steps": steps = max(1, try number(argument))
            case "--messages": messages = try number(argument)
            case "--seed": seed = UInt64(try number(argument))
            case "--directory": directory = try value(argument)
            case "--testhost": testhost = try value(argument)
            case "--concurrent-same-key": concurrentSameKey = true
            case "-h", "--help": throw UsageError(message: "")
            default: throw UsageError(message: "unknown argument '\(argument)'")
            }
        }
    }
}

struct UsageError: Error {
    var message: String
}

/// What the lives said, in order, and the rules their lines must keep.
struct Ledger {
    var started: Set<String> = []
    var sends = 0
    var sent: Set<String> = []
    var lastRan: [String: [Int: Int]] = [:]
    var acked: [String: [Int: Int]] = [:]
    var results: [String: String] = [:]
    var stepRuns = 0
    var violations: [String] = []
    let steps: Int
    let messages: Int

    init(steps: Int, messages: Int) {
        self.steps = steps
        self.messages = messages
    }

    mutating func take(_ line: Substring, life: Int) {
        let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
        func violation(_ text: String) { violations.append("life \(life): \(text) (line: \(line))") }
        switch parts.first {
        case "started"? where parts.count == 2:
            started.insert(parts[1])
        case "sent"? where parts.count == 3:
            sends += 1
            sent.insert(parts[1] + "/" + parts[2])
        case "ran"? where parts.count == 4:
            guard let k = Int(parts[2]), let value = Int(parts[3]) else { return violation("unreadable") }
            let id = parts[1]
            stepRuns += 1
            if acked[id]?[k] != nil || results[id] != nil {
                violation("step \(k) of \(id) ran again after its result was acknowledged")
            }
            lastRan[id, default: [:]][k] = value
        case "ack"? where parts.count == 4:
            guard let k = Int(parts[2]), let value = Int(parts[3]) else { return violation("unreadable") }
            let id = parts[1]
            if let before = acked[id]?[k], before != value { violation("step \(k) of \(id) acknowledged as \(before), now \(value)") }
            if lastRan[id]?[k] != value {
                violation("step \(k) of \(id) acknowledged as \(value), but its last run returned \(lastRan[id]?[k].map(String.init) ?? "nothing")")
            }
            acked[id, default: [:]][k] = value
        case "result"? where parts.count == 3:
            let id = parts[1]
            if let before = results[id], before != parts[2] { violation("\(id) completed with \(before) before, now \(parts[2])") }
            results[id] = parts[2]
            let halves = parts[2].split(separator: "|", omittingEmptySubsequences: false)
            let values = halves[0].split(separator: ",").compactMap { Int($0) }
            // "w-I/J*" is the other message of a concurrent same-key pair: either may be the one delivered.
            let received = halves.count > 1 ? halves[1].split(separator: ",").map { String($0.prefix { $0 != "*" }) } : []
            if values.count != max(steps, messages) { violation("\(id) has \(values.count) step values") }
            for (k, value) in values.enumerated() {
                if let a = acked[id]?[k], a != value { violation("\(id) step \(k) was acknowledged as \(a) but its result says \(value)") }
                if lastRan[id]?[k] != value {
                    violation("\(id) step \(k) is \(value) in its result, but its last run returned \(lastRan[id]?[k].map(String.init) ?? "nothing")")
                }
            }
            let expected = (0..<messages).map { "\(id)/\($0)" }
            if received.sorted() != expected.sorted() {
                violation("\(id) received \(received), expected each of \(expected) exactly once")
            }
        case "opened"?, "all"?:
            break
        case "error"?, "fatal"?:
            violation("the engine reported a failure")
        default:
            // A life killed mid-write cannot leave a half line (one write(2) per line); anything else is a bug.
            violation("unexpected line")
        }
    }
}

/// A child life: the host process writing its lines to a file.
final class Life {
    let process = Process()
    let output: String

    init(_ options: Options, directory: String, first: Int, count: Int, life: Int) throws {
        output = "\(directory)-lives/life-\(life).out"
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
        guard fd >= 0 else { throw UsageError(message: "cannot create \(output): errno \(errno)") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        process.executableURL = URL(fileURLWithPath: options.testhost)
        process.arguments = ["engine-soak", directory, "\(first)", "\(count)", "\(options.steps)", "\(options.messages)", "32"]
            + (options.concurrentSameKey ? ["pairs"] : [])
        process.standardOutput = handle
        process.standardError = FileHandle.standardError
        try process.run()
    }

    var text: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

    /// Waits (polling the file) until `condition` holds for the output, the process exits, or `timeout` passes.
    func wait(for timeout: Duration, until condition: (String) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(text) { return true }
            if !process.isRunning { return condition(text) }
            usleep(2_000)
        }
        return false
    }

    func kill() {
        if process.isRunning { Platform.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

func run(_ options: Options) async throws -> Bool {
    guard FileManager.default.isExecutableFile(atPath: options.testhost) else {
        throw UsageError(message: "no cairn-testhost at \(options.testhost); build it (swift build) or pass --testhost")
    }
    let directory = options.directory
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("cairn-soak-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory + "-lives", withIntermediateDirectories: true)
    var random = SeededGenerator(seed: options.seed)  // the kill moments follow from the seed
    var ledger = Ledger(steps: options.steps, messages: options.messages)
    var count = options.workflows
    var first = 0
    let started = ContinuousClock.now
    print("cairn-soak: seed \(options.seed), \(options.kills) kills, directory \(directory)")

    func feed(_ life: Life, _ number: Int) {
        let text = life.text
        // Only whole lines: a line is written by one write(2), so a kill leaves none half written.
        guard let end = text.lastIndex(of: "\n") else { return }
        for line in text[...end].split(separator: "\n") { ledger.take(line, life: number) }
        if text[text.index(after: end)...].isEmpty == false { ledger.violations.append("life \(number): a half-written line") }
    }

    for number in 0..<options.kills {
        // Workflows before the first without a result are done: a life starts at that one.
        while ledger.results["w-\(first)"] != nil { first += 1 }
        let life = try Life(options, directory: directory, first: first, count: count, life: number)
        if Int.random(in: 0..<5, using: &random) == 0 {
            // Sometimes while it opens and recovers.
            usleep(UInt32.random(in: 0..<100_000, using: &random))
        } else {
            _ = life.wait(for: .seconds(120)) { $0.contains("opened\n") }
            usleep(UInt32.random(in: 0..<300_000, using: &random))
        }
        let done = life.text.contains("all done\n")
        life.kill()
        feed(life, number)
        // Keep a stream of new work: a life that finished everything gets more next time.
        if done { count += options.workflows }
        if (number + 1) % 100 == 0 {
            print("cairn-soak: \(number + 1) kills, \(ledger.results.count) workflows done, \(ContinuousClock.now - started)")
        }
    }
    while ledger.results["w-\(first)"] != nil { first += 1 }
    let last = try Life(options, directory: directory, first: first, count: count, life: options.kills)
    let finished = last.wait(for: .seconds(600)) { $0.contains("all done\n") }
    last.kill()
    feed(last, options.kills)
    if !finished { ledger.violations.append("the last life did not finish every workflow within 10 minutes") }

    for i in 0..<count where ledger.results["w-\(i)"] == nil {
        ledger.violations.append("w-\(i) has no result\(ledger.started.contains("w-\(i)") ? " though its start was acknowledged" : "")")
    }
    // The log as a new process sees it.
    var configuration = EngineConfiguration()
    configuration.logger.logLevel = .warning
    let engine = try await WorkflowEngine.open(directory: directory, configuration: configuration)
    let completed = engine.list(status: [.completed]).count
    if completed != count { ledger.violations.append("the reopened engine lists \(completed) completed workflows of \(count)") }

    print(
        "cairn-soak: \(options.kills) kills, \(count) workflows (\(ledger.started.count) starts acknowledged), \(ledger.stepRuns) step runs, \(ledger.acked.values.reduce(0) { $0 + $1.count }) step results acknowledged by the next step, \(ledger.sent.count) messages sent (\(ledger.sends) sends with their keys acknowledged), \(count * options.messages) messages delivered once each, in \(ContinuousClock.now - started)"
    )
    if ledger.violations.isEmpty {
        print("cairn-soak: no losses, no step run after its acknowledgement, every message delivered exactly once")
        if options.directory == nil {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: directory + "-lives")
        }
        return true
    }
    print("cairn-soak: \(ledger.violations.count) violation(s); directory kept: \(directory)")
    for v in ledger.violations.prefix(50) { print("  \(v)") }
    return false
}

do {
    let options = try Options(CommandLine.arguments.dropFirst())
    exit(try await run(options) ? 0 : 1)
} catch let error as UsageError {
    FileHandle.standardError.write(Data("""
        \(error.message.isEmpty ? "" : "cairn-soak: \(error.message)\n")usage: cairn-soak [--long] [--kills N] [--workflows N] [--steps N] [--messages N] [--seed N] [--directory DIR] [--testhost PATH] [--concurrent-same-key]

        """.utf8))
    exit(2)
} catch {
    print("cairn-soak: \(error)")
    exit(1)
}
