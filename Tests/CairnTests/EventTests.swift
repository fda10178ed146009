import Cairn
import CairnLog
import Foundation
import Testing

/// Sets "status" to "started", holds at "hold", then sets "status" to "done".
struct Publisher: Workflow {
    static let name = "test-publisher"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        try await context.setEvent("status", "started")
        _ = try await context.step("hold", countedStep(probe, "hold"))
        try await context.setEvent("status", "done")
        return 0
    }
}

/// Reads "status" of workflow `label`, waiting up to `n` seconds (no wait when `n` is 0).
struct Reader: Workflow {
    static let name = "test-reader"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = Probe.get(input.probe)
        let value = try await context.event(String.self, key: "status", of: input.label, timeout: input.n == 0 ? nil : .seconds(input.n))
        _ = try await context.step("after", countedStep(probe, "after"))
        return value ?? "unset"
    }
}

@Suite("Events: set by a workflow, read by others and from outside")
struct EventTests {
    @Test("a workflow's event is readable from outside; setting it again replaces it")
    func fromOutside() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("hold")
            try await withEngine(dir, [Publisher.self]) { engine in
                // Not set yet: no wait gives nil at once.
                #expect(try await within { try await engine.event(String.self, key: "status", of: "pub") } == nil)
                let handle = try await engine.start(Publisher.self, input: ProbeInput(probe: probe.key), id: "pub")
                #expect(try await within { try await engine.event(String.self, key: "status", of: "pub", timeout: .seconds(60)) } == "started")
                probe.open("hold")
                _ = try await result(handle)
                #expect(try await engine.event(String.self, key: "status", of: "pub") == "done")
                #expect(try await engine.event(String.self, key: "other", of: "pub") == nil)
                #expect(code(await caught { _ = try await engine.event(Int.self, key: "status", of: "pub") }) == .undecodablePayload)
            }
            // Events outlive the engine.
            try await withEngine(dir, [Publisher.self]) { engine in
                let status = try await engine.event(String.self, key: "status", of: "pub")
                #expect(status == "done")
            }
        }
    }

    @Test("reading from outside with a timeout waits on the workflow clock")
    func outsideTimeout() async throws {
        try await withDirectory { dir in
            let clock = ManualClock()
            try await withEngine(dir, [Publisher.self], configuration: testConfiguration(clock: clock)) { engine in
                let engineRef = engine
                let reading = Task { try await engineRef.event(String.self, key: "status", of: "nobody", timeout: .seconds(30)) }
                try await clock.waitForSleeper(until: clock.now() + 30_000_000_000)
                clock.advance(by: .seconds(30))
                #expect(try await within { try await reading.value } == nil)
            }
        }
    }

    @Test("a workflow reads another's event, waiting for it; the value read is recorded and replayed")
    func betweenWorkflows() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("after")
            let clock = ManualClock()
            let workflows: [any Workflow.Type] = [Publisher.self, Reader.self]
            let first = try await RunningEngine.start(dir, workflows, configuration: testConfiguration(clock: clock))
            _ = try await first.engine.start(Reader.self, input: ProbeInput(probe: probe.key, n: 60, label: "pub"), id: "reader")
            try await clock.waitForSleeper(until: clock.now() + 60_000_000_000)
            probe.close("hold")
            _ = try await first.engine.start(Publisher.self, input: ProbeInput(probe: probe.key), id: "pub")
            try await probe.waitForArrival("after")
            let ops = try await operations(first.engine, "reader")
            #expect(ops.map(\.kind) == [.receiveStarted, .eventRead])
            #expect(ops.last?.target == "pub")
            try await first.crash()
            probe.openAll()

            // On replay the recorded value is returned, although the event is "done" by now.
            let second = try await RunningEngine.start(dir, workflows, configuration: testConfiguration(clock: clock))
            _ = try await result(second.engine.handle(for: "pub", of: Publisher.self))
            #expect(try await second.engine.event(String.self, key: "status", of: "pub") == "done")
            #expect(try await result(second.engine.handle(for: "reader", of: Reader.self)) == "started")
            try await second.shutdown()
        }
    }

    @Test("a read without a timeout does not wait; a read that times out records that and replays it")
    func readTimesOut() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock()
            try await withEngine(dir, [Reader.self], configuration: testConfiguration(clock: clock)) { engine in
                #expect(try await result(try await engine.start(Reader.self, input: ProbeInput(probe: probe.key, n: 0, label: "nobody"))) == "unset")
                let handle = try await engine.start(Reader.self, input: ProbeInput(probe: probe.key, n: 5, label: "nobody"), id: "waits")
                try await clock.waitForSleeper(until: clock.now() + 5_000_000_000)
                clock.advance(by: .seconds(5))
                #expect(try await result(handle) == "unset")
                let read = try await operations(engine, "waits").first { $0.kind == .eventRead }
                #expect(read?.flags == .timedOut)
            }
        }
    }
}
