import Cairn
import CairnLog
import Foundation
import ServiceLifecycle
import Testing

/// Sleeps `n` seconds (workflow clock), then a counted step "after-sleep".
struct Sleeper: Workflow {
    static let name = "test-sleeper"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        try await context.sleep(for: .seconds(input.n))
        return try await context.step("after-sleep", countedStep(probe, "after-sleep"))
    }
}

/// A step whose body waits for its gate and does not respond to cancellation, then a counted step "next".
struct StubbornStep: Workflow {
    static let name = "test-stubborn-step"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        let value = try await context.step("stubborn") {
            probe.hit("stubborn")
            await probe.passIgnoringCancellation("stubborn")
            return 42
        }
        _ = try await context.step("next", countedStep(probe, "next"))
        return value
    }
}

@Suite("Graceful shutdown")
struct ShutdownTests {
    @Test("shutdown interrupts sleeps, lets a running step finish and records it, refuses new starts; all resume later")
    func graceful() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let clock = ManualClock()
            let start = clock.now()
            probe.close("stubborn")
            let workflows: [any Workflow.Type] = [Sleeper.self, StubbornStep.self]
            let first = try await RunningEngine.start(dir, workflows, configuration: testConfiguration(clock: clock))
            _ = try await first.engine.start(Sleeper.self, input: ProbeInput(probe: probe.key, n: 3600), id: "sleeper")
            _ = try await first.engine.start(StubbornStep.self, input: ProbeInput(probe: probe.key), id: "stubborn")
            try await clock.waitForSleeper(until: start + 3_600_000_000_000)
            try await probe.waitForArrival("stubborn")

            let stopping = Task { try await first.shutdown() }
            // The sleep is interrupted at once (its wait is cancelled); the step still runs.
            try await eventually("the sleep to be interrupted") { clock.deadlines.isEmpty }
            #expect(code(await caught { _ = try await first.engine.start(Sleeper.self, input: ProbeInput(probe: probe.key), id: "late") }) == .shuttingDown)
            probe.open("stubborn")
            try await within { try await stopping.value }
            #expect(first.engine.summary(of: "late") == nil)

            // Reopened: the step's outcome was recorded, the sleep goes on to its recorded deadline.
            let second = try await RunningEngine.start(dir, workflows, configuration: testConfiguration(clock: clock))
            #expect(second.engine.summary(of: "stubborn")?.status == .pending)
            let ops = try await operations(second.engine, "stubborn")
            #expect(ops.map(\.name) == ["stubborn"])
            try await clock.waitForSleeper(until: start + 3_600_000_000_000)
            clock.advance(to: start + 3_600_000_000_000)
            _ = try await result(second.engine.handle(for: "sleeper", of: Sleeper.self))
            #expect(try await result(second.engine.handle(for: "stubborn", of: StubbornStep.self)) == 42)
            try await second.shutdown()
            #expect(probe.count("stubborn") == 1, "a recorded step does not run again")
            #expect(probe.count("next") == 1)
            #expect(probe.count("after-sleep") == 1)
        }
    }

    @Test("a step still running when the grace period ends is cancelled; it runs again at the next start")
    func gracePeriodOver() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("s0")
            var configuration = testConfiguration()
            configuration.shutdownGracePeriod = .milliseconds(50)
            let first = try await RunningEngine.start(dir, [CountedSteps.self], configuration: configuration)
            _ = try await first.engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 2), id: "w")
            try await probe.waitForArrival("s0")
            try await within { try await first.shutdown() }
            probe.open("s0")
            let second = try await RunningEngine.start(dir, [CountedSteps.self])
            #expect(second.engine.summary(of: "w")?.status != .failed)
            _ = try await result(second.engine.handle(for: "w", of: CountedSteps.self))
            try await second.shutdown()
            #expect(probe.counts == ["s0": 2, "s1": 1])
        }
    }

    @Test("cancelling run() stops the engine; a step cancelled by it is not recorded as failed")
    func cancelRun() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("s0")
            let first = try await RunningEngine.start(dir, [CountedSteps.self])
            _ = try await first.engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 2), id: "w")
            try await probe.waitForArrival("s0")
            first.runTask.cancel()
            _ = await first.runTask.result
            probe.open("s0")

            let second = try await RunningEngine.start(dir, [CountedSteps.self])
            let ops = try await operations(second.engine, "w")
            #expect(!ops.contains { $0.kind == .stepFailed }, "the cancellation is not the step's failure")
            let output = await outcome { try await result(second.engine.handle(for: "w", of: CountedSteps.self)) }
            #expect((try? output.get())?.count == 2)
            try await second.shutdown()
            #expect(probe.counts == ["s0": 2, "s1": 1])
        }
    }

    @Test("shutdown of an engine that never ran closes it; run() afterwards is refused; shutdown twice is harmless")
    func shutdownWithoutRun() async throws {
        try await withDirectory { dir in
            let engine = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: [CountedSteps.self])
            await engine.shutdown()
            await engine.shutdown()
            #expect(code(await caught { try await engine.run() }) == .invalidState)
            // The directory is free again.
            let again = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: [CountedSteps.self])
            await again.shutdown()
        }
    }

    @Test("in a ServiceGroup, a graceful shutdown stops the engine with the other services")
    func serviceGroup() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let logs = LogCapture()
            let engine = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(logs: logs), workflows: [CountedSteps.self])
            let group = ServiceGroup(services: [engine], logger: logs.logger)
            let running = Task { try await group.run() }
            let handle = try await engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 2))
            _ = try await result(handle)
            await group.triggerGracefulShutdown()
            try await within { try await running.value }
            #expect(code(await caught { _ = try await engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 1)) }) == .shuttingDown)
            #expect(logs.all.contains { $0.message == "workflow engine stopped" })
        }
    }
}

extension Probe {
    /// Like ``pass(_:)``, but deaf to cancellation: a step body that does not cooperate.
    func passIgnoringCancellation(_ gate: String) async {
        while true {
            do {
                try await Task.detached { try await self.pass(gate) }.value
                return
            } catch {}
        }
    }
}
