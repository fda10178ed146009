@testable import Cairn
import CairnLog
import CairnTestSupport
import Foundation
import Testing

// MARK: Error types

/// A durable error, registered by the workflows below that declare it.
struct PaymentDeclined: DurableError, Equatable, CustomStringConvertible {
    static let errorType = "test-payment-declined"
    var reason: String
    var code: Int
    var description: String { "declined: \(reason) (\(code))" }
}

/// Recorded under ``PaymentDeclined``'s name, with a field its records lack: they no longer decode as it.
struct PaymentDeclinedChanged: DurableError {
    static let errorType = "test-payment-declined"
    var reason: String
    var currency: String
}

/// A second type claiming ``PaymentDeclined``'s name.
struct PaymentDeclinedImpostor: DurableError {
    static let errorType = "test-payment-declined"
}

/// A durable error that retrying cannot cure.
struct CardExpired: DurableError, NonRetryableError, Equatable {
    static let errorType = "test-card-expired"
    var month: Int
}

/// An error type "of a library": not retried when a policy lists it.
struct ForeignError: Error {}

/// An ordinary, retryable error.
struct TransientError: Error {}

// MARK: Workflows

/// A step "charge" fails each of its attempts (`label`: how many) with ``PaymentDeclined`` (code = the attempt);
/// the workflow catches it by type, or as a ``StepFailure`` when the type is not registered, then runs a step
/// "after" held at the probe's gate "after" (so a test can crash after the failure is recorded).
enum TypedCharge {
    struct Output: Codable, Sendable, Equatable {
        var declined: PaymentDeclined?
        var stepFailure: String?
    }

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Output {
        let probe = Probe.get(input.probe)
        let attempts = Int(input.label) ?? 1
        var output = Output()
        do {
            _ = try await context.step("charge", retry: RetryPolicy(maxAttempts: attempts, initialInterval: .zero)) { () -> Int in
                let attempt = probe.hit("charge")
                throw PaymentDeclined(reason: "insufficient funds", code: attempt)
            }
        } catch let declined as PaymentDeclined {
            output.declined = declined
        } catch let failure as StepFailure {
            output.stepFailure = "\(failure.errorType): \(failure.message)"
        }
        _ = try await context.step("after") {
            probe.hit("after")
            try await probe.pass("after")
            return 0
        }
        return output
    }
}

struct ChargeDeclaring: Workflow {
    static let name = "test-typed-charge"
    static var errors: [any DurableError.Type] { [PaymentDeclined.self] }
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> TypedCharge.Output {
        try await TypedCharge.run(context, input: input)
    }
}

struct ChargeUndeclared: Workflow {
    static let name = "test-typed-charge-undeclared"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> TypedCharge.Output {
        try await TypedCharge.run(context, input: input)
    }
}

/// Runs a step, then throws ``PaymentDeclined`` (reason `label`, code `n`) from its body.
enum ThrowsDeclined {
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        _ = try await context.step("validate") { input.n }
        throw PaymentDeclined(reason: input.label, code: input.n)
    }
}

struct FailsDeclared: Workflow {
    static let name = "test-typed-fails"
    static var errors: [any DurableError.Type] { [PaymentDeclined.self] }
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int { try await ThrowsDeclined.run(context, input: input) }
}

/// ``FailsDeclared`` after its error type was removed from its declaration.
struct FailsUndeclared: Workflow {
    static let name = "test-typed-fails"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int { try await ThrowsDeclined.run(context, input: input) }
}

/// ``FailsDeclared`` after its error type's fields changed.
struct FailsChangedType: Workflow {
    static let name = "test-typed-fails"
    static var errors: [any DurableError.Type] { [PaymentDeclinedChanged.self] }
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int { try await ThrowsDeclined.run(context, input: input) }
}

/// Declares ``PaymentDeclinedImpostor``: opening it beside ``FailsDeclared`` is refused.
struct DeclaresImpostor: Workflow {
    static let name = "test-typed-impostor"
    static var errors: [any DurableError.Type] { [PaymentDeclinedImpostor.self] }
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int { 0 }
}

/// Runs ``FailsDeclared`` as a child and catches its typed error (registered through the child's declaration, not
/// its own), then runs a step held at the probe's gate "after".
struct TypedParent: Workflow {
    static let name = "test-typed-parent"
    static var children: [any Workflow.Type] { [FailsDeclared.self] }
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = Probe.get(input.probe)
        let caught: String
        do {
            _ = try await context.runChild(FailsDeclared.self, input: ProbeInput(probe: input.probe, n: 402, label: "over limit"))
            caught = "no error"
        } catch let declined as PaymentDeclined {
            caught = "caught \(declined.reason) \(declined.code)"
        }
        _ = try await context.step("after") {
            try await probe.pass("after")
            return 0
        }
        return caught
    }
}

/// A step "call" with 5 attempts that throws, per `label`: "protocol" a ``CardExpired`` (a NonRetryableError),
/// "listed" a ``ForeignError`` (in the policy's nonRetryable), else a ``TransientError``. Returns what it caught.
struct RetryKinds: Workflow {
    static let name = "test-typed-retry-kinds"
    static var errors: [any DurableError.Type] { [CardExpired.self] }
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = Probe.get(input.probe)
        let policy = RetryPolicy(maxAttempts: 5, initialInterval: .zero, nonRetryable: [ForeignError.self])
        do {
            _ = try await context.step("call", retry: policy) { () -> Int in
                probe.hit("call")
                switch input.label {
                case "protocol": throw CardExpired(month: 7)
                case "listed": throw ForeignError()
                default: throw TransientError()
                }
            }
            return "no error"
        } catch let expired as CardExpired {
            return "expired \(expired.month)"
        } catch let failure as StepFailure {
            return failure.errorType
        }
    }
}

/// Stand-ins for CairnTestingTests' fixture workflows, whose histories the format-v1 log records, with a durable error
/// registered under the name those records give their (plain) error.
struct FixtureOrder: Codable, Sendable {
    var id: String
    var amount: Int
}

struct FixtureDeclined: DurableError, CustomStringConvertible {
    static let errorType = "CairnTestingTests.Declined"
    var description: String { "card declined" }
}

struct FixtureFailure: Workflow {
    static let name = "fx-failure"
    static var errors: [any DurableError.Type] { [FixtureDeclined.self] }
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        _ = try await context.step("validate") { input }
        throw FixtureDeclined()
    }
}

struct FixtureStepFailure: Workflow {
    static let name = "fx-step-failure"
    static var errors: [any DurableError.Type] { [FixtureDeclined.self] }
    static func run(_ context: WorkflowContext, input: FixtureOrder) async throws -> String {
        do {
            _ = try await context.step("charge", retry: RetryPolicy(maxAttempts: 3, initialInterval: .milliseconds(1))) { () -> Int in
                throw FixtureDeclined()
            }
            return "charged"
        } catch let failure as StepFailure {
            return try await context.step("release", input: failure.message) { "released after: \(failure.message)" }
        }
    }
}

// MARK: Tests

@Suite struct TypedErrorTests {
    @Test("a step's durable error, after its retries, is caught by the workflow as the same type and value; the record carries it")
    func stepErrorIsCaughtByType() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("after")
            try await withEngine(dir, [ChargeDeclaring.self]) { engine in
                let handle = try await engine.start(ChargeDeclaring.self, input: ProbeInput(probe: probe.key, label: "3"), id: "charge")
                try await probe.waitForArrival("after")
                let ops = try await operations(engine, "charge")
                // Two failed attempts waited for the next one; the third's failure is the step's.
                #expect(ops.prefix(2).map(\.kind) == [.retryWaitStarted, .retryWaitStarted])
                let failed = try #require(ops.first { $0.kind != .retryWaitStarted })
                #expect(failed.kind == .stepFailed && failed.errorType == PaymentDeclined.errorType)
                #expect(failed.flags.contains(.encodedError))
                let recorded = try #require(WorkflowFailure(recordedBy: failed))
                #expect(recorded.message == "declined: insufficient funds (3)")
                #expect(try decodePayload(PaymentDeclined.self, try #require(recorded.value)) == PaymentDeclined(reason: "insufficient funds", code: 3))
                #expect(failed.shownPayload == Array("declined: insufficient funds (3)".utf8))
                probe.openAll()
                let output = try await result(handle)
                #expect(output.declined == PaymentDeclined(reason: "insufficient funds", code: 3))
                #expect(probe.count("charge") == 3)
            }
            let replays = try await WorkflowEngine.replay(directory: dir, workflows: [ChargeDeclaring.self], mode: .strict)
            #expect(replays.map(\.isClean) == [true], "\(replays)")
        }
    }

    @Test("after a crash, replay of the recorded failure throws the same typed error, without running the step again")
    func replayGivesTheTypedError() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("after")
            let first = try await RunningEngine.start(dir, [ChargeDeclaring.self])
            _ = try await first.engine.start(ChargeDeclaring.self, input: ProbeInput(probe: probe.key, label: "2"), id: "charge")
            try await probe.waitForArrival("after")
            try await first.crash()
            probe.openAll()

            let second = try await RunningEngine.start(dir, [ChargeDeclaring.self])
            let output = try await result(second.engine.handle(for: "charge", of: ChargeDeclaring.self))
            try await second.shutdown()
            #expect(probe.count("charge") == 2, "a recorded failure is not retried on replay")
            #expect(probe.count("after") == 2, "the step after the failure ran again: it was not recorded")
            #expect(output.declined == PaymentDeclined(reason: "insufficient funds", code: 2))
        }
    }

    @Test("handle.result() throws the workflow's durable error, live and after the engine is opened again")
    func handleThrowsTheTypedError() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let expected = PaymentDeclined(reason: "over limit", code: 402)
            try await withEngine(dir, [FailsDeclared.self]) { engine in
                let handle = try await engine.start(FailsDeclared.self, input: ProbeInput(probe: probe.key, n: 402, label: "over limit"), id: "fails")
                let error = await caught { _ = try await result(handle) }
                #expect(error as? PaymentDeclined == expected, "\(String(describing: error))")
                let failure = try #require(try await handle.summary().failure)
                #expect(failure.errorType == PaymentDeclined.errorType && failure.message == "declined: over limit (402)")
                // Where no caller threw it: a summary's failure and the history's decode to the same value.
                #expect(try failure.decode(PaymentDeclined.self) == expected)
                #expect(try failure.decode(CardExpired.self) == nil, "another errorType: not this one")
                #expect(code(await caught { _ = try failure.decode(PaymentDeclinedChanged.self) }) == .undecodablePayload)
                let ended = try #require(try await engine.history(of: "fails").collect().last)
                guard case .failed(let recorded) = ended.details else { Issue.record("ends with \(ended.details)"); return }
                #expect(try recorded.decode(PaymentDeclined.self) == expected)
            }
            try await withEngine(dir, [FailsDeclared.self]) { engine in
                let error = await caught { _ = try await result(engine.handle(for: "fails", of: FailsDeclared.self)) }
                #expect(error as? PaymentDeclined == expected, "\(String(describing: error))")
            }
        }
    }

    @Test("a parent catches its child's durable error, registered by the child's declaration, live and on replay after a crash")
    func parentCatchesTheChildsTypedError() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("after")
            let first = try await RunningEngine.start(dir, [TypedParent.self])
            _ = try await first.engine.start(TypedParent.self, input: ProbeInput(probe: probe.key), id: "parent")
            try await probe.waitForArrival("after")
            let ops = try await operations(first.engine, "parent")
            let childResult = try #require(ops.first { $0.kind == .childCompleted })
            #expect(childResult.errorType == PaymentDeclined.errorType && childResult.flags.contains(.encodedError))
            try await first.crash()
            probe.openAll()

            let second = try await RunningEngine.start(dir, [TypedParent.self])
            let output = try await result(second.engine.handle(for: "parent", of: TypedParent.self))
            try await second.shutdown()
            #expect(output == "caught over limit 402")
            let replays = try await WorkflowEngine.replay(directory: dir, workflows: [TypedParent.self], ids: ["parent"], mode: .strict)
            #expect(replays.map(\.isClean) == [true], "\(replays)")
        }
    }

    @Test("an error type no registered workflow declares comes back as WorkflowFailure / StepFailure with the recorded name and message")
    func unregisteredTypeFallsBack() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [ChargeUndeclared.self]) { engine in
                let output = try await result(try await engine.start(ChargeUndeclared.self, input: ProbeInput(probe: probe.key, label: "1")))
                #expect(output.declined == nil)
                #expect(output.stepFailure == "test-payment-declined: declined: insufficient funds (1)")
            }
        }
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [FailsDeclared.self]) { engine in
                let handle = try await engine.start(FailsDeclared.self, input: ProbeInput(probe: probe.key, n: 7, label: "stolen"), id: "fails")
                #expect(await caught { _ = try await result(handle) } is PaymentDeclined)
            }
            // The type is no longer declared: the same record reads as text.
            try await withEngine(dir, [FailsUndeclared.self]) { engine in
                let error = await caught { _ = try await result(engine.handle(for: "fails", of: FailsUndeclared.self)) }
                let failure = try #require(error as? WorkflowFailure, "\(String(describing: error))")
                #expect(failure == WorkflowFailure(errorType: "test-payment-declined", message: "declined: stolen (7)"))
            }
            // Declared, but its fields changed: the recorded bytes do not decode; text again, no crash.
            try await withEngine(dir, [FailsChangedType.self]) { engine in
                let error = await caught { _ = try await result(engine.handle(for: "fails", of: FailsChangedType.self)) }
                let failure = try #require(error as? WorkflowFailure, "\(String(describing: error))")
                #expect(failure == WorkflowFailure(errorType: "test-payment-declined", message: "declined: stolen (7)"))
            }
        }
    }

    @Test("two error types under one errorType are refused at open")
    func conflictingErrorTypesAreRefused() async throws {
        try await withDirectory { dir in
            let error = await caught { _ = try await WorkflowEngine.open(directory: dir, workflows: [FailsDeclared.self, DeclaresImpostor.self]) }
            let refusal = try #require(error as? WorkflowError, "\(String(describing: error))")
            #expect(refusal.code == .idConflict)
            #expect(refusal.message.contains("test-payment-declined") && refusal.message.contains("PaymentDeclinedImpostor"))
            #expect(!FileManager.default.fileExists(atPath: dir), "nothing was opened")
        }
    }

    @Test(
        "a non-retryable error (by protocol, or listed in the policy) runs the step once; another is retried",
        arguments: [("protocol", 1, "expired 7"), ("listed", 1, "CairnTests.ForeignError"), ("plain", 5, "CairnTests.TransientError")])
    func nonRetryableErrorsRunOnce(label: String, attempts: Int, expected: String) async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [RetryKinds.self]) { engine in
                let output = try await result(try await engine.start(RetryKinds.self, input: ProbeInput(probe: probe.key, label: label)))
                #expect(output == expected)
                #expect(probe.count("call") == attempts)
            }
        }
    }

    @Test("RetryPolicy.retries: by protocol, by exact listed type, everything else")
    func retryDecision() {
        let policy = RetryPolicy(maxAttempts: 3, nonRetryable: [ForeignError.self])
        #expect(!policy.retries(CardExpired(month: 1)))
        #expect(!policy.retries(ForeignError()))
        #expect(policy.retries(TransientError()))
        #expect(RetryPolicy(maxAttempts: 3).retries(ForeignError()))
        #expect(policy == RetryPolicy(maxAttempts: 3, nonRetryable: [ForeignError.self]))
        #expect(policy != RetryPolicy(maxAttempts: 3, nonRetryable: [TransientError.self]))
        #expect(policy.hashValue == RetryPolicy(maxAttempts: 3, nonRetryable: [ForeignError.self]).hashValue)
    }

    @Test("jitter draws each wait between (1 − jitter) × its backoff and the backoff, from the generator given", arguments: [0.0, 0.1, 0.5, 1.0])
    func jitterStaysWithinBounds(jitter: Double) {
        let policy = RetryPolicy(maxAttempts: 20, initialInterval: .milliseconds(100), maxInterval: .seconds(30), jitter: jitter)
        var random = SeededGenerator(seed: 12)
        var drawn: Set<Duration> = []
        for attempt in 1...19 {
            let backoff = policy.delay(after: attempt)
            for _ in 0..<50 {
                let wait = policy.delay(after: attempt, using: &random)
                #expect(wait <= backoff && wait <= .seconds(30), "attempt \(attempt): \(wait) over \(backoff)")
                #expect(wait.inSeconds >= backoff.inSeconds * (1 - jitter) - 1e-9, "attempt \(attempt): \(wait) under the jitter's bound")
                if attempt == 1 { drawn.insert(wait) }
            }
        }
        #expect(jitter == 0 ? drawn == [.milliseconds(100)] : drawn.count > 40, "jitter \(jitter) draws \(drawn.count) waits")
        // The same seed draws the same waits.
        var a = SeededGenerator(seed: 99)
        var b = SeededGenerator(seed: 99)
        #expect((1...10).map { policy.delay(after: $0, using: &a) } == (1...10).map { policy.delay(after: $0, using: &b) })
    }

    @Test("jitter: 0 by default; out-of-range values are brought into range, also when set past the initializer")
    func jitterDefaultsAndClamps() {
        #expect(RetryPolicy(maxAttempts: 3).jitter == 0)
        #expect(RetryPolicy.exponential(maxAttempts: 3).jitter == 0)
        #expect(RetryPolicy(maxAttempts: 3, jitter: 0.25).jitter == 0.25)
        #expect(RetryPolicy(maxAttempts: 3, jitter: 7).jitter == 1)
        #expect(RetryPolicy(maxAttempts: 3, jitter: -1).jitter == 0)
        #expect(RetryPolicy(maxAttempts: 3, jitter: .nan).jitter == 0)
        var policy = RetryPolicy(maxAttempts: 3, initialInterval: .seconds(1))
        var random = SeededGenerator(seed: 1)
        policy.jitter = .nan
        #expect(policy.delay(after: 1, using: &random) == .seconds(1))
        policy.jitter = 5
        #expect((0..<20).allSatisfy { _ in policy.delay(after: 2, using: &random) <= .seconds(2) })
        policy.jitter = -5
        #expect(policy.delay(after: 2, using: &random) == .seconds(2))
    }

    @Test("a compaction summary of a failed workflow keeps the error's value; a record without the flag reads as text")
    func summaryRecordKeepsTheValue() throws {
        var failure = WorkflowFailure(errorType: PaymentDeclined.errorType, message: "declined: x (1)")
        failure.value = try JSONPayloadCodec().encode(PaymentDeclined(reason: "x", code: 1))
        let record = WorkflowSummaryRecord(
            workflowID: "w", name: "n", status: .failed, startedAt: 1, finishedAt: 2, parentID: nil, parentPosition: nil,
            failure: failure, output: [], input: [1], events: [])
        let event = record.event
        #expect(event.flags == .encodedError)
        #expect(EventKind.workflowSummary.declaration.misfits(event).isEmpty)
        let bytes = event.encoded()
        let decoded = try bytes.withUnsafeBytes { try Event(lsn: LSN(1), tag: event.kind.rawValue, bytes: $0) }
        #expect(WorkflowSummaryRecord(decoded)?.failure == failure)
        #expect(WorkflowSummaryRecord(decoded)?.result == Array("declined: x (1)".utf8), "shown as its message")

        // Without the flag the payload is the message, however it looks.
        let plain = WorkflowFailure(errorType: "E", recordedPayload: failure.recordedPayload, flags: [])
        #expect(plain.value == nil && plain.message == String(decoding: failure.recordedPayload, as: UTF8.self))
        // A flagged payload whose frame does not parse is kept whole as the message, without a value.
        let torn = WorkflowFailure(errorType: "E", recordedPayload: [0xFF], flags: .encodedError)
        #expect(torn.value == nil && torn.message == String(decoding: [0xFF] as [UInt8], as: UTF8.self))
    }

    @Test("the format-v1 log opens and replays with a durable error registered under its failures' recorded name: old records read as text")
    func formatV1StillOpensAndReplays() async throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/format-v1").path
        let workflows: [any Workflow.Type] = [FixtureFailure.self, FixtureStepFailure.self]
        let replays = try await WorkflowEngine.replay(
            directory: fixture, workflows: workflows, ids: ["failure-1", "step-failure-1"], mode: .strict)
        #expect(replays.count == 2 && replays.allSatisfy(\.isClean), "\(replays)")
        try await withDirectory { dir in
            try FileManager.default.copyItem(atPath: fixture, toPath: dir)
            let engine = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: workflows)
            let error = await caught { _ = try await engine.handle(for: "failure-1", of: FixtureFailure.self).result() }
            #expect(error as? WorkflowFailure == WorkflowFailure(errorType: FixtureDeclined.errorType, message: "card declined"), "\(String(describing: error))")
            #expect(try await engine.handle(for: "step-failure-1", of: FixtureStepFailure.self).result() == "released after: card declined")
            await engine.shutdown()
        }
    }
}
