import Cairn
import CairnLog
import Foundation
import Synchronization
import Testing

/// Waits for one message on "m" (no timeout), and returns it.
private struct WaitsForMessage: Workflow {
    static let name = "test-waits-for-message"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        try await context.receive(String.self, topic: "m") ?? "<timeout>"
    }
}

/// Runs a ``Sleeper`` child and returns its result.
private struct AwaitsSleepyChild: Workflow {
    static let name = "test-awaits-sleepy-child"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        try await context.runChild(Sleeper.self, input: input, id: "sleepy-child")
    }
}

/// Two parallel branches: branch `k` sleeps `n + k` seconds, then runs counted step "after-sleep-k"; returns the
/// sum. While both sleep, the history's last word is a branch's sleep, which recovery cannot tell from a branch
/// between two steps.
private struct SleepsInBranches: Workflow {
    static let name = "test-sleeps-in-branches"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        let values = try await context.map([0, 1]) { branch, k in
            try await branch.sleep(for: .seconds(input.n + k))
            return try await branch.step("after-sleep-\(k)", countedStep(probe, "after-sleep-\(k)"))
        }
        return values.reduce(0, &+)
    }
}

/// Two parallel branches: one sleeps `n` seconds, the other runs counted step "busy" (gated).
private struct BusyBesideSleeper: Workflow {
    static let name = "test-busy-beside-sleeper"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        let values = try await context.map([0, 1]) { branch, k in
            if k == 0 {
                try await branch.sleep(for: .seconds(input.n))
                return 0
            }
            return try await branch.step("busy", countedStep(probe, "busy"))
        }
        return values.reduce(0, &+)
    }
}

/// Records the number of records of each commit the log makes.
private final class CommitSizes: Sendable {
    private let sizes = Mutex<[Int]>([])
    var all: [Int] { sizes.withLock { $0 } }
    func reset() { sizes.withLock { $0 = [] } }
    var observer: @Sendable (LogCommit) -> Void { { [self] commit in sizes.withLock { $0.append(commit.records) } } }
}

@Suite("Recovery attempts count only workflows that were running code")
struct RecoveryAttemptTests {
    @Test("a workflow sleeping through more unclean restarts than maxRecoveryAttempts is not parked, and finishes right")
    func sleeperSurvivesCrashes() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let clock = ManualClock()
            var configuration = testConfiguration(clock: clock)
            configuration.maxRecoveryAttempts = 2
            let wake = clock.now() + Duration.seconds(3600).nanos

            let first = try await RunningEngine.start(dir, [Sleeper.self], configuration: configuration)
            _ = try await first.engine.start(Sleeper.self, input: ProbeInput(probe: probe.key, n: 3600), id: "sleepy")
            try await clock.waitForSleeper(until: wake)
            try await first.crash()

            // Each restart replays it into its sleep, and the process dies while it sleeps.
            for restart in 1...5 {
                let running = try await RunningEngine.start(dir, [Sleeper.self], configuration: configuration)
                try await clock.waitForSleeper(until: wake)
                #expect(running.engine.summary(of: "sleepy")?.status == .running, "restart \(restart)")
                try await running.crash()
            }

            let last = try await RunningEngine.start(dir, [Sleeper.self], configuration: configuration)
            try await clock.waitForSleeper(until: wake)
            #expect(last.engine.summary(of: "sleepy")?.status == .running)
            clock.advance(to: wake)
            _ = try await result(last.engine.handle(for: "sleepy", of: Sleeper.self))
            #expect(probe.count("after-sleep") == 1)
            #expect(last.engine.summary(of: "sleepy")?.status == .completed)
            try await last.shutdown()
        }
    }

    @Test("a workflow waiting for a message without a timeout through more unclean restarts than maxRecoveryAttempts is not charged, and receives it")
    func receiverSurvivesCrashes() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            var configuration = testConfiguration()
            configuration.maxRecoveryAttempts = 2

            let first = try await RunningEngine.start(dir, [WaitsForMessage.self], configuration: configuration)
            _ = try await first.engine.start(WaitsForMessage.self, input: ProbeInput(probe: probe.key), id: "patient")
            // The wait is recorded once the receive finds its inbox empty.
            try await eventually("the receive is waiting") { first.engine.summary(of: "patient")?.historyCount == 1 }
            try await first.crash()

            for restart in 1...5 {
                let running = try await RunningEngine.start(dir, [WaitsForMessage.self, Doubler.self], configuration: configuration)
                // A start during recovery runs once recovery is done: its result proves recovery ran.
                let marker = try await running.engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: restart), id: "marker-\(restart)")
                #expect(try await result(marker) == 2 * restart)
                #expect(running.engine.summary(of: "patient")?.status == .running, "restart \(restart)")
                try await running.crash()
            }
            let attempts = try await Self.attempts(in: dir)
            #expect(attempts["patient"] == nil, "charged \(attempts) though it only waited")

            let last = try await RunningEngine.start(dir, [WaitsForMessage.self], configuration: configuration)
            try await last.engine.send("at last", to: "patient", topic: "m")
            #expect(try await result(last.engine.handle(for: "patient", of: WaitsForMessage.self)) == "at last")
            try await last.shutdown()
        }
    }

    @Test("a parent awaiting a sleeping child through more unclean restarts than maxRecoveryAttempts is not charged, and gets the result")
    func parentAwaitingChildSurvivesCrashes() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let clock = ManualClock()
            var configuration = testConfiguration(clock: clock)
            configuration.maxRecoveryAttempts = 2
            let wake = clock.now() + Duration.seconds(3600).nanos
            let types: [any Workflow.Type] = [AwaitsSleepyChild.self, Sleeper.self]

            let first = try await RunningEngine.start(dir, types, configuration: configuration)
            _ = try await first.engine.start(AwaitsSleepyChild.self, input: ProbeInput(probe: probe.key, n: 3600), id: "parent")
            try await clock.waitForSleeper(until: wake)
            // The parent's wait is recorded once it finds the child unfinished: the child's start, then the wait.
            try await eventually("the parent is waiting") { first.engine.summary(of: "parent")?.historyCount == 2 }
            try await first.crash()

            for restart in 1...5 {
                let running = try await RunningEngine.start(dir, types, configuration: configuration)
                try await clock.waitForSleeper(until: wake)
                #expect(running.engine.summary(of: "parent")?.status == .running, "restart \(restart)")
                try await running.crash()
            }
            let attempts = try await Self.attempts(in: dir)
            #expect(attempts["parent"] == nil, "charged \(attempts) though it only waited for its child")

            let last = try await RunningEngine.start(dir, types, configuration: configuration)
            try await clock.waitForSleeper(until: wake)
            clock.advance(to: wake)
            let parentResult = try await result(last.engine.handle(for: "parent", of: AwaitsSleepyChild.self))
            #expect(try await parentResult == result(last.engine.handle(for: "sleepy-child", of: Sleeper.self)))
            #expect(probe.count("after-sleep") == 1, "the child's step ran once")
            try await last.shutdown()
            var kinds = Set<EventKind>()
            try EventKindDeclarationTests.check(dir, seen: &kinds)  // the wait keeps to its declaration
            #expect(kinds.contains(.childWaitStarted))
        }
    }

    /// Issue 9, item 3: a branch's end is not recorded, so recovery cannot see that every branch waits; it charged
    /// such a workflow at every unclean restart and parked it after `maxRecoveryAttempts`, though it never ran code
    /// when the process died.
    @Test("a workflow whose parallel branches all sleep through more unclean restarts than maxRecoveryAttempts is not parked, and finishes right")
    func parallelSleepersSurviveCrashes() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let clock = ManualClock()
            var configuration = testConfiguration(clock: clock)
            configuration.maxRecoveryAttempts = 2
            let wakes = [clock.now() + Duration.seconds(3600).nanos, clock.now() + Duration.seconds(3601).nanos]
            let input = ProbeInput(probe: probe.key, n: 3600)

            let first = try await RunningEngine.start(dir, [SleepsInBranches.self], configuration: configuration)
            _ = try await first.engine.start(SleepsInBranches.self, input: input, id: "branches")
            for wake in wakes { try await clock.waitForSleeper(until: wake) }
            try await first.crash()

            // Each restart replays it into both sleeps (charged: replay runs code), and the process dies while
            // they sleep (settled: every task of it waited).
            for restart in 1...5 {
                let running = try await RunningEngine.start(dir, [SleepsInBranches.self], configuration: configuration)
                for wake in wakes { try await clock.waitForSleeper(until: wake) }
                #expect(running.engine.summary(of: "branches")?.status == .running, "restart \(restart)")
                try await running.crash()
            }
            let (attempts, successes) = try await Self.recoveryRecords(in: dir)
            #expect(attempts["branches"] == 5 && successes["branches"] == 5, "attempts \(attempts), successes \(successes)")

            let last = try await RunningEngine.start(dir, [SleepsInBranches.self], configuration: configuration)
            for wake in wakes { try await clock.waitForSleeper(until: wake) }
            #expect(last.engine.summary(of: "branches")?.status == .running)
            clock.advance(to: wakes[1])
            _ = try await result(last.engine.handle(for: "branches", of: SleepsInBranches.self))
            #expect(probe.count("after-sleep-0") == 1 && probe.count("after-sleep-1") == 1)
            #expect(last.engine.summary(of: "branches")?.status == .completed)
            try await last.shutdown()
            var kinds = Set<EventKind>()
            try EventKindDeclarationTests.check(dir, seen: &kinds)  // the new record keeps to its declaration
            #expect(kinds.contains(.recoverySucceeded))
        }
    }

    @Test("a workflow whose parallel branch runs a step when the process dies, beside a sleeping branch, is still counted and parked")
    func parallelBranchRunningCodeIsCounted() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("busy")
            let clock = ManualClock()
            var configuration = testConfiguration(clock: clock)
            configuration.maxRecoveryAttempts = 2
            let wake = clock.now() + Duration.seconds(3600).nanos
            let input = ProbeInput(probe: probe.key, n: 3600)
            let types: [any Workflow.Type] = [BusyBesideSleeper.self]

            let first = try await RunningEngine.start(dir, types, configuration: configuration)
            _ = try await first.engine.start(BusyBesideSleeper.self, input: input, id: "busy")
            try await clock.waitForSleeper(until: wake)
            try await probe.waitForArrival("busy", count: 1)
            try await first.crash()
            for attempt in 1...2 {
                let running = try await RunningEngine.start(dir, types, configuration: configuration)
                try await clock.waitForSleeper(until: wake)
                try await probe.waitForArrival("busy", count: 1 + attempt)
                try await running.crash()
            }
            let last = try await RunningEngine.start(dir, types, configuration: configuration)
            try await waitForStatus(last.engine, "busy", .parked)
            #expect(probe.arrivals("busy") == 3)
            try await last.shutdown()
            let (_, successes) = try await Self.recoveryRecords(in: dir)
            #expect(successes["busy"] == nil, "settled though a branch was running code: \(successes)")
        }
    }

    @Test("a workflow whose sleep is over when the process dies is running code: it is still counted and parked")
    func expiredSleepIsCounted() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("after-sleep")
            let clock = ManualClock()
            var configuration = testConfiguration(clock: clock)
            configuration.maxRecoveryAttempts = 2
            let wake = clock.now() + Duration.seconds(1).nanos

            let first = try await RunningEngine.start(dir, [Sleeper.self], configuration: configuration)
            _ = try await first.engine.start(Sleeper.self, input: ProbeInput(probe: probe.key, n: 1), id: "woken")
            try await clock.waitForSleeper(until: wake)
            clock.advance(to: wake)
            try await probe.waitForArrival("after-sleep", count: 1)
            try await first.crash()
            for attempt in 1...2 {
                let running = try await RunningEngine.start(dir, [Sleeper.self], configuration: configuration)
                try await probe.waitForArrival("after-sleep", count: 1 + attempt)
                try await running.crash()
            }
            let last = try await RunningEngine.start(dir, [Sleeper.self], configuration: configuration)
            try await waitForStatus(last.engine, "woken", .parked)
            #expect(probe.arrivals("after-sleep") == 3)
            try await last.shutdown()
        }
    }

    @Test("recovery writes its attempts in bounded commits: every workflow gets exactly one")
    func attemptsAreChunked() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("double")  // each workflow is inside its step when the process dies: each is charged
            let sizes = CommitSizes()
            var configuration = testConfiguration()
            configuration._recoveryRecordsPerCommit = 7
            configuration.log.commitObserver = sizes.observer
            let count = 300
            let first = try await RunningEngine.start(dir, [Doubler.self], configuration: configuration)
            for i in 0..<count {
                _ = try await first.engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: i), id: "w\(i)")
            }
            try await probe.waitForArrival("double", count: count)
            try await first.crash()

            sizes.reset()
            let second = try await RunningEngine.start(dir, [Doubler.self], configuration: configuration)
            try await probe.waitForArrival("double", count: 2 * count)
            #expect(sizes.all.count >= count / 7, "\(sizes.all)")
            #expect(sizes.all.allSatisfy { $0 <= 7 }, "\(sizes.all)")
            probe.open("double")
            for i in 0..<count {
                #expect(try await result(second.engine.handle(for: "w\(i)", of: Doubler.self)) == 2 * i)
            }
            try await second.shutdown()

            let attempts = try await Self.attempts(in: dir)
            #expect(attempts.count == count)
            #expect(attempts.values.allSatisfy { $0 == 1 })
        }
    }

    /// The recovery attempts recorded in the log at `dir`, by workflow.
    static func attempts(in dir: String) async throws -> [String: Int] {
        try await recoveryRecords(in: dir).attempts
    }

    /// The recovery attempts and successes recorded in the log at `dir`, by workflow.
    static func recoveryRecords(in dir: String) async throws -> (attempts: [String: Int], successes: [String: Int]) {
        var attempts: [String: Int] = [:]
        var successes: [String: Int] = [:]
        let log = try Log.openBlocking(at: dir)
        _ = try log.scan { record in
            if record.tag == EventKind.recoveryAttempted.rawValue || record.tag == EventKind.recoverySucceeded.rawValue {
                let event = try Event(lsn: record.lsn, tag: record.tag, bytes: record.bytes)
                if event.kind == .recoveryAttempted {
                    attempts[event.workflowID, default: 0] += 1
                } else {
                    successes[event.workflowID, default: 0] += 1
                }
            }
            return true
        }
        try await log.close()
        return (attempts, successes)
    }
}
