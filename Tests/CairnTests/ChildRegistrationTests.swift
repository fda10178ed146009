import Cairn
import CairnTesting
import Foundation
import Testing

// MARK: Workflows that declare their children

/// A leaf child: its input's number times ten.
struct RegDeclaredChild: Workflow {
    static let name = "registration-child"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int { input * 10 }
}

/// Runs ``RegDeclaredChild``, which it declares; the engine is opened with this type alone.
struct RegDeclaringParent: Workflow {
    static let name = "registration-parent"
    static var children: [any Workflow.Type] { [RegDeclaredChild.self] }
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.runChild(RegDeclaredChild.self, input: input) + 1
    }
}

/// RegTop → RegMiddle → RegDeclaredChild: the grandchild is found through the middle one's declaration.
struct RegTop: Workflow {
    static let name = "registration-top"
    static var children: [any Workflow.Type] { [RegMiddle.self] }
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.runChild(RegMiddle.self, input: input)
    }
}

struct RegMiddle: Workflow {
    static let name = "registration-middle"
    static var children: [any Workflow.Type] { [RegDeclaredChild.self] }
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.runChild(RegDeclaredChild.self, input: input + 1)
    }
}

/// Declares itself: counts down through children, one per level.
struct RegCountdown: Workflow {
    static let name = "registration-countdown"
    static var children: [any Workflow.Type] { [RegCountdown.self] }
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        input == 0 ? 0 : try await context.runChild(RegCountdown.self, input: input - 1) + 1
    }
}

/// Registered alone; declares ``RegCountdown`` (which declares itself) and ``RegPingB`` (which declares it back): the walk
/// must end, and every type it reaches must run.
struct RegPingA: Workflow {
    static let name = "registration-ping-a"
    static var children: [any Workflow.Type] { [RegPingB.self, RegCountdown.self] }
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        if input == 0 { return try await context.runChild(RegCountdown.self, input: 3) }
        return try await context.runChild(RegPingB.self, input: input - 1) + 100
    }
}

struct RegPingB: Workflow {
    static let name = "registration-ping-b"
    static var children: [any Workflow.Type] { [RegPingA.self] }
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.runChild(RegPingA.self, input: input) + 1_000
    }
}

/// Another type under ``RegDeclaredChild``'s name.
struct RegImpostor: Workflow {
    static let name = RegDeclaredChild.name
    static func run(_ context: WorkflowContext, input: String) async throws -> String { input }
}

/// Declares ``RegImpostor``: opened with ``RegDeclaringParent``, two types share one name, found only through children.
struct RegImpostorParent: Workflow {
    static let name = "registration-impostor-parent"
    static var children: [any Workflow.Type] { [RegImpostor.self] }
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        try await context.runChild(RegImpostor.self, input: input)
    }
}

// MARK: A child that is neither declared nor registered

/// Not declared by ``RegForgetful`` and not passed to open, unless a test does.
struct RegForgotten: Workflow {
    static let name = "registration-forgotten"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int { input.n * 2 }
}

/// A step, then a child it forgot to declare, then a step. Notes each error its child call throws; with label
/// "swallow" it catches that error and returns as if nothing happened.
struct RegForgetful: Workflow {
    static let name = "registration-forgetful"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        _ = try await context.step("before") { probe.hit("before") }
        probe.hit("child call")
        let doubled: Int
        do {
            doubled = try await context.runChild(RegForgotten.self, input: input)
        } catch {
            probe.note("error", "\(error)")
            if let error = error as? WorkflowError { probe.note("code", "\(error.code)") }
            guard input.label == "swallow" else { throw error }
            return -1
        }
        _ = try await context.step("after") { probe.hit("after") }
        return doubled
    }
}

/// Another type under ``RegTop``'s name: with ``RegImpostor``, two conflicts in one list.
struct RegTopImpostor: Workflow {
    static let name = RegTop.name
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int { input }
}

/// Starts, as a child, ``RegImpostor`` while ``RegDeclaredChild`` holds that name in the engine.
struct RegImpostorStarter: Workflow {
    static let name = "registration-impostor-starter"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        try await context.runChild(RegImpostor.self, input: input)
    }
}

@Suite("Declared children: registered at open, checked without an engine, a missing one parks its parent")
struct ChildRegistrationTests {
    @Test("a parent declaring its child, opened alone, runs the child")
    func declaredChildRuns() async throws {
        try await withDirectory { dir in
            try await withEngine(dir, [RegDeclaringParent.self]) { engine in
                let parent = try await result(try await engine.start(RegDeclaringParent.self, input: 4, id: "p"))
                #expect(parent == 41)
                #expect(engine.summary(of: "p/0")?.name == RegDeclaredChild.name)
                #expect(engine.summary(of: "p/0")?.status == .completed)
                // Registered, so it can be started from outside too.
                let child = try await result(try await engine.start(RegDeclaredChild.self, input: 2))
                #expect(child == 20)
            }
        }
    }

    @Test("a grandchild is found through its parent's declaration")
    func grandchildFoundTransitively() async throws {
        try await withDirectory { dir in
            try await withEngine(dir, [RegTop.self]) { engine in
                let top = try await result(try await engine.start(RegTop.self, input: 1, id: "top"))
                #expect(top == 20)
                #expect(engine.summary(of: "top/0/0")?.name == RegDeclaredChild.name)
            }
        }
        #expect(try verifyRegistration([RegTop.self]) == [RegDeclaredChild.name, RegMiddle.name, RegTop.name].sorted())
    }

    @Test("a workflow declaring itself, and two declaring each other, open and run")
    func recursionAndCycles() async throws {
        #expect(try verifyRegistration([RegPingA.self]) == [RegCountdown.name, RegPingA.name, RegPingB.name].sorted())
        try await withDirectory { dir in
            try await withEngine(dir, [RegPingA.self]) { engine in
                // A(2) → B → A(1) → B → A(0) → Countdown(3) → … → Countdown(0): 3 + 2 * 1_100.
                let ping = try await result(try await engine.start(RegPingA.self, input: 2, id: "ping"))
                #expect(ping == 2_203)
                let countdown = try await result(try await engine.start(RegCountdown.self, input: 5))
                #expect(countdown == 5)
            }
        }
    }

    @Test("two types with one name, one found as a child, are refused at open with both named")
    func conflictFoundThroughChildren() async throws {
        try await withDirectory { dir in
            let error = await caught {
                _ = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: [RegDeclaringParent.self, RegImpostorParent.self])
            }
            let refusal = try #require(error as? WorkflowError)
            #expect(refusal.code == .idConflict)
            for part in ["'\(RegDeclaredChild.name)'", "RegDeclaredChild", "RegImpostor (", "RegDeclaringParent.children", "RegImpostorParent.children"] {
                #expect(refusal.message.contains(part), "\(part) in: \(refusal.message)")
            }
            // Refused before anything was opened: no log was created.
            #expect(!FileManager.default.fileExists(atPath: dir))
        }
    }

    @Test("the engine-less check reports what open refuses, with the same error")
    func engineLessCheckAgreesWithOpen() async throws {
        let lists: [[any Workflow.Type]] = [
            [RegDeclaringParent.self, RegImpostorParent.self], [RegImpostorParent.self, RegDeclaredChild.self],
            [RegImpostorParent.self, RegTop.self, RegTopImpostor.self],
        ]
        for workflows in lists {
            var checked: WorkflowError?
            do { try verifyRegistration(workflows) } catch { checked = error }
            let check = try #require(checked)
            try await withDirectory { dir in
                let opened = try #require(await caught {
                    _ = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: workflows)
                } as? WorkflowError)
                #expect(opened.code == check.code)
                #expect(opened.message == check.message)
            }
        }
        // Two conflicts: one error names both, so one deploy fixes both.
        do {
            try verifyRegistration([RegImpostorParent.self, RegTop.self, RegTopImpostor.self])
            Issue.record("two conflicts were not refused")
        } catch {
            #expect(error.message.contains("'\(RegTop.name)'") && error.message.contains("'\(RegDeclaredChild.name)'"), "\(error.message)")
            #expect(error.message.contains("and 1 more"), "\(error.message)")
        }
        // Given directly, not through children: also the same.
        #expect(throws: WorkflowError.self) { try verifyRegistration([RegDeclaredChild.self, RegImpostor.self]) }
        // The same type reached twice is no conflict.
        #expect(try verifyRegistration([RegDeclaredChild.self, RegDeclaringParent.self, RegDeclaredChild.self]) == [RegDeclaredChild.name, RegDeclaringParent.name].sorted())
    }

    @Test("a child neither declared nor registered parks its parent live, names both and says what to do; nothing else is recorded", arguments: ["throw", "swallow"])
    func unregisteredChildParksLive(label: String) async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [RegForgetful.self]) { engine in
                let handle = try await engine.start(RegForgetful.self, input: ProbeInput(probe: probe.key, n: 21, label: label), id: "forgetful")
                try await waitForStatus(engine, "forgetful", .parked)
                #expect(code(await caught { _ = try await handle.result() }) == .parked)
                let summary = try #require(engine.summary(of: "forgetful"))
                #expect(summary.parkedBecause == .unknownWorkflow)
                let reason = try #require(summary.parkReason)
                for part in ["RegForgetful", "RegForgotten", "'\(RegForgotten.name)'", "RegForgetful.children", "open(workflows:)"] {
                    #expect(reason.contains(part), "\(part) in: \(reason)")
                }
                // The error the parent's code saw: the same text, as .unknownWorkflow.
                #expect(probe.notes("code") == ["unknownWorkflow"])
                #expect(probe.notes("error").first?.contains("RegForgetful.children") == true)
                // Catching the error does not let the parent go on: no step after it, no child, no completion.
                #expect(probe.count("after") == 0)
                #expect(engine.summary(of: "forgetful/1") == nil)
                let kinds = try await engine.history(of: "forgetful").collect().map(\.event.kind)
                #expect(!kinds.contains(.childStarted) && !kinds.contains(.workflowCompleted) && !kinds.contains(.workflowFailed))
                #expect(kinds.last == .workflowParked)
            }
        }
    }

    @Test("after a restart the parent parks again the same way, and goes on once the child is registered", arguments: ["throw", "swallow"])
    func unregisteredChildAfterRestart(label: String) async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let first = try await RunningEngine.start(dir, [RegForgetful.self])
            _ = try await first.engine.start(RegForgetful.self, input: ProbeInput(probe: probe.key, n: 21, label: label), id: "forgetful")
            try await waitForStatus(first.engine, "forgetful", .parked)
            let live = try #require(first.engine.summary(of: "forgetful"))
            try await first.shutdown()

            // Same code: recovery resumes it (its own name is registered), it replays to the child and parks again.
            let second = try await RunningEngine.start(dir, [RegForgetful.self])
            try await eventually("the parent to reach its child again") { probe.count("child call") == 2 }
            try await waitForStatus(second.engine, "forgetful", .parked)
            let again = try #require(second.engine.summary(of: "forgetful"))
            #expect(again.parkedBecause == live.parkedBecause)
            #expect(again.parkReason == live.parkReason)
            #expect(probe.count("before") == 1, "the recorded step is not run again")
            #expect(probe.count("after") == 0)
            #expect(second.engine.summary(of: "forgetful/1") == nil)
            try await second.shutdown()

            // The fix deployed: the child is registered, the parent starts it and finishes.
            let third = try await RunningEngine.start(dir, [RegForgetful.self, RegForgotten.self])
            try await waitForStatus(third.engine, "forgetful", .completed)
            #expect(try await result(third.engine.handle(for: "forgetful", of: RegForgetful.self)) == 42)
            #expect(third.engine.summary(of: "forgetful/1")?.status == .completed)
            #expect(probe.count("before") == 1)
            #expect(probe.count("after") == 1)
            try await third.shutdown()
        }
    }

    @Test("a child whose name belongs to another registered type parks its parent, naming both types")
    func childNameTakenByAnotherType() async throws {
        try await withDirectory { dir in
            try await withEngine(dir, [RegImpostorStarter.self, RegDeclaredChild.self]) { engine in
                _ = try await engine.start(RegImpostorStarter.self, input: "x", id: "starter")
                try await waitForStatus(engine, "starter", .parked)
                let reason = try #require(engine.summary(of: "starter")?.parkReason)
                #expect(reason.contains("(CairnTests.RegImpostor)") && reason.contains("another type, CairnTests.RegDeclaredChild"), "\(reason)")
                #expect(engine.summary(of: "starter/0") == nil, "the registered type was not run with the impostor's input")
            }
        }
    }

    @Test("the replayer registers declared children too")
    func replayerFindsChildren() async throws {
        try await withDirectory { dir in
            try await withEngine(dir, [RegTop.self]) { engine in
                _ = try await result(try await engine.start(RegTop.self, input: 1, id: "top"))
            }
            let report = try await Replayer(workflows: [RegTop.self]).replay(directory: dir)
            #expect(report.results.count == 3)
            #expect(report.isClean, "\(report)")
        }
    }
}
