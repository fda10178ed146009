import Cairn
import CairnLog
import Foundation
import Logging
import Synchronization
import Testing

/// One operation of a ``Scripted`` workflow.
enum ScriptOp: Sendable, Hashable, CustomStringConvertible {
    case step(String, input: Int? = nil)
    case sleep(seconds: Int)
    case send(to: String, topic: String)
    case receive(topic: String, timeout: Int? = nil)
    case setEvent(String)
    case readEvent(String, of: String)
    case child(String, input: Int)
    case now
    case uuid
    case patched(String)
    case writeStream(String)
    case closeStream(String)
    /// Return at once (skipping the final "hold" step).
    case stop

    var description: String {
        switch self {
        case .step(let name, let input): "step \(name)\(input.map { "(\($0))" } ?? "")"
        case .sleep(let s): "sleep \(s)s"
        case .send(let to, let topic): "send to \(to) on \(topic)"
        case .receive(let topic, let timeout): "receive on \(topic)\(timeout.map { " for \($0)s" } ?? "")"
        case .setEvent(let key): "set event \(key)"
        case .readEvent(let key, let owner): "read event \(key) of \(owner)"
        case .child(let name, let input): "child \(name)(\(input))"
        case .now: "now"
        case .uuid: "uuid"
        case .patched(let id): "patched \(id)"
        case .writeStream(let key): "write stream \(key)"
        case .closeStream(let key): "close stream \(key)"
        case .stop: "return"
        }
    }
}

/// A workflow whose operations come from a script the test sets (and changes between runs, as a code change
/// would), looked up by its probe key. It ends with a gated step "hold" so a test can crash it mid-way. The error
/// an operation throws is noted for the test before it is rethrown.
struct Scripted: Workflow {
    static let name = "test-scripted"
    static let scripts = LockedBox<[String: [ScriptOp]]>([:])

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = Probe.get(input.probe)
        let script = scripts[probe.key] ?? []
        do {
            for op in script {
                if op == .stop { return "stopped" }
                try await perform(op, context, probe)
            }
            _ = try await context.step("hold") {
                probe.hit("hold")
                try await probe.pass("hold")
                return 0
            }
        } catch {
            if let error = error as? WorkflowError { probe.errors.set(probe.key, error) }
            throw error
        }
        return "done"
    }

    // One call site per kind, so that a kind change shows two different call sites.
    static func perform(_ op: ScriptOp, _ c: WorkflowContext, _ probe: Probe) async throws {
        switch op {
        case .step(let name, let input):
            if let input {
                _ = try await c.step(name, input: input) { probe.hit(name) }
            } else {
                _ = try await c.step(name) { probe.hit(name) }
            }
        case .sleep(let seconds):
            try await c.sleep(for: .seconds(seconds))
        case .send(let to, let topic):
            try await c.send("message", to: to, topic: topic)
        case .receive(let topic, let timeout):
            _ = try await c.receive(String.self, topic: topic, timeout: timeout.map { .seconds($0) })
        case .setEvent(let key):
            try await c.setEvent(key, 1)
        case .readEvent(let key, let owner):
            _ = try await c.event(Int.self, key: key, of: owner, timeout: nil)
        case .child(let name, let input):
            if name == ChildA.name {
                _ = try await c.runChild(ChildA.self, input: input)
            } else {
                _ = try await c.runChild(ChildB.self, input: input)
            }
        case .now:
            _ = try await c.now()
        case .uuid:
            _ = try await c.uuid()
        case .stop:
            break
        case .patched(let id):
            _ = try await c.patched(id)
        case .writeStream(let key):
            try await c.writeStream(key, 1)
        case .closeStream(let key):
            try await c.closeStream(key)
        }
    }
}

extension Probe {
    /// The last WorkflowError a scripted workflow's operation threw, by probe key.
    var errors: LockedBox<[String: WorkflowError]> { Probe.scriptErrors }
    static let scriptErrors = LockedBox<[String: WorkflowError]>([:])
}

struct ChildA: Workflow {
    static let name = "test-child-a"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int { input + 1 }
}

struct ChildB: Workflow {
    static let name = "test-child-b"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int { input + 2 }
}

@Suite("Divergence: code that no longer matches its history is caught live")
struct DivergenceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var recorded: [ScriptOp]
        var changed: [ScriptOp]
        /// The position where the code and the history part ways.
        var position: Position
        /// Words the report's reason must contain.
        var reason: String
        /// Caught in structure mode too (kind, name and order), or only in strict mode (details).
        var structural: Bool
        /// Crash once this many operations are recorded (the last one still waiting), instead of at "hold".
        var crashWhenRecorded: Int? = nil
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "operation kind", recorded: [.step("a"), .step("b")], changed: [.step("a"), .sleep(seconds: 5)],
             position: pos(1), reason: "kind changed", structural: true),
        Case(label: "step name", recorded: [.step("a"), .step("b")], changed: [.step("a"), .step("c")],
             position: pos(1), reason: "name changed", structural: true),
        Case(label: "order", recorded: [.step("a"), .step("b")], changed: [.step("b"), .step("a")],
             position: pos(0), reason: "name changed", structural: true),
        Case(label: "operation removed (left unconsumed)", recorded: [.step("a"), .step("b")], changed: [.step("a"), .stop],
             position: pos(1), reason: "", structural: true),
        Case(label: "recorded value kind", recorded: [.now], changed: [.uuid],
             position: pos(0), reason: "name changed", structural: true),
        Case(label: "step input", recorded: [.step("a", input: 1)], changed: [.step("a", input: 2)],
             position: pos(0), reason: "input changed", structural: false),
        Case(label: "step gains an input", recorded: [.step("a")], changed: [.step("a", input: 2)],
             position: pos(0), reason: "explicit input", structural: false),
        Case(label: "sleep duration", recorded: [.sleep(seconds: 0)], changed: [.sleep(seconds: 1)],
             position: pos(0), reason: "duration changed", structural: false),
        Case(label: "send destination", recorded: [.send(to: "x", topic: "t")], changed: [.send(to: "y", topic: "t")],
             position: pos(0), reason: "destination changed", structural: false),
        Case(label: "send topic", recorded: [.send(to: "x", topic: "t")], changed: [.send(to: "x", topic: "u")],
             position: pos(0), reason: "topic changed", structural: false),
        Case(label: "receive topic", recorded: [.receive(topic: "t", timeout: 0)], changed: [.receive(topic: "u", timeout: 0)],
             position: pos(0), reason: "topic changed", structural: false),
        Case(label: "receive timeout", recorded: [.receive(topic: "t", timeout: 0)], changed: [.receive(topic: "t", timeout: 1)],
             position: pos(0), reason: "duration changed", structural: false),
        Case(label: "waiting receive became an event read", recorded: [.receive(topic: "k", timeout: 3600)], changed: [.readEvent("k", of: "o")],
             position: pos(0), reason: "kind changed", structural: true, crashWhenRecorded: 1),
        Case(label: "waiting receive's timeout", recorded: [.receive(topic: "k", timeout: 3600)], changed: [.receive(topic: "k", timeout: 60)],
             position: pos(0), reason: "duration changed", structural: false, crashWhenRecorded: 1),
        Case(label: "event key", recorded: [.setEvent("k")], changed: [.setEvent("j")],
             position: pos(0), reason: "key changed", structural: false),
        Case(label: "event read owner", recorded: [.readEvent("k", of: "o1")], changed: [.readEvent("k", of: "o2")],
             position: pos(0), reason: "destination changed", structural: false),
        Case(label: "child workflow", recorded: [.child(ChildA.name, input: 1)], changed: [.child(ChildB.name, input: 1)],
             position: pos(0), reason: "child workflow changed", structural: false),
        Case(label: "stream write became a step", recorded: [.writeStream("s")], changed: [.step("s")],
             position: pos(0), reason: "kind changed", structural: true),
        Case(label: "stream key", recorded: [.writeStream("s"), .closeStream("s")], changed: [.writeStream("t"), .closeStream("t")],
             position: pos(0), reason: "key changed", structural: false),
        Case(label: "stream close dropped", recorded: [.writeStream("s"), .closeStream("s"), .step("a")], changed: [.writeStream("s"), .step("a")],
             position: pos(1), reason: "kind changed", structural: true),
        Case(label: "child input", recorded: [.child(ChildA.name, input: 1)], changed: [.child(ChildA.name, input: 2)],
             position: pos(0), reason: "input changed", structural: false),
    ]

    @Test("each kind of divergence parks the workflow with a report (strict mode)", arguments: cases)
    func strict(_ c: Case) async throws {
        try await check(c, mode: .strict, expectDivergence: true)
    }

    @Test("structure mode catches kind, name and order, and lets details change", arguments: cases)
    func structure(_ c: Case) async throws {
        try await check(c, mode: .structure, expectDivergence: c.structural)
    }

    func check(_ c: Case, mode: DeterminismMode, expectDivergence: Bool) async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let workflows: [any Workflow.Type] = [Scripted.self, ChildA.self, ChildB.self]
            let logs = LogCapture()
            var configuration = testConfiguration(logs: logs)
            configuration.determinism = mode
            probe.close("hold")
            Scripted.scripts.set(probe.key, c.recorded)
            let first = try await RunningEngine.start(dir, workflows, configuration: configuration)
            _ = try await first.engine.start(Scripted.self, input: ProbeInput(probe: probe.key), id: "script")
            if let n = c.crashWhenRecorded {
                try await eventually("\(n) operations recorded") { first.engine.summary(of: "script")?.historyCount == n }
            } else {
                try await probe.waitForArrival("hold")
            }
            try await first.crash()

            // The code changes; the history stays.
            Scripted.scripts.set(probe.key, c.changed)
            probe.errors.set(probe.key, nil)  // what the crash made the first run throw
            probe.openAll()
            let second = try await RunningEngine.start(dir, workflows, configuration: configuration)
            let handle = second.engine.handle(for: "script", of: Scripted.self)
            if !expectDivergence {
                try await second.engine.send("wake", to: "script", topic: "k")  // for a recorded receive still waiting
                #expect(try await result(handle) == "done")
                try await second.shutdown()
                return
            }
            // A workflow recorded waiting for a message waits as a record until the message comes: the divergence
            // is found when it resumes.
            try await second.engine.send("wake", to: "script", topic: "k")
            let error = await caught { _ = try await within { try await handle.result() } }
            #expect(code(error) == .diverged)
            let summary = try #require(second.engine.summary(of: "script"))
            #expect(summary.status == .diverged)
            let reason = try #require(summary.parkReason)
            #expect(reason.contains("script") && reason.contains("position \(c.position)"), "\(reason)")
            #expect(probe.count("hold") == (c.crashWhenRecorded == nil ? 1 : 0), "a diverged workflow does not go on")
            // The report: workflow, position, recorded and attempted operations with their call sites.
            if let thrown = probe.errors[probe.key] {
                #expect(thrown.code == .diverged)
                let report = try #require(thrown.underlying as? DeterminismError)
                #expect(report.workflowID == "script")
                #expect(report.workflowName == Scripted.name)
                #expect(report.position == c.position)
                #expect(report.mode == mode)
                #expect(report.recorded?.callSite != nil)
                #expect(report.attempted?.callSite != nil)
                #expect(report.reason.contains(c.reason), "\(report.reason)")
                #expect(reason == report.description)
            } else {
                // Only a removed operation is found after the code returned: nothing was attempted there.
                #expect(c.reason.isEmpty)
                #expect(reason.contains("unconsumed"))
                #expect(reason.contains("attempted: nothing"))
            }
            // Reported, and a park event is in the log.
            #expect(logs.all.contains { $0.level == .error && $0.message.contains("diverged") && $0.metadata["workflow"] == "script" })
            let history = try await second.engine.history(of: "script").collect()
            #expect(history.last?.event.kind == .workflowParked)
            #expect(history.last?.details == .parked(reason: .diverged, message: reason, attempts: nil), "the history view types the park")
            try await second.shutdown()

            // Still parked after a restart; resumed with the original code, it replays and finishes.
            Scripted.scripts.set(probe.key, c.recorded)
            let third = try await RunningEngine.start(dir, workflows, configuration: configuration)
            #expect(third.engine.summary(of: "script")?.status == .diverged)
            try await third.engine.send("wake", to: "script", topic: "k")  // for a recorded receive still waiting
            try await third.engine.resume("script")
            #expect(try await result(third.engine.handle(for: "script", of: Scripted.self)) == "done")
            try await third.shutdown()
        }
    }

    @Test("an extra operation after the recorded ones is not divergence: it runs live")
    func appendedOperation() async throws {
        try await check(
            Case(label: "appended", recorded: [.step("a")], changed: [.step("a"), .step("b")], position: pos(1), reason: "", structural: false),
            mode: .strict, expectDivergence: false)
    }
}
