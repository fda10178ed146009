import Cairn
import CairnTesting
import Foundation
import Testing

enum WeekLongSleep: Workflow {
    static let name = "week-long-sleep"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.sleep(for: .seconds(7 * 24 * 3600))
        return input
    }
}

enum WaitForApproval: Workflow {
    static let name = "wait-for-approval"
    static func run(_ context: WorkflowContext, input: Int) async throws -> String {
        try await context.receive(String.self, topic: "approval", timeout: .seconds(3600)) ?? "timed out"
    }
}

@Suite struct TestClockTests {
    @Test func skippingClockRunsAWeekLongSleepAtOnce() async throws {
        let clock = TestClock()
        let before = clock.now()
        try await withTestEngine(workflows: [WeekLongSleep.self], clock: clock) { engine in
            let result = try await engine.start(WeekLongSleep.self, input: 3).result()
            #expect(result == 3)
        }
        #expect(clock.now() - before >= 7 * 24 * 3600 * 1_000_000_000)
    }

    @Test func manualClockWaitsForAdvance() async throws {
        let clock = TestClock(mode: .manual)
        try await withTestEngine(workflows: [WeekLongSleep.self], clock: clock) { engine in
            let handle = try await engine.start(WeekLongSleep.self, input: 5, id: "sleeper")
            await clock.waitForSleepers(1)
            #expect(try await handle.status() == .running)
            clock.advance(by: .seconds(6 * 24 * 3600))
            #expect(clock.sleeperCount == 1)
            clock.advance(by: .seconds(24 * 3600))
            #expect(try await handle.result() == 5)
        }
    }

    @Test func receiveTimeoutIsSkippedOrBeatenByAMessage() async throws {
        try await withTestEngine(workflows: [WaitForApproval.self]) { engine in
            let result = try await engine.start(WaitForApproval.self, input: 0).result()
            #expect(result == "timed out")
        }
        let clock = TestClock(mode: .manual)
        try await withTestEngine(workflows: [WaitForApproval.self], clock: clock) { engine in
            let handle = try await engine.start(WaitForApproval.self, input: 0, id: "approval")
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1800))
            try await engine.send("approved", to: "approval", topic: "approval")
            #expect(try await handle.result() == "approved")
        }
    }
}
