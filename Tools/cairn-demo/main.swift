// The Cairn demo: a small order-processing service embedding Cairn on a log directory.
//
//  1. A child process (this binary, `--serve`) starts five order workflows and is killed with SIGKILL part-way.
//  2. This process reopens the same log: the engine rebuilds its state, resumes every order by replay, the
//     carrier's pickup messages arrive, and every order finishes from where it stopped.
//  3. It prints the workflows and their statuses, and counts how often each step's body ran.
//
// With `--dashboard` (and `--port N`, 0 for a free one; `--token T` to ask for a token; `--dir PATH` for the log's
// directory) it then keeps running with the HTTP API and the dashboard (DashboardDemo.swift) until SIGINT or SIGTERM.
import Cairn
import CairnLog
import Foundation
import Logging

let arguments = CommandLine.arguments
let quiet = Logger(label: "cairn-demo", factory: { _ in SwiftLogNoOpLogHandler() })

func configuration() -> EngineConfiguration {
    var configuration = EngineConfiguration()
    configuration.logger = quiet
    return configuration
}

/// What this process gives its workflows: the side-effect file under `root`.
func dependencies(_ root: String) -> WorkflowDependencies {
    WorkflowDependencies().with(SideEffectsKey.self, SideEffects(path: root + "/side-effects.txt"))
}

func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

if arguments.count == 3 && arguments[1] == "--serve" {
    // The child: the service before the crash.
    let root = arguments[2]
    let engine = try await WorkflowEngine.open(
        directory: root + "/log", configuration: configuration(), workflows: [ProcessOrder.self],
        dependencies: dependencies(root))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await engine.run() }
        for (i, item) in ["kettle", "teapot", "mugs", "tea", "strainer"].enumerated() {
            let order = Order(id: "order-\(101 + i)", item: item, quantity: 1 + i * 2, cents: 1_250 * (i + 1))
            _ = try await engine.start(ProcessOrder.self, input: order, id: order.id)
        }
        say("started")
        try await group.next()
    }
    exit(0)
}

/// The value after option `name` (`--dir PATH`), if given.
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let dashboard = arguments.contains("--dashboard")
let port = option("--port").map { Int($0) } ?? 8080
guard let port, (0...65535).contains(port) else {
    FileHandle.standardError.write(Data("cairn-demo: --port takes a TCP port (0...65535; 0 picks a free one)\n".utf8))
    exit(2)
}
let root = option("--dir") ?? FileManager.default.temporaryDirectory.appendingPathComponent("cairn-demo").path
try? FileManager.default.removeItem(atPath: root)
try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
let sideEffects = SideEffects(path: root + "/side-effects.txt")  // read here to report; written by the workflows
say("Cairn demo — log directory \(root)/log\n")

// 1. Run the service in a child process and kill it mid-way.
let child = Process()
child.executableURL = URL(fileURLWithPath: arguments[0])
child.arguments = ["--serve", root]
child.standardOutput = FileHandle.nullDevice
try child.run()
let deadline = Date().addingTimeInterval(30)
while sideEffects.lines().count < 7 && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
kill(child.processIdentifier, SIGKILL)
child.waitUntilExit()
let beforeCrash = sideEffects.lines()
say("1. the service ran \(beforeCrash.count) step bodies, then was killed with SIGKILL:")
for line in beforeCrash { say("     \(line)") }

// 2. Restart: reopen the log, resume by replay, deliver the pickups.
let engine = try await WorkflowEngine.open(
    directory: root + "/log", configuration: configuration(), workflows: [ProcessOrder.self], dependencies: dependencies(root))
let pending = engine.list(status: [.pending])
say("\n2. restarted: the log was recovered (\(engine.list().count) workflows, \(pending.count) unfinished); resuming by replay")
var receipts: [Receipt] = []
try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { try await engine.run() }
    for summary in engine.list() {
        try await engine.send("van-7", to: summary.id, topic: "pickup", idempotencyKey: "pickup-\(summary.id)")
    }
    for summary in engine.list() {
        receipts.append(try await engine.handle(for: summary.id, of: ProcessOrder.self).result())
    }
    await engine.shutdown()
    try await group.waitForAll()
}

// 3. What happened.
let after = sideEffects.lines()
var runs: [String: Int] = [:]
for line in after { runs[line, default: 0] += 1 }
say("\n3. every order finished:")
say("     \("workflow".padding(toLength: 10, withPad: " ", startingAt: 0))  status     tracking            steps run (before crash + after)")
let reopened = try await WorkflowEngine.open(
    directory: root + "/log", configuration: configuration(), workflows: [ProcessOrder.self], dependencies: dependencies(root))
for receipt in receipts.sorted(by: { $0.order < $1.order }) {
    let status = reopened.summary(of: receipt.order)?.status.rawValue ?? "?"
    let steps = ["reserve-inventory", "charge-card", "ship"].map { step -> String in
        let key = "\(receipt.order) \(step)"
        let before = beforeCrash.filter { $0 == key }.count
        return "\(step) \(before)+\((runs[key] ?? 0) - before)"
    }
    say("     \(receipt.order.padding(toLength: 10, withPad: " ", startingAt: 0))  \(status.padding(toLength: 9, withPad: " ", startingAt: 0))  \(receipt.tracking.padding(toLength: 18, withPad: " ", startingAt: 0))  \(steps.joined(separator: ", "))")
}
await reopened.shutdown()
let twice = runs.filter { $0.value > 1 }.keys.sorted()
if twice.isEmpty {
    say("\nno step ran twice: each completed step's result came back from the log on replay.")
} else {
    // A step whose body finished but whose result was not yet durable when the process died runs again:
    // steps are at-least-once. It never happens to a step whose result was recorded.
    say("\nran again after the crash (interrupted before their result was durable): \(twice.joined(separator: ", "))")
}
say("inspect the log with: swift run cairn inspect \(root)/log")
if dashboard {
    do {
        try await DashboardDemo(root: root, port: port, token: option("--token")).run()
    } catch {
        FileHandle.standardError.write(Data("cairn-demo: the dashboard stopped: \(error)\n".utf8))
        exit(1)
    }
}
