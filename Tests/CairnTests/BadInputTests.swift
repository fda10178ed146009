import Cairn
import CairnLog
import Foundation
import Logging
import Testing

/// Version 1 of "test-evolving": step "value" returns an Int, then a gated step "hold".
struct EvolvingV1: Workflow {
    static let name = "test-evolving"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = Probe.get(input.probe)
        let value = try await context.step("value") { 7 }
        _ = try await context.step("hold", countedStep(probe, "hold"))
        return "\(value)"
    }
}

/// Version 2: the same step now returns a struct, so the recorded Int no longer decodes.
struct EvolvingV2: Workflow {
    static let name = "test-evolving"
    struct Value: Codable, Sendable { var amount: Int; var currency: String }
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = Probe.get(input.probe)
        do {
            let value = try await context.step("value") { Value(amount: 7, currency: "EUR") }
            return "\(value)"
        } catch let error as WorkflowError {
            probe.note("error", "\(error.code)|\(error.workflowID ?? "")|\(error.position.map { "\($0)" } ?? "")")
            throw error
        }
    }
}

/// Version 3: the input type changed.
struct EvolvingV3: Workflow {
    static let name = "test-evolving"
    static func run(_ context: WorkflowContext, input: [String]) async throws -> String { "" }
}

/// Tries payloads of `n` bytes in every place a payload goes; notes what each attempt threw.
struct BigPayloads: Workflow {
    static let name = "test-big-payloads"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = Probe.get(input.probe)
        let big = String(repeating: "x", count: input.n)
        func attempt(_ what: String, _ body: () async throws -> Void) async {
            do {
                try await body()
                probe.note(what, "ok")
            } catch let error as WorkflowError {
                probe.note(what, "\(error.code)")
            } catch {
                probe.note(what, "other \(error)")
            }
        }
        await attempt("step result") { _ = try await context.step("big") { big } }
        await attempt("send") { try await context.send(big, to: "elsewhere") }
        await attempt("set event") { try await context.setEvent("big", big) }
        await attempt("step input") { _ = try await context.step("with-input", input: big) { 1 } }
        await attempt("child input") { _ = try await context.startChild(Echo.self, input: big) }
        await attempt("record") { _ = try await context.record("big") { big } }
        if input.label == "return big" { return big }
        return "small"
    }
}

struct Echo: Workflow {
    static let name = "test-echo"
    static func run(_ context: WorkflowContext, input: String) async throws -> String { input }
}

@Suite("Bad input: unknown workflows, undecodable and oversized payloads, corrupt events")
struct BadInputTests {
    @Test("an unfinished workflow whose name is no longer registered is parked and reported; the others run; registering it again resumes it")
    func unknownWorkflowAtRecovery() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("s0")
            probe.close("double")
            let first = try await RunningEngine.start(dir, [CountedSteps.self, Doubler.self])
            _ = try await first.engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 1), id: "kept")
            _ = try await first.engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 21), id: "removed")
            try await probe.waitForArrival("s0")
            try await probe.waitForArrival("double")
            try await first.crash()
            probe.openAll()

            // The code of "test-double" is gone.
            let logs = LogCapture()
            let second = try await RunningEngine.start(dir, [CountedSteps.self], configuration: testConfiguration(logs: logs))
            _ = try await result(second.engine.handle(for: "kept", of: CountedSteps.self))
            try await waitForStatus(second.engine, "removed", .parked)
            let summary = try #require(second.engine.summary(of: "removed"))
            #expect(summary.parkReason?.contains(Doubler.name) == true)
            #expect(summary.parkReason?.contains("not registered") == true)
            #expect(logs.all.contains { $0.level >= .warning && $0.metadata["workflow"] == "removed" })
            #expect(code(await caught { _ = try await second.engine.handle(for: "removed", of: Doubler.self).result() }) == .parked)
            #expect(probe.count("double") == 1)
            // Starting an unregistered workflow is refused up front.
            #expect(code(await caught { _ = try await second.engine.start(Doubler.self, input: ProbeInput(probe: probe.key)) }) == .unknownWorkflow)
            try await second.shutdown()

            // Still parked at a start without it; resumed as soon as a start registers it again.
            let third = try await RunningEngine.start(dir, [CountedSteps.self])
            #expect(third.engine.summary(of: "removed")?.status == .parked)
            try await third.shutdown()
            let fourth = try await RunningEngine.start(dir, [CountedSteps.self, Doubler.self])
            try await waitForStatus(fourth.engine, "removed", .completed)
            #expect(try await result(fourth.engine.handle(for: "removed", of: Doubler.self)) == 42)
            try await fourth.shutdown()
            #expect(probe.count("double") == 2)
        }
    }

    @Test("a recorded payload that no longer decodes parks the workflow, naming it and the position")
    func undecodableStepResult() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let error = try await crashThenResume(dir, as: EvolvingV2.self, probe)
            #expect(probe.notes("error") == ["undecodablePayload|evolving|0"])
            let parked = try #require(error as? WorkflowError)
            #expect(parked.code == .parked)
            #expect(parked.message.contains("evolving") && parked.message.contains("position 0"), "\(parked.message)")
            #expect(parked.message.contains("value"), "names the step: \(parked.message)")
        }
    }

    @Test("a recorded input that no longer decodes parks the workflow, naming it")
    func undecodableInput() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let error = try await crashThenResume(dir, as: EvolvingV3.self, probe)
            let parked = try #require(error as? WorkflowError)
            #expect(parked.code == .parked && parked.message.contains("input") && parked.message.contains("evolving"), "\(parked.message)")
        }
    }

    /// The doubler's name with another output type: a handle of a workflow whose type changed under it.
    private struct DoublerReadAsStrings: Workflow {
        static let name = Doubler.name
        static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> [String] { [] }
    }

    @Test("a result read from outside as the wrong type is undecodablePayload naming the workflow")
    func undecodableResult() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Doubler.self]) { engine in
                _ = try await result(try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 2), id: "d"))
                let error = await caught { _ = try await engine.handle(for: "d", of: DoublerReadAsStrings.self).result() }
                #expect(code(error) == .undecodablePayload)
                #expect((error as? WorkflowError)?.workflowID == "d")
            }
        }
    }

    @Test("a payload over the size limit is refused before anything is written")
    func oversizedPayloads() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            var configuration = testConfiguration()
            configuration.maxPayloadSize = 1000
            try await withEngine(dir, [BigPayloads.self, Echo.self, Doubler.self], configuration: configuration) { engine in
                let big = String(repeating: "y", count: 2000)
                // From outside: start and send.
                let startError = await caught { _ = try await engine.start(Echo.self, input: big, id: "big-start") }
                #expect(code(startError) == .payloadTooLarge)
                #expect(engine.summary(of: "big-start") == nil)
                #expect(engine.list().isEmpty)
                _ = try await result(try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 1), id: "target"))
                let historyBefore = try await engine.history(of: "target").collect().count
                let sendError = await caught { try await engine.send(big, to: "target") }
                #expect(code(sendError) == .payloadTooLarge)
                #expect((sendError as? WorkflowError)?.message.contains("nothing was written") == true)
                #expect(try await engine.history(of: "target").collect().count == historyBefore)

                // From inside a workflow: each refused operation writes nothing; the workflow goes on.
                let output = try await result(try await engine.start(BigPayloads.self, input: ProbeInput(probe: probe.key, n: 2000), id: "inside"))
                #expect(output == "small")
                for what in ["step result", "send", "set event", "step input", "child input", "record"] {
                    #expect(probe.notes(what) == ["payloadTooLarge"], "\(what)")
                }
                #expect(try await operations(engine, "inside").isEmpty)
                #expect(engine.list(name: Echo.name).isEmpty, "no child was started")

                // A result over the limit fails the workflow instead of being written.
                let tooBig = try await engine.start(BigPayloads.self, input: ProbeInput(probe: probe.key, n: 2000, label: "return big"), id: "big-result")
                let failure = await caught { _ = try await result(tooBig) }
                #expect((failure as? WorkflowFailure)?.message.contains("payloadTooLarge") == true)
            }
        }
    }

    @Test("an event the engine cannot decode stops the open with an error naming its LSN")
    func corruptEvent() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Doubler.self]) { engine in
                _ = try await result(try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 1)))
            }
            // A record no engine wrote: a valid frame (the log is intact) holding a malformed envelope.
            let log = try await Log.open(at: dir)
            let lsn = try await log.append(LogRecord(tag: EventKind.stepCompleted.rawValue, payload: [1, 0xFF]))
            try await log.close()
            let error = await caught { _ = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: [Doubler.self]) }
            #expect(code(error) == .undecodableEvent)
            #expect((error as? WorkflowError)?.lsn == lsn)
            // An unknown event kind (a newer Cairn) is refused the same way.
        }
    }

    @Test("an unknown event kind stops the open with an error naming its LSN")
    func unknownEventKind() async throws {
        try await withDirectory { dir in
            let log = try await Log.open(at: dir)
            let lsn = try await log.append(LogRecord(tag: 250, payload: [1, 0, 0]))
            try await log.close()
            let error = await caught { _ = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration()) }
            #expect(code(error) == .undecodableEvent)
            #expect((error as? WorkflowError)?.lsn == lsn)
        }
    }

    @Test("two workflow types under one name are refused at open")
    func duplicateRegistration() async throws {
        try await withDirectory { dir in
            let error = await caught { _ = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: [EvolvingV1.self, EvolvingV2.self]) }
            #expect(code(error) == .idConflict)
        }
    }

    /// Starts `EvolvingV1`, holds it inside its step and crashes; then opens the log with `newer` registered under
    /// the same name and returns what awaiting the workflow's result throws.
    private func crashThenResume(_ dir: String, as newer: any Workflow.Type, _ probe: Probe) async throws -> (any Error)? {
        probe.close("hold")
        let first = try await RunningEngine.start(dir, [EvolvingV1.self])
        _ = try await first.engine.start(EvolvingV1.self, input: ProbeInput(probe: probe.key), id: "evolving")
        try await probe.waitForArrival("hold")
        try await first.crash()
        let second = try await RunningEngine.start(dir, [newer])
        let error = await caught { _ = try await result(second.engine.handle(for: "evolving", of: EvolvingV1.self)) }
        try await second.shutdown()
        return error
    }
}
