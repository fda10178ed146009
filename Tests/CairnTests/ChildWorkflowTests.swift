import Cairn
import CairnLog
import Foundation
import Testing

/// Child: a counted, gated step "child-<n>" returning n * 10; fails when `label` is "fail".
struct Child: Workflow {
    static let name = "test-child"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        _ = try await context.step("child-\(input.n)", countedStep(probe, "child-\(input.n)"))
        if input.label == "fail" { throw TestFailure(text: "child \(input.n) failed") }
        return input.n * 10
    }
}

/// Parent: runs child 1, starts children 2 and 3 in parallel branches, and (when `label` is "fail") a failing
/// child 4 whose failure it catches.
struct Parent: Workflow {
    static let name = "test-parent"

    struct Output: Codable, Sendable, Equatable {
        var results: [Int]
        var childIDs: [String]
        var failure: String?
    }

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Output {
        let probe = Probe.get(input.probe)
        let first = try await context.startChild(Child.self, input: ProbeInput(probe: probe.key, n: 1))   // 0
        let one = try await first.result()                                                                // 1
        let (two, three, ids) = try await context.parallel { branches in                                   // 2
            let b2 = branches.start { c in
                let child = try await c.startChild(Child.self, input: ProbeInput(probe: probe.key, n: 2))
                return (try await child.result(), child.id)
            }
            let b3 = branches.start { c in
                let child = try await c.startChild(Child.self, input: ProbeInput(probe: probe.key, n: 3))
                return (try await child.result(), child.id)
            }
            let (r2, id2) = try await b2.value
            let (r3, id3) = try await b3.value
            return (r2, r3, [id2, id3])
        }
        var failure: String?
        if input.label == "fail" {
            do {
                _ = try await context.runChild(Child.self, input: ProbeInput(probe: probe.key, n: 4, label: "fail"))  // 3, 4
            } catch let error as WorkflowFailure {
                failure = "\(error.errorType)|\(error.message)"
            }
        }
        let named = try await context.runChild(Child.self, input: ProbeInput(probe: probe.key, n: 5), id: "explicit-\(context.workflowID)")
        return Output(results: [one, two, three, named], childIDs: [first.id] + ids, failure: failure)
    }
}

@Suite("Child workflows")
struct ChildWorkflowTests {
    @Test("children get deterministic IDs parent/position, report results and failures, and know their parent")
    func results() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Parent.self, Child.self]) { engine in
                let output = try await result(try await engine.start(Parent.self, input: ProbeInput(probe: probe.key, label: "fail"), id: "p"))
                #expect(output.results == [10, 20, 30, 50])
                #expect(output.childIDs == ["p/0", "p/2.0.0", "p/2.1.0"])
                #expect(output.failure?.hasSuffix("TestFailure|child 4 failed") == true, "\(output.failure ?? "nil")")
                for id in ["p/0", "p/2.0.0", "p/2.1.0", "p/3", "explicit-p"] {
                    let summary = try #require(engine.summary(of: id), "\(id)")
                    #expect(summary.parentID == "p")
                    #expect(summary.name == Child.name)
                }
                #expect(engine.summary(of: "p/3")?.status == .failed)
                #expect(engine.summary(of: "p/3")?.failure?.message == "child 4 failed")
                let parentOps = try await operations(engine, "p")
                #expect(parentOps.first { $0.position == pos(0) }?.kind == .childStarted)
                #expect(parentOps.first { $0.position == pos(0) }?.target == "p/0")
                #expect(parentOps.last { $0.position == pos(1) }?.kind == .childCompleted)
                #expect(parentOps.last { $0.position == pos(4) }?.errorType?.hasSuffix("TestFailure") == true)
            }
            for n in [1, 2, 3, 4, 5] { #expect(probe.count("child-\(n)") == 1) }
        }
    }

    @Test("after a crash the parent finds its children by ID and does not start them again")
    func crashWhileChildRuns() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("child-3")
            let workflows: [any Workflow.Type] = [Parent.self, Child.self]
            let first = try await RunningEngine.start(dir, workflows)
            _ = try await first.engine.start(Parent.self, input: ProbeInput(probe: probe.key), id: "p")
            try await probe.waitForArrival("child-3")
            try await eventually("child 2 finished") { first.engine.summary(of: "p/2.0.0")?.status == .completed }
            try await first.crash()
            probe.openAll()

            let second = try await RunningEngine.start(dir, workflows)
            let output = try await result(second.engine.handle(for: "p", of: Parent.self))
            try await second.shutdown()
            #expect(output.results == [10, 20, 30, 50])
            #expect(output.childIDs == ["p/0", "p/2.0.0", "p/2.1.0"])
            #expect(second.engine.list(name: Child.name).count == 4, "no child was started twice")
            #expect(probe.count("child-1") == 1)
            #expect(probe.count("child-2") == 1)
            #expect(probe.count("child-3") == 2, "the child's step in progress at the crash runs again")
            #expect(probe.count("child-5") == 1)
        }
    }
}
