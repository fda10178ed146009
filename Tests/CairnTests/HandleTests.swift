import Cairn
import CairnLog
import Foundation
import Testing

/// Sets event "state" to "waiting", then returns the first message on "m" with the label prefixed.
private struct Greeter: Workflow {
    static let name = "test-handle-greeter"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        try await context.setEvent("state", "waiting")
        let message = try await context.receive(String.self, topic: "m") ?? "<none>"
        return input.label + message
    }
}

/// Another workflow type, whose handle must not read a ``Greeter``.
private struct Other: Workflow {
    static let name = "test-handle-other"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String { input.label }
}

@Suite("Handles typed by their workflow")
struct HandleTests {
    @Test("result(timeout:) gives nil when the timeout passes first, and the result when the workflow finishes first")
    func resultWithTimeout() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock()
            try await withEngine(dir, [Greeter.self], configuration: testConfiguration(clock: clock)) { engine in
                let handle: WorkflowHandle<Greeter> = try await engine.start(
                    Greeter.self, input: ProbeInput(probe: probe.key, label: "hello "), id: "g")
                // A zero timeout only looks.
                #expect(try await handle.result(timeout: .zero) == nil)
                // "Wait 5 s, else 202": the timeout passes on the engine's clock, the workflow goes on.
                let deadline = clock.now() + Duration.seconds(5).nanos
                async let timedOut = handle.result(timeout: .seconds(5))
                try await clock.waitForSleeper(until: deadline)
                clock.advance(to: deadline)
                #expect(try await timedOut == nil)
                #expect(try await handle.status() == .running)
                // Finished within the timeout: the result, without the clock moving.
                async let answered = handle.result(timeout: .seconds(5))
                try await clock.waitForSleeper(until: clock.now() + Duration.seconds(5).nanos)
                try await handle.send("world", topic: "m")
                #expect(try await answered == "hello world")
                #expect(try await handle.result(timeout: .zero) == "hello world")
            }
        }
    }

    @Test("result(timeout:) throws, not nil, for a workflow that stopped without a result")
    func resultWithTimeoutThrows() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Failing.self, Greeter.self]) { engine in
                let failing = try await engine.start(Failing.self, input: ProbeInput(probe: probe.key, label: "x"), id: "f")
                let failure = await caught { _ = try await failing.result(timeout: .seconds(30)) }
                #expect((failure as? WorkflowFailure)?.message == "failed on purpose: x")
                let greeter = try await engine.start(Greeter.self, input: ProbeInput(probe: probe.key), id: "g")
                try await greeter.cancel()
                #expect(code(await caught { _ = try await greeter.result(timeout: .seconds(30)) }) == .cancelled)
            }
        }
    }

    @Test("a handle sends, reads events, gives status and summary; one made from an ID works after a restart")
    func handleFromIDAcrossRestart() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let first = try await RunningEngine.start(dir, [Greeter.self, Other.self])
            let started = try await first.engine.start(Greeter.self, input: ProbeInput(probe: probe.key, label: "hi "), id: "g")
            #expect(try await started.event(String.self, key: "state", timeout: .seconds(30)) == "waiting")
            try await first.crash()

            let second = try await RunningEngine.start(dir, [Greeter.self, Other.self])
            let handle = second.engine.handle(for: "g", of: Greeter.self)
            #expect(handle.id == "g")
            try await eventually("g running again") { second.engine.summary(of: "g")?.status == .running }
            #expect(try await handle.event(String.self, key: "state") == "waiting")
            #expect(try await handle.event(String.self, key: "no such key") == nil)
            try await handle.send("there", topic: "m", idempotencyKey: "once")
            try await handle.send("again", topic: "m", idempotencyKey: "once")
            #expect(try await result(handle) == "hi there")
            let summary = try await handle.summary()
            #expect(summary.status == .completed && summary.name == Greeter.name)
            #expect(try summary.output(as: String.self) == "hi there")
            #expect(try await handle.status() == .completed)

            // A handle of the wrong type is told so, not handed bytes that happen to decode.
            let wrong = second.engine.handle(for: "g", of: Other.self)
            let error = await caught { _ = try await wrong.result() }
            #expect(code(error) == .idConflict && (error as? WorkflowError)?.workflowID == "g")
            // An unknown ID.
            let missing = second.engine.handle(for: "nobody", of: Greeter.self)
            #expect(code(await caught { _ = try await missing.status() }) == .notFound)
            #expect(code(await caught { _ = try await missing.summary() }) == .notFound)
            #expect(code(await caught { _ = try await missing.result(timeout: .zero) }) == .notFound)
            try await second.shutdown()
        }
    }
}
