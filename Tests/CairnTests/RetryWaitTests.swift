import Cairn
import CairnLog
import CairnTestSupport
import Foundation
import Synchronization
import Testing

struct ServiceUnreachable: Error, CustomStringConvertible {
    var attempt: Int
    var description: String { "service unreachable (attempt \(attempt))" }
}

/// A step "call" that fails its first `n` attempts (counted under "<ID> attempt"), tried up to `label` times
/// (default 3) an hour apart. Returns the attempt that succeeded, or -1 once the step failed for good.
private struct RetriesHourly: Workflow {
    static let name = "test-retries-hourly"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        let key = "\(context.workflowID) attempt"
        let policy = RetryPolicy(
            maxAttempts: Int(input.label) ?? 3, initialInterval: .seconds(3600), backoffRate: 1, maxInterval: .seconds(3600))
        do {
            return try await context.step("call", retry: policy) {
                let attempt = probe.hit(key)
                if attempt <= input.n { throw ServiceUnreachable(attempt: attempt) }
                return attempt
            }
        } catch is StepFailure {
            return -1
        }
    }
}

/// Today's code of `RetriesHourly` after a change that makes it sleep where it called the step.
private struct RetriesHourlyNowSleeps: Workflow {
    static let name = "test-retries-hourly"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        try await context.sleep(for: .seconds(3600))
        return 0
    }
}

/// Three steps, each under a retry policy; the second fails its first `n` attempts.
private struct ThreeRetriedSteps: Workflow {
    static let name = "test-three-retried-steps"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        let policy = RetryPolicy(maxAttempts: 3, initialInterval: .zero)
        let a = try await context.step("a", retry: policy) { 1 }
        let b = try await context.step("b", retry: policy) {
            let attempt = probe.hit("b")
            if attempt <= input.n { throw ServiceUnreachable(attempt: attempt) }
            return 2
        }
        let c = try await context.step("c", retry: policy) { 3 }
        return a + b + c
    }
}

/// Counts the records of each commit.
private final class CommitSizes: Sendable {
    private let sizes = Mutex<[Int]>([])
    var all: [Int] { sizes.withLock { $0 } }
    var observer: @Sendable (LogCommit) -> Void { { [self] commit in sizes.withLock { $0.append(commit.records) } } }
}

private let start: Int64 = 1_700_000_000_000_000_000
private let hour: Int64 = 3_600_000_000_000

/// Starts an engine on `directory` (the test configuration with `clock`, a manual clock at `start`, unless
/// `configuration` is given) and in it workflow "r" of ``RetriesHourly``, failing its first `failures` of at most
/// `attempts` attempts; returns once "r" waits for its second attempt, an hour on.
private func startInRetryWait(
    _ directory: String, _ probe: Probe, _ clock: ManualClock, failures: Int, attempts: Int = 3,
    configuration: EngineConfiguration? = nil, workflows: [any Workflow.Type] = [RetriesHourly.self]
) async throws -> RunningEngine {
    let running = try await RunningEngine.start(directory, workflows, configuration: configuration ?? testConfiguration(clock: clock))
    _ = try await running.engine.start(
        RetriesHourly.self, input: ProbeInput(probe: probe.key, n: failures, label: "\(attempts)"), id: "r")
    try await clock.waitForSleeper(until: start + hour)
    return running
}

@Suite("Retry waits: a step's wait for its next attempt is durable, evictable and visible")
struct RetryWaitTests {
    @Test("a failed attempt that will be retried is recorded before the wait: the attempt, the error, the next attempt's deadline; the workflow waits")
    func recordsTheWait() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock(start: start)
            let running = try await startInRetryWait(dir, probe, clock, failures: 100, attempts: 5)
            let ops = try await operations(running.engine, "r")
            #expect(ops.map(\.kind) == [.retryWaitStarted])
            #expect(ops.first?.position == pos(0) && ops.first?.name == "call")
            let failure = WorkflowFailure(errorType: String(reflecting: ServiceUnreachable.self), message: "service unreachable (attempt 1)")
            let details = try await running.engine.history(of: "r").collect().map(\.details)
            #expect(details.contains(.retrying(attempt: 1, maxAttempts: 5, nextAttempt: Date(nanosecondsSince1970: start + hour), failure: failure)), "\(details)")
            // It waits as a sleeping workflow does: no running slot, its task cached.
            try await eventually("the workflow cached in its wait (activity: \(running.engine.activity))") {
                let a = running.engine.activity
                return a.cached == 1 && a.running == 0
            }
            #expect(running.engine.summary(of: "r")?.status.isActive == true)
            #expect(probe.count("r attempt") == 1)
            try await running.crash()
        }
    }

    @Test("a restart during the wait resumes it to the recorded deadline, and the attempt count goes on: maxAttempts in all")
    func restartContinuesTheWait() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock(start: start)
            let workflows: [any Workflow.Type] = [RetriesHourly.self]
            let first = try await startInRetryWait(dir, probe, clock, failures: 100)
            clock.advance(to: start + hour)
            try await clock.waitForSleeper(until: start + 2 * hour)  // attempt 2 failed; its wait is recorded
            #expect(probe.count("r attempt") == 2)
            clock.advance(by: .seconds(1800))  // half the wait passes, then the process dies
            try await first.crash()

            // A replay without side effects stops at the wait: it runs no attempt.
            let replays = try await WorkflowEngine.replay(directory: dir, workflows: workflows, mode: .strict)
            guard case .clean(reachedEnd: false)? = replays.first?.outcome, replays.count == 1 else {
                Issue.record("expected a clean replay that stops at the wait: \(replays)")
                return
            }
            #expect(probe.count("r attempt") == 2)

            // Unclean restarts during the wait charge no recovery attempt (it runs no code): more of them than
            // maxRecoveryAttempts park nothing. Each time it reads as a sleeping workflow does.
            var configuration = testConfiguration(clock: clock)
            configuration.maxRecoveryAttempts = 1
            for restart in 1...3 {
                let again = try await RunningEngine.start(dir, workflows, configuration: configuration)
                try await clock.waitForSleeper(until: start + 2 * hour)
                #expect(again.engine.summary(of: "r")?.status == .running, "restart \(restart)")
                try await again.crash()
            }

            let second = try await RunningEngine.start(dir, workflows, configuration: configuration)
            // Back in its wait with no task (it runs no code until the deadline), until the recorded deadline: not
            // an hour from now, and without running an attempt first.
            try await eventually("the workflow waiting as a record (activity: \(second.engine.activity))") {
                let a = second.engine.activity
                return a.waiting == 1 && a.running == 0 && a.ready == 0
            }
            try await clock.waitForSleeper(until: start + 2 * hour)
            #expect(clock.deadlines == [start + 2 * hour])
            #expect(probe.count("r attempt") == 2)
            clock.advance(to: start + 2 * hour)
            #expect(try await result(second.engine.handle(for: "r", of: RetriesHourly.self)) == -1)
            #expect(probe.count("r attempt") == 3, "three attempts in all, across the restart")
            let history = try await second.engine.history(of: "r").collect()
            #expect(history.filter { $0.position != nil }.map(\.kind) == [.retryWaitStarted, .retryWaitStarted, .stepFailed])
            #expect(!history.map(\.kind).contains(.recoveryAttempted), "a workflow that waited durably was charged a recovery attempt")
            try await second.shutdown()
        }
    }

    @Test("a deadline that passed while the engine was down: the next attempt runs at open")
    func deadlinePassedWhileDown() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock(start: start)
            let workflows: [any Workflow.Type] = [RetriesHourly.self]
            let first = try await startInRetryWait(dir, probe, clock, failures: 1)
            try await first.crash()
            clock.advance(to: start + 2 * hour)

            let second = try await RunningEngine.start(dir, workflows, configuration: testConfiguration(clock: clock))
            #expect(try await result(second.engine.handle(for: "r", of: RetriesHourly.self)) == 2)
            #expect(probe.count("r attempt") == 2)
            #expect(try await operations(second.engine, "r").map(\.kind) == [.retryWaitStarted, .stepCompleted])
            try await second.shutdown()
        }
    }

    @Test("cancelling a workflow in its retry wait cancels it, cached or evicted: no more attempts", arguments: [false, true])
    func cancelDuringTheWait(evicting: Bool) async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock(start: start)
            var configuration = testConfiguration(clock: clock)
            configuration.maxCachedWorkflows = evicting ? 0 : 10
            let running = try await startInRetryWait(dir, probe, clock, failures: 100, configuration: configuration)
            try await eventually("the workflow \(evicting ? "evicted" : "cached") (activity: \(running.engine.activity))") {
                let a = running.engine.activity
                return evicting ? a.waiting == 1 && a.cached == 0 : a.cached == 1 && a.waiting == 0
            }
            try await running.engine.cancel("r")
            try await waitForStatus(running.engine, "r", .cancelled)
            clock.advance(to: start + 2 * hour)
            try await eventually("nothing waiting or running (activity: \(running.engine.activity))") {
                let a = running.engine.activity
                return a.waiting == 0 && a.cached == 0 && a.running == 0 && a.ready == 0
            }
            #expect(probe.count("r attempt") == 1)
            #expect(try await operations(running.engine, "r").map(\.kind) == [.retryWaitStarted])
            try await running.shutdown()
        }
    }

    @Test("a recorded retry wait where the code now does something else is divergence, named at its position")
    func changedCodeDiverges() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock(start: start)
            let running = try await startInRetryWait(dir, probe, clock, failures: 100)
            try await running.crash()

            let replays = try await WorkflowEngine.replay(directory: dir, workflows: [RetriesHourlyNowSleeps.self], mode: .structure)
            let replay = try #require(replays.first)
            guard case .diverged(let report) = replay.outcome else {
                Issue.record("expected divergence, got \(replay)")
                return
            }
            #expect(report.position == pos(0))
            #expect(report.recorded?.kind == "step" && report.recorded?.name == "call")
            #expect(report.attempted?.kind == "sleep")
        }
    }

    @Test("a step that succeeds at once commits as before (three steps: four commits); each retry adds one commit, its wait's record")
    func commitsPerRetry() async throws {
        for failures in [0, 2] {
            try await withDirectory { dir in
                let probe = Probe()
                let commits = CommitSizes()
                var configuration = testConfiguration()
                configuration.log.commitObserver = commits.observer
                try await withEngine(dir, [ThreeRetriedSteps.self], configuration: configuration) { engine in
                    let handle = try await engine.start(ThreeRetriedSteps.self, input: ProbeInput(probe: probe.key, n: failures), id: "three")
                    #expect(try await result(handle) == 6)
                    // The start; step a (with b's begin); b's retry waits, one each; b (with c's begin); c with the completion.
                    try await eventually("the workflow's commits observed: \(commits.all)") { commits.all.reduce(0, +) == 5 + failures }
                    #expect(commits.all == [1, 1] + Array(repeating: 1, count: failures) + [1, 2], "failures \(failures): \(commits.all)")
                }
            }
        }
    }

    @Test("compaction keeps a workflow in a retry wait whole, as any unfinished one; it goes on afterwards")
    func compactionKeepsTheWait() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock(start: start)
            var configuration = testConfiguration(clock: clock)
            configuration.log.segmentSize = 64 << 10  // the least: compaction rewrites sealed segments only
            let workflows: [any Workflow.Type] = [RetriesHourly.self, Doubler.self]
            let running = try await startInRetryWait(dir, probe, clock, failures: 1, configuration: configuration, workflows: workflows)
            // Finished workflows with inputs that do not compress, so that the retry wait ends up in a sealed segment.
            var random = SeededGenerator(seed: 5)
            for k in 0..<40 {
                let filler = String((0..<4096).map { _ in Character(Unicode.Scalar(UInt8.random(in: 97...122, using: &random))) })
                _ = try await result(try await running.engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: k, label: filler), id: "d\(k)"))
            }
            clock.advance(by: .seconds(60))  // the finished ones finished before now
            let report = try await running.engine.compact(policy: CompactionPolicy(keepFinished: .zero))
            #expect(!report.plan.dropped.isEmpty && report.plan.unfinished == 1, "\(report.plan)")
            try await running.crash()

            let second = try await RunningEngine.start(dir, workflows, configuration: configuration)
            #expect(try await operations(second.engine, "r").map(\.kind) == [.retryWaitStarted])
            try await clock.waitForSleeper(until: start + hour)
            clock.advance(to: start + hour)
            #expect(try await result(second.engine.handle(for: "r", of: RetriesHourly.self)) == 2)
            #expect(probe.count("r attempt") == 2)
            try await second.shutdown()
        }
    }
}
