import Cairn
import CairnTesting
import Foundation
import Testing

// The divergence corpus: for each kind of change, a v1 workflow is recorded and replayed by a v2 under the same
// name, in structure and strict mode. `flaggedIn` says which modes must report it.

private let charge = "charge"

enum BaseV1: Workflow {
    static let name = "corpus"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("reserve", input: input) { input + 1 }
        try await context.sleep(for: .seconds(60))
        try await context.send("paid", to: "mailer", topic: "receipts")
        let child = try await context.runChild(CorpusChild.self, input: a)
        let b = try await context.step(charge, input: a) { a * 2 }
        return try await context.step("ship") { b + child }
    }
}

enum CorpusChild: Workflow {
    static let name = "corpus-child"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int { input }
}

enum OtherChild: Workflow {
    static let name = "corpus-other-child"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int { input }
}

/// The same code: the control.
enum NoChange: Workflow {
    static let name = "corpus"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int { try await BaseV1.run(context, input: input) }
}

/// Renamed locals, an extracted helper, pure computations reordered: must replay clean.
enum BenignRefactor: Workflow {
    static let name = "corpus"
    static func shipAndTotal(_ context: WorkflowContext, charged: Int, child: Int) async throws -> Int {
        try await context.step("ship") { charged + child }
    }
    static func run(_ context: WorkflowContext, input amount: Int) async throws -> Int {
        let unused = amount * 3  // a pure computation moved up
        let reserved = try await context.step("reserve", input: amount) { amount + 1 }
        try await context.sleep(for: .seconds(60))
        try await context.send("paid", to: "mailer", topic: "receipts")
        let fromChild = try await context.runChild(CorpusChild.self, input: reserved)
        _ = unused
        let charged = try await context.step("charge", input: reserved) { reserved * 2 }
        return try await shipAndTotal(context, charged: charged, child: fromChild)
    }
}

enum Reordered: Workflow {
    static let name = "corpus"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.sleep(for: .seconds(60))
        let a = try await context.step("reserve", input: input) { input + 1 }
        try await context.send("paid", to: "mailer", topic: "receipts")
        let child = try await context.runChild(CorpusChild.self, input: a)
        let b = try await context.step(charge, input: a) { a * 2 }
        return try await context.step("ship") { b + child }
    }
}

enum Renamed: Workflow {
    static let name = "corpus"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("reserve-stock", input: input) { input + 1 }
        try await context.sleep(for: .seconds(60))
        try await context.send("paid", to: "mailer", topic: "receipts")
        let child = try await context.runChild(CorpusChild.self, input: a)
        let b = try await context.step(charge, input: a) { a * 2 }
        return try await context.step("ship") { b + child }
    }
}

enum Inserted: Workflow {
    static let name = "corpus"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("reserve", input: input) { input + 1 }
        _ = try await context.step("audit") { true }
        try await context.sleep(for: .seconds(60))
        try await context.send("paid", to: "mailer", topic: "receipts")
        let child = try await context.runChild(CorpusChild.self, input: a)
        let b = try await context.step(charge, input: a) { a * 2 }
        return try await context.step("ship") { b + child }
    }
}

enum Removed: Workflow {
    static let name = "corpus"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("reserve", input: input) { input + 1 }
        try await context.sleep(for: .seconds(60))
        try await context.send("paid", to: "mailer", topic: "receipts")
        let child = try await context.runChild(CorpusChild.self, input: a)
        return try await context.step(charge, input: a) { a * 2 + child }
    }
}

enum ChangedKind: Workflow {
    static let name = "corpus"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("reserve", input: input) { input + 1 }
        _ = try await context.step("wait") { 0 }  // was a sleep
        try await context.send("paid", to: "mailer", topic: "receipts")
        let child = try await context.runChild(CorpusChild.self, input: a)
        let b = try await context.step(charge, input: a) { a * 2 }
        return try await context.step("ship") { b + child }
    }
}

enum ChangedInput: Workflow {
    static let name = "corpus"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("reserve", input: input + 1000) { input + 1 }
        try await context.sleep(for: .seconds(60))
        try await context.send("paid", to: "mailer", topic: "receipts")
        let child = try await context.runChild(CorpusChild.self, input: a)
        let b = try await context.step(charge, input: a) { a * 2 }
        return try await context.step("ship") { b + child }
    }
}

enum ChangedSleep: Workflow {
    static let name = "corpus"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("reserve", input: input) { input + 1 }
        try await context.sleep(for: .seconds(90))
        try await context.send("paid", to: "mailer", topic: "receipts")
        let child = try await context.runChild(CorpusChild.self, input: a)
        let b = try await context.step(charge, input: a) { a * 2 }
        return try await context.step("ship") { b + child }
    }
}

enum ChangedTopic: Workflow {
    static let name = "corpus"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("reserve", input: input) { input + 1 }
        try await context.sleep(for: .seconds(60))
        try await context.send("paid", to: "mailer", topic: "invoices")
        let child = try await context.runChild(CorpusChild.self, input: a)
        let b = try await context.step(charge, input: a) { a * 2 }
        return try await context.step("ship") { b + child }
    }
}

enum ChangedDestination: Workflow {
    static let name = "corpus"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("reserve", input: input) { input + 1 }
        try await context.sleep(for: .seconds(60))
        try await context.send("paid", to: "billing", topic: "receipts")
        let child = try await context.runChild(CorpusChild.self, input: a)
        let b = try await context.step(charge, input: a) { a * 2 }
        return try await context.step("ship") { b + child }
    }
}

enum ChangedChild: Workflow {
    static let name = "corpus"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("reserve", input: input) { input + 1 }
        try await context.sleep(for: .seconds(60))
        try await context.send("paid", to: "mailer", topic: "receipts")
        let child = try await context.runChild(OtherChild.self, input: a)
        let b = try await context.step(charge, input: a) { a * 2 }
        return try await context.step("ship") { b + child }
    }
}

@Suite struct DivergenceCorpusTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var v2: any Workflow.Type
        var flaggedInStructure: Bool
        var flaggedInStrict: Bool
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "no change (control)", v2: NoChange.self, flaggedInStructure: false, flaggedInStrict: false),
        Case(label: "benign refactor", v2: BenignRefactor.self, flaggedInStructure: false, flaggedInStrict: false),
        Case(label: "reorder", v2: Reordered.self, flaggedInStructure: true, flaggedInStrict: true),
        Case(label: "rename", v2: Renamed.self, flaggedInStructure: true, flaggedInStrict: true),
        Case(label: "inserted operation", v2: Inserted.self, flaggedInStructure: true, flaggedInStrict: true),
        Case(label: "removed operation", v2: Removed.self, flaggedInStructure: true, flaggedInStrict: true),
        Case(label: "changed kind", v2: ChangedKind.self, flaggedInStructure: true, flaggedInStrict: true),
        Case(label: "changed step input", v2: ChangedInput.self, flaggedInStructure: false, flaggedInStrict: true),
        Case(label: "changed sleep duration", v2: ChangedSleep.self, flaggedInStructure: false, flaggedInStrict: true),
        Case(label: "changed send topic", v2: ChangedTopic.self, flaggedInStructure: false, flaggedInStrict: true),
        Case(label: "changed send destination", v2: ChangedDestination.self, flaggedInStructure: false, flaggedInStrict: true),
        Case(label: "changed child workflow", v2: ChangedChild.self, flaggedInStructure: false, flaggedInStrict: true),
    ]

    @Test(arguments: cases)
    func corpusCase(_ c: Case) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await FixtureRecorder.record(BaseV1.self, input: 7, id: "corpus-1", workflows: [CorpusChild.self], into: directory.path)
        for (mode, expected) in [(DeterminismMode.structure, c.flaggedInStructure), (.strict, c.flaggedInStrict)] {
            let report = try await Replayer(workflows: [c.v2, CorpusChild.self, OtherChild.self], mode: mode)
                .replay(directory: directory.path, ids: ["corpus-1"])
            let result = try #require(report.results.first)
            #expect(!result.isClean == expected, "\(c.label) in \(mode) mode: \(report)")
            if expected, case .diverged(let divergence) = result.outcome {
                // Every report names the workflow, its name, a position and at least one call site.
                #expect(divergence.workflowID == "corpus-1")
                #expect(divergence.workflowName == "corpus")
                #expect(divergence.recorded?.callSite != nil || divergence.attempted?.callSite != nil)
                #expect(report.description.contains("corpus-1"))
            }
        }
    }

    @Test func reportShowsBothCallSitesAndTheDifference() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await FixtureRecorder.record(BaseV1.self, input: 7, id: "corpus-1", workflows: [CorpusChild.self], into: directory.path)
        let report = try await Replayer(workflows: [ChangedInput.self, CorpusChild.self]).replay(directory: directory.path)
        let divergence = try #require(report.divergences.first)
        #expect(divergence.position == Position([0]))
        #expect(divergence.recorded?.callSite?.file == "CairnTestingTests/DivergenceCorpusTests.swift")
        #expect(divergence.attempted?.callSite?.file == "CairnTestingTests/DivergenceCorpusTests.swift")
        #expect(divergence.recorded?.callSite?.line != divergence.attempted?.callSite?.line)
        #expect(divergence.reason == "the step's input changed")
        #expect(report.description.contains("recorded:"))
        #expect(report.description.contains("attempted:"))
    }

    @Test func everyDivergentWorkflowIsReported() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await withTestEngine(workflows: [BaseV1.self, CorpusChild.self], directory: directory.path) { engine in
            for i in 0..<3 { _ = try await engine.start(BaseV1.self, input: i, id: "corpus-\(i)").result() }
        }
        let report = try await Replayer(workflows: [Renamed.self, CorpusChild.self]).replay(directory: directory.path)
        #expect(Set(report.divergences.map(\.workflowID)) == ["corpus-0", "corpus-1", "corpus-2"])
        #expect(report.results.filter(\.isClean).map(\.workflowName).allSatisfy { $0 == "corpus-child" })
    }

    @Test func missingCodeIsReported() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await FixtureRecorder.record(BaseV1.self, input: 7, id: "corpus-1", workflows: [CorpusChild.self], into: directory.path)
        let report = try await Replayer(workflows: [CorpusChild.self]).replay(directory: directory.path)
        let missing = try #require(report.results.first { $0.workflowID == "corpus-1" })
        guard case .codeMissing = missing.outcome else {
            Issue.record("expected code missing, got \(missing)")
            return
        }
        #expect(!report.isClean)
    }
}
