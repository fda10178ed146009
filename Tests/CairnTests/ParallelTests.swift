import Cairn
import CairnLog
import Foundation
import Testing

/// `n` branches (map), each one gated step "p<i>" returning a random value; then a gated step "end".
struct FanOut: Workflow {
    static let name = "test-fan-out"

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> [Int] {
        let probe = Probe.get(input.probe)
        let values = try await context.map(Array(0..<input.n)) { branch, i in
            try await branch.step("p\(i)", countedStep(probe, "p\(i)"))
        }
        _ = try await context.step("end", countedStep(probe, "end"))
        return values
    }
}

/// A DAG: two independent branches, a third that waits for both; plus a branch that uses two operations.
struct Diamond: Workflow {
    static let name = "test-diamond"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> [Int] {
        let probe = Probe.get(input.probe)
        let result = try await context.parallel("diamond") { branches in
            let left = branches.start { c in try await c.step("left", countedStep(probe, "left")) }
            let right = branches.start { c in
                let r = try await c.step("right", countedStep(probe, "right"))
                try await c.setEvent("right", r)
                return r
            }
            let join = branches.start { c in
                let l = try await left.value
                let r = try await right.value
                return try await c.step("join", input: l &+ r) { l &+ r }
            }
            return [try await left.value, try await right.value, try await join.value]
        }
        return result
    }
}

/// Branch "a" waits at its gate; branch "b" fails once "a" is waiting, which cancels "a". Returns the error.
struct FailingBranch: Workflow {
    static let name = "test-failing-branch"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = Probe.get(input.probe)
        do {
            try await context.parallel { branches in
                let a = branches.start { c in try await c.step("a", countedStep(probe, "a")) }
                let b = branches.start { c in
                    try await c.step("b") { () -> Int in
                        try await probe.waitForArrival("a")
                        throw TestFailure(text: "b failed")
                    }
                }
                _ = try await (a.value, b.value)
            }
            return "no error"
        } catch let failure as StepFailure {
            return failure.step
        }
    }
}

/// Calls an operation from a task it spawns itself (`label` says how), outside the parallel API.
struct SpawnsTask: Workflow {
    static let name = "test-spawns-task"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = Probe.get(input.probe)
        @Sendable func attempt() async -> String {
            do {
                _ = try await context.step("from-spawned-task") { probe.hit("spawned") }
                return "no error"
            } catch let error as WorkflowError {
                return "\(error.code)"
            } catch {
                return "other: \(error)"
            }
        }
        let outcome: String
        switch input.label {
        case "task":
            outcome = await Task { await attempt() }.value
        case "detached":
            outcome = await Task.detached { await attempt() }.value
        case "group":
            outcome = await withTaskGroup(of: String.self) { group in
                group.addTask { await attempt() }
                return await group.next()!
            }
        case "async-let":
            async let spawned = attempt()
            outcome = await spawned
        default:
            // A branch using its parent's context.
            outcome = try await context.parallel { branches in
                try await branches.start { _ in await attempt() }.value
            }
        }
        let after = try await context.step("after") { 7 }
        return "\(outcome) \(after)"
    }
}

@Suite("Parallel branches: positions independent of timing")
struct ParallelTests {
    @Test("100 parallel steps completed in random order get positions by start order and replay cleanly")
    func hundredInRandomOrder() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let n = 100
            for i in 0..<n { probe.close("p\(i)") }
            probe.close("end")
            let first = try await RunningEngine.start(dir, [FanOut.self])
            _ = try await first.engine.start(FanOut.self, input: ProbeInput(probe: probe.key, n: n), id: "fan")
            let order = Array(0..<n).shuffled()
            for i in 0..<n { try await probe.waitForArrival("p\(i)") }
            for (k, i) in order.enumerated() {
                probe.open("p\(i)")
                // Wait until that branch's outcome is recorded before releasing the next one. (After the last, the
                // parallel operation's own record follows: the history then holds one more.)
                try await eventually("branch \(i) recorded") { (first.engine.summary(of: "fan")?.historyCount ?? 0) >= k + 1 }
            }
            try await probe.waitForArrival("end")

            // Recorded in completion order, each at the position of its start order.
            let steps = try await operations(first.engine, "fan").filter { $0.kind == .stepCompleted }
            #expect(steps.map(\.name) == order.map { "p\($0)" })
            for step in steps {
                let i = try #require(UInt32(step.name.dropFirst()))
                #expect(step.position == pos(0, i, 0))
            }
            let recorded = Dictionary(uniqueKeysWithValues: try steps.map { ($0.name, try decodePayload(Int.self, $0.payload)) })
            try await first.crash()
            probe.openAll()

            // Replay: every branch finds its own record, whatever the scheduling now; none runs again.
            let second = try await RunningEngine.start(dir, [FanOut.self])
            let output = try await result(second.engine.handle(for: "fan", of: FanOut.self))
            #expect(second.engine.summary(of: "fan")?.status == .completed)
            try await second.shutdown()
            #expect(output == (0..<n).map { recorded["p\($0)"]! })
            for i in 0..<n { #expect(probe.count("p\(i)") == 1) }
            #expect(probe.count("end") == 2)
        }
    }

    @Test("a DAG of branches: a branch may wait for others; results and positions are stable across replay")
    func diamond() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("right")
            let first = try await RunningEngine.start(dir, [Diamond.self])
            _ = try await first.engine.start(Diamond.self, input: ProbeInput(probe: probe.key), id: "diamond")
            try await probe.waitForArrival("right")
            try await eventually("left recorded") { first.engine.summary(of: "diamond")?.historyCount == 1 }
            try await first.crash()
            probe.openAll()

            let second = try await RunningEngine.start(dir, [Diamond.self])
            let output = try await result(second.engine.handle(for: "diamond", of: Diamond.self))
            #expect(output[2] == output[0] &+ output[1])
            #expect(probe.count("left") == 1)
            #expect(probe.count("right") == 2)
            let ops = try await operations(second.engine, "diamond")
            #expect(ops.first { $0.name == "left" }?.position == pos(0, 0, 0))
            #expect(ops.first { $0.name == "right" }?.position == pos(0, 1, 0))
            #expect(ops.first { $0.kind == .eventSet }?.position == pos(0, 1, 1))
            #expect(ops.first { $0.name == "join" }?.position == pos(0, 2, 0))
            #expect(ops.first { $0.kind == .branchStarted }?.position == pos(0))
            #expect(try await second.engine.event(Int.self, key: "right", of: "diamond") == output[1])
            try await second.shutdown()
        }
    }

    @Test("a branch cancelled because a sibling failed records no failure of its own")
    func siblingCancelled() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("a")
            try await withEngine(dir, [FailingBranch.self]) { engine in
                let output = try await result(try await engine.start(FailingBranch.self, input: ProbeInput(probe: probe.key), id: "fb"))
                #expect(output == "b")
                let ops = try await operations(engine, "fb")
                #expect(ops.filter { $0.kind == .stepFailed }.map(\.name) == ["b"])
                #expect(!ops.contains { $0.name == "a" }, "the cancelled step stays unrecorded")
            }
        }
    }

    @Test(
        "an operation from a task the workflow spawned outside the parallel API is refused with .misuse",
        arguments: ["task", "detached", "group", "async-let", "parent-context-in-branch"])
    func spawnedTask(_ how: String) async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [SpawnsTask.self]) { engine in
                let output = try await result(try await engine.start(SpawnsTask.self, input: ProbeInput(probe: probe.key, label: how), id: "spawner"))
                #expect(output == "misuse 7")
                #expect(probe.count("spawned") == 0)
                let names = try await operations(engine, "spawner").map(\.name)
                #expect(!names.contains("from-spawned-task"))
                #expect(names.last == "after")
            }
        }
    }
}
