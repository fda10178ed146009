@testable import Cairn
import CairnLog
import Foundation
import Testing

/// The value types of one deploy of ``Evolving``: what its operations return and what its input carries.
protocol Deploy: Sendable {
    associatedtype Value: Codable & Sendable
    static func make() -> Value
    static func show(_ value: Value) -> Int
}

/// The first deploy: values are plain integers.
enum OldDeploy: Deploy {
    static func make() -> Int { 5 }
    static func show(_ value: Int) -> Int { value }
}

/// A deploy that changed the type: the values are now objects, and integers recorded before do not decode.
enum BrokenDeploy: Deploy {
    struct Amount: Codable, Sendable { var cents: Int }
    static func make() -> Amount { Amount(cents: 5) }
    static func show(_ value: Amount) -> Int { value.cents }
}

/// The fix: a type that decodes both the old integers and the new objects.
enum FixedDeploy: Deploy {
    struct Amount: Codable, Sendable {
        var cents: Int
        init(cents: Int) { self.cents = cents }
        init(from decoder: any Decoder) throws {
            if let plain = try? decoder.singleValueContainer().decode(Int.self) {
                cents = plain
            } else {
                cents = try decoder.container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .cents)
            }
        }
    }
    static func make() -> Amount { Amount(cents: 5) }
    static func show(_ value: Amount) -> Int { value.cents }
}

struct EvolvingInput<Value: Codable & Sendable>: Codable, Sendable {
    var probe: String
    /// Which operation carries the evolving value.
    var operation: String
    /// Set when the input itself carries it.
    var value: Value?
}

/// The child of ``Evolving``: returns a value of the deploy's type.
struct EvolvingChild<D: Deploy>: Workflow {
    static var name: String { "test-payload-evolving-child" }
    static func run(_ context: WorkflowContext, input: Int) async throws -> D.Value { D.make() }
}

/// One workflow, deployed three times with different value types: one operation (chosen by the input) carries a
/// value whose type changes; a gated step "hold" follows, where the test crashes it.
struct Evolving<D: Deploy>: Workflow {
    static var name: String { "test-payload-evolving" }

    static func run(_ context: WorkflowContext, input: EvolvingInput<D.Value>) async throws -> Int {
        let probe = Probe.get(input.probe)
        let value: Int
        switch input.operation {
        case "input":
            value = D.show(input.value!)
        case "step":
            value = D.show(try await context.step("price") { D.make() })
        case "child":
            value = D.show(try await context.runChild(EvolvingChild<D>.self, input: 1))
        case "receive":
            value = D.show(try await context.receive(D.Value.self, topic: "price")!)
        case "event":
            try await context.setEvent("price", D.make())
            value = D.show(try await context.event(D.Value.self, key: "price", of: context.workflowID)!)
        case "record":
            value = D.show(try await context.record("price") { D.make() })
        default:
            throw WorkflowFailure(errorType: "TestError", message: "unknown operation \(input.operation)")
        }
        _ = try await context.step("hold") {
            probe.hit("hold")
            try await probe.pass("hold")
            return 0
        }
        return value
    }
}

@Suite("Payload evolution: a recorded value that no longer decodes parks the workflow until a fix")
struct PayloadEvolutionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var operation: String
        /// Words the park reason must contain (besides the workflow, the type and what to do).
        var what: String
        /// The position the reason names; nil for the input.
        var position: String?
        var testDescription: String { operation }
    }

    static let cases: [Case] = [
        Case(operation: "input", what: "input", position: nil),
        Case(operation: "step", what: "step 'price'", position: "0"),
        Case(operation: "child", what: "child workflow", position: "1"),
        Case(operation: "receive", what: "message received on 'price'", position: "0"),
        Case(operation: "event", what: "event 'price'", position: "1"),
        Case(operation: "record", what: "recorded price", position: "0"),
    ]

    @Test("recorded by one deploy, undecodable in the next: parked with a reason; the fix resumes it", arguments: cases)
    func parkedAcrossDeploys(_ c: Case) async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let id = "evolving-\(c.operation)"
            probe.close("hold")

            // Deploy 1 records the value as an integer, then the process dies at "hold".
            let first = try await RunningEngine.start(dir, [Evolving<OldDeploy>.self, EvolvingChild<OldDeploy>.self])
            _ = try await first.engine.start(
                Evolving<OldDeploy>.self,
                input: EvolvingInput(probe: probe.key, operation: c.operation, value: c.operation == "input" ? 5 : nil), id: id)
            if c.operation == "receive" { try await first.engine.send(5, to: id, topic: "price") }
            try await probe.waitForArrival("hold")
            try await first.crash()

            // Deploy 2 changed the type: the replay cannot decode the record. Parked, not failed.
            let second = try await RunningEngine.start(dir, [Evolving<BrokenDeploy>.self, EvolvingChild<BrokenDeploy>.self])
            try await waitForStatus(second.engine, id, .parked)
            let reason = try #require(second.engine.summary(of: id)?.parkReason)
            #expect(reason.contains("'\(id)'"), "names the workflow: \(reason)")
            #expect(reason.contains(c.what), "names the operation: \(reason)")
            #expect(reason.contains("Amount"), "names the type: \(reason)")
            if let position = c.position {
                #expect(reason.contains("position \(position)"), "names the position: \(reason)")
            }
            #expect(reason.contains("patched(_:)") && reason.contains("resume"), "says what to do: \(reason)")
            #expect(probe.count("hold") == 1, "nothing past the undecodable value ran")
            try await second.shutdown()

            // Deploy 3 decodes both shapes: still parked (nothing resumes it by itself), and resumed by hand it
            // finishes with the value recorded by deploy 1.
            let third = try await RunningEngine.start(dir, [Evolving<FixedDeploy>.self, EvolvingChild<FixedDeploy>.self])
            #expect(third.engine.summary(of: id)?.status == .parked)
            probe.open("hold")
            try await third.engine.resume(id)
            #expect(try await result(third.engine.handle(for: id, of: Evolving<FixedDeploy>.self)) == 5)
            try await third.shutdown()
        }
    }

    @Test("a message of the wrong type received live parks the workflow; after the fix it is received")
    func liveMessageOfAnotherType() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let first = try await RunningEngine.start(dir, [Evolving<BrokenDeploy>.self])
            _ = try await first.engine.start(
                Evolving<BrokenDeploy>.self, input: EvolvingInput(probe: probe.key, operation: "receive", value: nil), id: "live")
            try await first.engine.send(7, to: "live", topic: "price")  // an old sender's integer
            try await waitForStatus(first.engine, "live", .parked)
            #expect(first.engine.summary(of: "live")?.parkReason?.contains("message received on 'price'") == true)
            try await first.shutdown()

            let second = try await RunningEngine.start(dir, [Evolving<FixedDeploy>.self])
            try await second.engine.resume("live")
            #expect(try await result(second.engine.handle(for: "live", of: Evolving<FixedDeploy>.self)) == 7)
            try await second.shutdown()
        }
    }
}

/// A step that throws an error whose description is megabytes long, caught by the workflow.
struct ThrowsHugeErrors: Workflow {
    static let name = "test-huge-errors"

    struct Huge: Error, CustomStringConvertible {
        var size: Int
        var description: String { "start-" + String(repeating: "é", count: size / 2) }
    }

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        do {
            _ = try await context.step("explode") { () async throws -> Int in throw Huge(size: input.n) }
        } catch let failure as StepFailure {
            if input.label == "rethrow" { throw Huge(size: input.n) }
            return failure.message
        }
        return ""
    }
}

@Suite("Payload limits: error texts are cut to size; maxPayloadSize must fit the log's records")
struct PayloadLimitTests {
    @Test("a step error of 8 MB is recorded cut to maxErrorMessageSize, with a marker; the same on replay")
    func hugeStepError() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let size = 8 << 20
            let limit = EngineConfiguration().maxErrorMessageSize
            let live = try await withEngine(dir, [ThrowsHugeErrors.self]) { engine in
                let handle = try await engine.start(ThrowsHugeErrors.self, input: ProbeInput(probe: probe.key, n: size), id: "huge")
                return try await within(.seconds(20), "the result") { try await handle.result() }
            }
            #expect(live.utf8.count <= limit)
            #expect(live.hasPrefix("start-éé"))
            #expect(live.hasSuffix("… [truncated: \(size + 6) bytes in all]"))
            let replays = try await WorkflowEngine.replay(directory: dir, workflows: [ThrowsHugeErrors.self])
            #expect(replays.map(\.isClean) == [true], "\(replays)")
        }
    }

    @Test("a workflow that throws an 8 MB error fails with the message cut to size")
    func hugeWorkflowError() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let size = 8 << 20
            try await withEngine(dir, [ThrowsHugeErrors.self]) { engine in
                let handle = try await engine.start(
                    ThrowsHugeErrors.self, input: ProbeInput(probe: probe.key, n: size, label: "rethrow"), id: "huge")
                let error = await caught { _ = try await within(.seconds(20), "the result") { try await handle.result() } }
                let failure = try #require(error as? WorkflowFailure, "\(String(describing: error).prefix(200))")
                #expect(failure.message.utf8.count <= EngineConfiguration().maxErrorMessageSize)
                #expect(failure.message.hasSuffix("bytes in all]"))
            }
        }
    }

    @Test("maxPayloadSize that does not fit the log's maxRecordSize is refused at open, before anything is written")
    func payloadSizeCheckedAtOpen() async throws {
        let dir = temporaryPath("payload-limit")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var configuration = testConfiguration()
        configuration.maxPayloadSize = configuration.log.maxRecordSize
        let error = await caught { _ = try await WorkflowEngine.open(directory: dir, configuration: configuration) }
        #expect(code(error) == .invalidArgument)
        #expect("\(error!)".contains("maxRecordSize"))
        #expect(!FileManager.default.fileExists(atPath: dir), "nothing was created")

        configuration.maxPayloadSize = configuration.log.maxRecordSize - EngineConfiguration.envelopeAllowance
        try await withEngine(dir, [], configuration: configuration) { _ in }
    }
}

@Suite("Recorded text: cut at a character boundary, with a marker, within the limit")
struct RecordedTextTests {
    @Test(arguments: [0, 5, 40, 41, 100, 4096])
    func cut(limit: Int) {
        let text = String(repeating: "é", count: 10_000) + "end"
        let cut = RecordedText.truncated(text, toBytes: limit)
        #expect(cut.utf8.count <= limit)
        let marker = RecordedText.marker(totalBytes: text.utf8.count)
        if limit >= marker.utf8.count {
            #expect(cut.hasSuffix(marker))
            #expect(text.hasPrefix(cut.dropLast(marker.count)))
            #expect(cut.utf8.count > limit - marker.utf8.count - 2, "keeps all it has room for")
        }
        #expect(RecordedText.truncated("short", toBytes: max(5, limit)) == "short")
    }
}
