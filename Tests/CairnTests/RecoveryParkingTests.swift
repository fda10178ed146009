import Cairn
import CairnLog
import Foundation
import Logging
import Testing

@Suite("Recovery attempts: a workflow that keeps crashing recovery is parked")
struct RecoveryParkingTests {
    @Test("after maxRecoveryAttempts crashed recoveries without progress the workflow is parked; the others go on")
    func parksAfterAttempts() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let logs = LogCapture()
            var configuration = testConfiguration(logs: logs)
            configuration.maxRecoveryAttempts = 2
            probe.close("s0")
            let first = try await RunningEngine.start(dir, [CountedSteps.self, Doubler.self], configuration: configuration)
            _ = try await first.engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 2), id: "crashy")
            try await probe.waitForArrival("s0", count: 1)
            try await first.crash()

            // Each recovery replays it into the same step and the process dies again: no progress.
            for attempt in 1...2 {
                let running = try await RunningEngine.start(dir, [CountedSteps.self, Doubler.self], configuration: configuration)
                try await probe.waitForArrival("s0", count: 1 + attempt)
                #expect(running.engine.summary(of: "crashy")?.status == .running)
                try await running.crash()
            }

            let last = try await RunningEngine.start(dir, [CountedSteps.self, Doubler.self], configuration: configuration)
            try await waitForStatus(last.engine, "crashy", .parked)
            let summary = try #require(last.engine.summary(of: "crashy"))
            #expect(summary.parkReason?.contains("recovery was attempted 2 times") == true, "\(summary.parkReason ?? "")")
            let parked = try await last.engine.history(of: "crashy").collect().last
            #expect(parked?.details == .parked(reason: .recoveryExhausted, message: summary.parkReason ?? "", attempts: 2))
            #expect(probe.arrivals("s0") == 3, "a parked workflow is not run")
            #expect(logs.all.contains { $0.level == .error && $0.metadata["workflow"] == "crashy" })
            #expect(code(await caught { _ = try await last.engine.handle(for: "crashy", of: CountedSteps.self).result() }) == .parked)
            // Other workflows run.
            #expect(try await result(try await last.engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 4))) == 8)
            // Once fixed, it can be resumed.
            probe.open("s0")
            try await last.engine.resume("crashy")
            #expect(try await result(last.engine.handle(for: "crashy", of: CountedSteps.self)).count == 2)
            try await last.shutdown()
        }
    }

    @Test("a workflow started in this process before run() is no recovery: no attempt is counted")
    func startBeforeRunIsNoRecovery() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("s0")
            var configuration = testConfiguration()
            configuration.maxRecoveryAttempts = 1
            let engine = try await WorkflowEngine.open(directory: dir, configuration: configuration, workflows: [CountedSteps.self])
            _ = try await engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 1), id: "early")
            let runner = Task { try await engine.run() }
            try await probe.waitForArrival("s0")
            #expect(try await engine.history(of: "early").collect().map(\.event.kind) == [.workflowStarted])
            await engine._crash()
            _ = await runner.result

            // One crashed recovery is allowed: the next start resumes it rather than parking it.
            let second = try await RunningEngine.start(dir, [CountedSteps.self], configuration: configuration)
            try await probe.waitForArrival("s0", count: 2)
            #expect(second.engine.summary(of: "early")?.status == .running)
            probe.open("s0")
            _ = try await result(second.engine.handle(for: "early", of: CountedSteps.self))
            try await second.shutdown()
        }
    }

    @Test("progress between crashes, or a clean stop, resets the count")
    func progressResets() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            var configuration = testConfiguration()
            configuration.maxRecoveryAttempts = 2
            let n = 5
            for k in 0..<n { probe.close("s\(k)") }
            let first = try await RunningEngine.start(dir, [CountedSteps.self], configuration: configuration)
            _ = try await first.engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: n), id: "w")
            try await probe.waitForArrival("s0")
            try await first.crash()
            // Each run completes one more step before dying: never parked, although it crashes n times.
            for k in 0..<(n - 1) {
                let running = try await RunningEngine.start(dir, [CountedSteps.self], configuration: configuration)
                probe.open("s\(k)")
                try await probe.waitForArrival("s\(k + 1)")
                #expect(running.engine.summary(of: "w")?.status == .running)
                try await running.crash()
            }
            // Clean stops do not count either (the step held at its gate is cancelled at once by shutdown).
            configuration.shutdownGracePeriod = .milliseconds(10)
            for _ in 0..<3 {
                let running = try await RunningEngine.start(dir, [CountedSteps.self], configuration: configuration)
                try await eventually("w resumed") { running.engine.summary(of: "w")?.status == .running }
                try await running.shutdown()
            }
            probe.openAll()
            let last = try await RunningEngine.start(dir, [CountedSteps.self], configuration: configuration)
            #expect(try await result(last.engine.handle(for: "w", of: CountedSteps.self)).count == n)
            try await last.shutdown()
        }
    }
}
