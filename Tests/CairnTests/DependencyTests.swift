import Cairn
import CairnTesting
import Foundation
import Synchronization
import Testing

// MARK: Dependencies

/// What the workflows below charge through: a live client and a fake conform alike.
protocol DepPaymentsClient: Sendable {
    func charge(_ cents: Int, label: String) async throws -> String
}

/// A client that records every call and answers with its own name, so a test sees which instance a step used.
final class RecordingPayments: DepPaymentsClient {
    let name: String
    private let calls = Mutex<[String]>([])

    init(_ name: String) { self.name = name }

    func charge(_ cents: Int, label: String) async throws -> String {
        calls.withLock { $0.append("\(label):\(cents)") }
        return "\(name)-\(cents)"
    }

    var recorded: [String] { calls.withLock { $0 } }
}

enum DepPayments: WorkflowDependencyKey { typealias Value = any DepPaymentsClient }
/// A second key, of another type, never given in these tests: declared by ``DepShippingChild`` only.
enum DepShipping: WorkflowDependencyKey { typealias Value = String }
/// Where workflow code leaves notes for its test (the errors it saw).
enum DepNotes: WorkflowDependencyKey { typealias Value = RecordingPayments }

// MARK: Workflows

/// Charges its input in one step, through the injected client, looked up inside the step's body.
struct DepCheckout: Workflow {
    static let name = "dependency-checkout"
    static var dependencies: [any WorkflowDependencyKey.Type] { [DepPayments.self] }
    static func run(_ context: WorkflowContext, input cents: Int) async throws -> String {
        try await context.step("charge", input: cents) {
            try await context.dependency(DepPayments.self).charge(cents, label: "charge")
        }
    }
}

/// Charges in a step, waits for a message, charges again: the wait is where a restart happens.
struct DepTwoCharges: Workflow {
    static let name = "dependency-two-charges"
    static func run(_ context: WorkflowContext, input cents: Int) async throws -> [String] {
        let first = try await context.step("first") {
            try await context.dependency(DepPayments.self).charge(cents, label: "first")
        }
        _ = try await context.receive(String.self, topic: "go")
        let second = try await context.step("second") {
            try await context.dependency(DepPayments.self).charge(cents + 1, label: "second")
        }
        return [first, second]
    }
}

/// Does not declare its dependency: an engine without it opens, and the lookup parks the workflow. Input "swallow"
/// catches the error and returns; anything else rethrows it. Either way it notes the error's code.
struct DepUndeclared: Workflow {
    static let name = "dependency-undeclared"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        do {
            return try await context.step("charge") {
                try await context.dependency(DepPayments.self).charge(7, label: "undeclared")
            }
        } catch let error as WorkflowError {
            _ = try await context.dependency(DepNotes.self).charge(0, label: "\(error.code)|\(error.message)")
            if input == "swallow" { return "swallowed" }
            throw error
        }
    }
}

/// Looks its dependency up in its body, before the step: every replay runs the lookup.
struct DepBodyLookup: Workflow {
    static let name = "dependency-body-lookup"
    static func run(_ context: WorkflowContext, input cents: Int) async throws -> String {
        let payments = try context.dependency(DepPayments.self)
        return try await context.step("charge", input: cents) { try await payments.charge(cents, label: "body") }
    }
}

/// Charges in three parallel branches and in a child workflow (whose step blocks, on the engine's threads).
struct DepFanOut: Workflow {
    static let name = "dependency-fan-out"
    static var children: [any Workflow.Type] { [DepBlockingChild.self] }
    static func run(_ context: WorkflowContext, input: Int) async throws -> [String] {
        var charges = try await context.map([1, 2, 3]) { branch, n in
            try await branch.step("branch-\(n)", input: n) {
                try await branch.dependency(DepPayments.self).charge(n, label: "branch-\(n)")
            }
        }
        charges.append(try await context.runChild(DepBlockingChild.self, input: 40))
        return charges
    }
}

struct DepBlockingChild: Workflow {
    static let name = "dependency-blocking-child"
    static func run(_ context: WorkflowContext, input cents: Int) async throws -> String {
        let payments = try context.dependency(DepPayments.self)
        let label = try await context.blockingStep("label") {
            let notes = try context.dependency(DepNotes.self)  // on one of the engine's threads
            return "child-from-\(notes.name)"
        }
        return try await context.step("charge") { try await payments.charge(cents, label: label) }
    }
}

/// Declares a child that declares ``DepShipping``: found through the children at open.
struct DepShippingParent: Workflow {
    static let name = "dependency-shipping-parent"
    static var children: [any Workflow.Type] { [DepShippingChild.self] }
    static var dependencies: [any WorkflowDependencyKey.Type] { [DepPayments.self] }
    static func run(_ context: WorkflowContext, input: Int) async throws -> String {
        try await context.runChild(DepShippingChild.self, input: input)
    }
}

struct DepShippingChild: Workflow {
    static let name = "dependency-shipping-child"
    static var dependencies: [any WorkflowDependencyKey.Type] { [DepShipping.self] }
    static func run(_ context: WorkflowContext, input: Int) async throws -> String {
        try context.dependency(DepShipping.self)
    }
}

// MARK: Helpers

/// An engine on `directory` with `dependencies`, running until ``stop(crash:)``.
private struct DepEngine {
    let engine: WorkflowEngine
    let runner: Task<Void, any Error>

    init(_ directory: String, _ workflows: [any Workflow.Type], _ dependencies: WorkflowDependencies) async throws {
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: testConfiguration(), workflows: workflows, dependencies: dependencies)
        self.engine = engine
        runner = Task { try await engine.run() }
    }

    func stop(crash: Bool = false) async throws {
        let (engine, runner) = (self.engine, self.runner)
        try await within(.seconds(30), "the engine to stop") {
            if crash { await engine._crash() } else { await engine.shutdown() }
            _ = await runner.result
        }
    }
}

/// Waits (bounded) until workflow `id`'s history has an event of `kind`.
private func waitForEvent(_ engine: WorkflowEngine, _ id: String, _ kind: EventKind) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while try await !engine.history(of: id).collect().contains(where: { $0.event.kind == kind }) {
        if ContinuousClock.now >= deadline { throw TimedOut(what: "\(kind) in \(id)'s history") }
        try await Task.sleep(for: .milliseconds(2))
    }
}

// MARK: Tests

@Suite("Dependencies")
struct DependencyTests {
    @Test("a step reaches the client the engine was given; another engine's fake substitutes it")
    func stepUsesInjectedClient() async throws {
        let live = RecordingPayments("live")
        let fake = RecordingPayments("fake")
        try await withDirectory { dir in
            let running = try await DepEngine(dir, [DepCheckout.self], WorkflowDependencies().with(DepPayments.self, live))
            #expect(try await result(try await running.engine.start(DepCheckout.self, input: 12, id: "live")) == "live-12")
            try await running.stop()
        }
        // The same workflow in a test, with a fake: the live client is not called again.
        try await withTestEngine(workflows: [DepCheckout.self], dependencies: WorkflowDependencies().with(DepPayments.self, fake)) { engine in
            let charge = try await result(try await engine.start(DepCheckout.self, input: 5, id: "test"))
            #expect(charge == "fake-5")
        }
        #expect(live.recorded == ["charge:12"])
        #expect(fake.recorded == ["charge:5"])
    }

    @Test("a missing dependency parks the workflow with a named error, even when its code swallows it", arguments: ["throw", "swallow"])
    func missingDependencyParks(label: String) async throws {
        let notes = RecordingPayments("notes")
        try await withDirectory { dir in
            let running = try await DepEngine(dir, [DepUndeclared.self], WorkflowDependencies().with(DepNotes.self, notes))
            let engine = running.engine
            let handle = try await engine.start(DepUndeclared.self, input: label, id: "undeclared")
            try await waitForStatus(engine, "undeclared", .parked)
            #expect(code(await caught { _ = try await handle.result() }) == .parked)
            let summary = try #require(engine.summary(of: "undeclared"))
            #expect(summary.parkedBecause == .unknownWorkflow)
            let reason = try #require(summary.parkReason)
            for part in ["DepPayments", "DepUndeclared", "'undeclared'", "DependencyTests.swift:", "WorkflowEngine.open(dependencies:)", "given: ", "DepNotes"] {
                #expect(reason.contains(part), "\(part) in: \(reason)")
            }
            // The workflow's code saw the same error, as .missingDependency.
            let seen = try #require(notes.recorded.first)
            #expect(seen.hasPrefix("missingDependency|"))
            #expect(seen.contains(reason))
            // Nothing but the park: no step outcome, no completion or failure.
            let kinds = try await engine.history(of: "undeclared").collect().map(\.event.kind)
            #expect(!kinds.contains(.stepCompleted) && !kinds.contains(.stepFailed))
            #expect(!kinds.contains(.workflowCompleted) && !kinds.contains(.workflowFailed))
            #expect(kinds.last == .workflowParked)
            try await running.stop()
        }
    }

    @Test("a redeploy that provides the missing dependency resumes the parked workflow, which uses it")
    func redeployResumesParked() async throws {
        let payments = RecordingPayments("redeployed")
        try await withDirectory { dir in
            let first = try await DepEngine(dir, [DepUndeclared.self], WorkflowDependencies().with(DepNotes.self, RecordingPayments("notes")))
            _ = try await first.engine.start(DepUndeclared.self, input: "throw", id: "undeclared")
            try await waitForStatus(first.engine, "undeclared", .parked)
            try await first.stop()

            let second = try await DepEngine(dir, [DepUndeclared.self], WorkflowDependencies().with(DepPayments.self, payments))
            // Until recovery resumes it the workflow still reads as parked, and a result would say so.
            try await waitForStatus(second.engine, "undeclared", .completed)
            let output = try await result(second.engine.handle(for: "undeclared", of: DepUndeclared.self))
            #expect(output == "redeployed-7")
            #expect(payments.recorded == ["undeclared:7"])
            #expect(second.engine.summary(of: "undeclared")?.status == .completed)
            try await second.stop()
        }
    }

    @Test("verifyRegistration checks given dependencies against the declared ones, as open does, without an engine")
    func verifyRegistrationChecksDependencies() throws {
        #expect(try verifyRegistration([DepShippingParent.self]).count == 2, "without dependencies: names only")
        var caught: WorkflowError?
        do {
            try verifyRegistration([DepShippingParent.self], dependencies: WorkflowDependencies().with(DepPayments.self, RecordingPayments("p")))
        } catch { caught = error }
        let refusal = try #require(caught)
        #expect(refusal.code == .missingDependency)
        #expect(refusal.message.contains("DepShipping (declared by") && refusal.message.contains("DepShippingChild"), "\(refusal.message)")
        let all = WorkflowDependencies().with(DepPayments.self, RecordingPayments("p")).with(DepShipping.self, "by boat")
        #expect(try verifyRegistration([DepShippingParent.self], dependencies: all) == [DepShippingChild.name, DepShippingParent.name].sorted())
    }

    @Test("a declared dependency not given is refused at open, naming every missing key and who declares it")
    func declaredMissingRefusedAtOpen() async throws {
        try await withDirectory { dir in
            let refusal = try #require(await caught {
                _ = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: [DepShippingParent.self])
            } as? WorkflowError)
            #expect(refusal.code == .missingDependency)
            for part in ["DepPayments (declared by", "DepShippingParent", "DepShipping (declared by", "DepShippingChild", "given: none"] {
                #expect(refusal.message.contains(part), "\(part) in: \(refusal.message)")
            }
            // Refused before anything was opened: no log was created.
            #expect(!FileManager.default.fileExists(atPath: dir))

            // One given, the other still missing: only it is named.
            let partial = try #require(await caught {
                _ = try await WorkflowEngine.open(
                    directory: dir, configuration: testConfiguration(), workflows: [DepShippingParent.self],
                    dependencies: WorkflowDependencies().with(DepPayments.self, RecordingPayments("p")))
            } as? WorkflowError)
            #expect(partial.code == .missingDependency)
            #expect(partial.message.contains("DepShipping (declared by") && !partial.message.contains("DepPayments (declared by"), "\(partial.message)")
            #expect(partial.message.contains("given: \(String(reflecting: DepPayments.self))"), "\(partial.message)")

            // Both given: it opens, and the child reads its value.
            let dependencies = WorkflowDependencies().with(DepPayments.self, RecordingPayments("p")).with(DepShipping.self, "by boat")
            let running = try await DepEngine(dir, [DepShippingParent.self], dependencies)
            #expect(try await result(try await running.engine.start(DepShippingParent.self, input: 1)) == "by boat")
            try await running.stop()
        }
    }

    @Test("parallel branches and a child (in a blocking step too) reach the engine's dependencies")
    func reachesBranchesAndChildren() async throws {
        let payments = RecordingPayments("shared")
        let dependencies = WorkflowDependencies().with(DepPayments.self, payments).with(DepNotes.self, RecordingPayments("notes"))
        try await withTestEngine(workflows: [DepFanOut.self], dependencies: dependencies) { engine in
            let charges = try await result(try await engine.start(DepFanOut.self, input: 0, id: "fan"))
            #expect(charges == ["shared-1", "shared-2", "shared-3", "shared-40"])
        }
        #expect(payments.recorded.sorted() == ["branch-1:1", "branch-2:2", "branch-3:3", "child-from-notes:40"])
    }

    @Test("after a restart the resumed workflow uses the new process's dependencies; recorded steps call nothing", arguments: [false, true])
    func restartUsesNewDependencies(crash: Bool) async throws {
        let before = RecordingPayments("before")
        let after = RecordingPayments("after")
        try await withDirectory { dir in
            let first = try await DepEngine(dir, [DepTwoCharges.self], WorkflowDependencies().with(DepPayments.self, before))
            _ = try await first.engine.start(DepTwoCharges.self, input: 10, id: "two")
            try await waitForEvent(first.engine, "two", .receiveStarted)  // the first step's outcome is durable
            try await first.stop(crash: crash)

            let second = try await DepEngine(dir, [DepTwoCharges.self], WorkflowDependencies().with(DepPayments.self, after))
            try await second.engine.send("now", to: "two", topic: "go")
            let charges = try await result(second.engine.handle(for: "two", of: DepTwoCharges.self))
            #expect(charges == ["before-10", "after-11"])
            try await second.stop()
        }
        #expect(before.recorded == ["first:10"])
        #expect(after.recorded == ["second:11"])
    }

    @Test("the determinism checker needs no dependency for lookups in recorded steps, and fakes for lookups in a body")
    func replayAndDependencies() async throws {
        let directory = TemporaryDirectory(prefix: "cairn-dependency-replay")
        defer { directory.remove() }
        let recording = RecordingPayments("recording")
        let dependencies = WorkflowDependencies().with(DepPayments.self, recording)
        try await FixtureRecorder.record(DepCheckout.self, input: 3, id: "in-step", dependencies: dependencies, into: directory.path + "/step")
        try await FixtureRecorder.record(DepBodyLookup.self, input: 4, id: "in-body", dependencies: dependencies, into: directory.path + "/body")
        #expect(recording.recorded == ["charge:3", "body:4"])

        // Lookups inside recorded steps do not run on replay: no dependency needed.
        try await Replayer(workflows: [DepCheckout.self]).verify(directory: directory.path + "/step")

        // A lookup in the body runs on replay: without a fake, the replay fails and names the missing key.
        let bare = try await Replayer(workflows: [DepBodyLookup.self]).replay(directory: directory.path + "/body")
        #expect(!bare.isClean)
        #expect(bare.description.contains("missingDependency") && bare.description.contains("DepPayments"), "\(bare)")
        // With a fake it replays clean, and the fake is not called: the step's result is recorded.
        let fake = RecordingPayments("fake")
        try await Replayer(workflows: [DepBodyLookup.self], dependencies: WorkflowDependencies().with(DepPayments.self, fake))
            .verify(directory: directory.path + "/body")
        #expect(fake.recorded.isEmpty)

        // The double replay runs the workflow live with the given fakes, then replays it.
        let double = RecordingPayments("double")
        let report = try await DoubleReplay.check(
            DepBodyLookup.self, input: 5, dependencies: WorkflowDependencies().with(DepPayments.self, double))
        #expect(report.isClean, "\(report)")
        #expect(double.recorded == ["body:5"])
    }

    @Test("a container holds one value per key, replaced by a later one, removed by nil")
    func containerKeys() {
        var dependencies = WorkflowDependencies().with(DepShipping.self, "first").with(DepShipping.self, "second")
        #expect(dependencies[DepShipping.self] == "second")
        #expect(dependencies[DepPayments.self] == nil)
        dependencies[DepShipping.self] = nil
        #expect(dependencies[DepShipping.self] == nil)
    }
}
