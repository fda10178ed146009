@testable import Cairn
import Foundation
import Testing

/// Sleeps the longest representable duration, then returns.
struct SleepsForever: Workflow {
    static let name = "test-sleeps-forever"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        try await context.sleep(for: .seconds(Int64.max))
        return "woke"
    }
}

/// Waits with the longest timeouts there are: a receive, an event read and a step, each of which completes.
struct WaitsWithHugeTimeouts: Workflow {
    static let name = "test-huge-timeouts"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let message = try await context.receive(String.self, topic: "go", timeout: .seconds(Int64.max)) ?? "none"
        let value = try await context.event(Int.self, key: "k", of: "owner-\(input.probe)", timeout: .seconds(Int64.max)) ?? -1
        let stepped = try await context.step("quick", timeout: .seconds(Int64.max)) { 7 }
        return "\(message) \(value) \(stepped)"
    }
}

/// Sets event "k" once it receives a message.
struct SetsEventLater: Workflow {
    static let name = "test-sets-event-later"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        _ = try await context.receive(String.self, topic: "set")
        try await context.setEvent("k", 42)
        return 42
    }
}

/// A step that fails `input.n` times, under a retry policy with unbounded attempts and a backoff that overflows any
/// integer: the waits must saturate, never trap.
struct RetriesWithHugeBackoff: Workflow {
    static let name = "test-huge-backoff"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        let policy = RetryPolicy(
            maxAttempts: .max, initialInterval: input.label == "zero" ? .zero : .milliseconds(1),
            backoffRate: .greatestFiniteMagnitude, maxInterval: .seconds(Int64.max))
        return try await context.step("flaky", retry: policy) {
            let attempt = probe.hit("flaky")
            if attempt <= input.n { throw FlakyError(attempt: attempt) }
            return attempt
        }
    }

    struct FlakyError: Error { var attempt: Int }
}

@Suite("Duration limits: huge durations saturate instead of trapping, live and on replay")
struct DurationLimitTests {
    @Test("a sleep of .seconds(.max) waits 'forever' live and after a restart, and can be cancelled")
    func sleepForever() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock()
            let configuration = testConfiguration(clock: clock)
            let first = try await RunningEngine.start(dir, [SleepsForever.self], configuration: configuration)
            _ = try await first.engine.start(SleepsForever.self, input: ProbeInput(probe: probe.key), id: "forever")
            try await clock.waitForSleeper(until: .max)
            let sleep = try #require(try await operations(first.engine, "forever").first)
            #expect(sleep.kind == .sleepStarted)
            #expect(sleep.deadline == .max)
            try await first.crash()

            // Recovery reads the recorded wake time and leaves the workflow waiting as a record (no task, no timer
            // to trap on); a century later it is still asleep.
            let second = try await RunningEngine.start(dir, [SleepsForever.self], configuration: configuration)
            try await eventually("the sleeper waits as a record") { second.engine.activity.waiting == 1 }
            clock.advance(by: .seconds(3600 * 24 * 365 * 100))
            try await Task.sleep(for: .milliseconds(50))
            #expect(second.engine.activity == EngineActivity(waiting: 1))
            #expect(second.engine.summary(of: "forever")?.status == .pending || second.engine.summary(of: "forever")?.status == .running)
            try await second.engine.cancel("forever")
            try await waitForStatus(second.engine, "forever", .cancelled)
            try await second.shutdown()
        }
    }

    @Test("a shutdown grace period of .seconds(.max) does not trap at shutdown")
    func foreverGracePeriod() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock()
            var configuration = testConfiguration(clock: clock)
            configuration.shutdownGracePeriod = .seconds(Int64.max)
            let running = try await RunningEngine.start(dir, [SleepsForever.self], configuration: configuration)
            _ = try await running.engine.start(SleepsForever.self, input: ProbeInput(probe: probe.key), id: "sleeper")
            try await clock.waitForSleeper(until: .max)  // an execution is in progress when the shutdown begins
            try await running.shutdown()
            #expect(running.engine.summary(of: "sleeper")?.status.isFinished == false)
        }
    }

    @Test("compaction every .seconds(.max), keeping finished workflows for as long, does not trap")
    func foreverCompaction() async throws {
        try await withDirectory { dir in
            try await withEngine(dir, []) { engine in
                let policy = CompactionPolicy(keepFinished: .seconds(Int64.min))
                _ = try await engine.compact(policy: policy)
                let service = CompactionService(engine: engine, policy: policy, every: .seconds(Int64.max))
                let task = Task { try await service.run() }
                task.cancel()
                _ = await task.result
            }
        }
    }

    @Test("receive, event read and step with a timeout of .seconds(.max) run normally")
    func hugeTimeouts() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [WaitsWithHugeTimeouts.self, SetsEventLater.self]) { engine in
                let owner = try await engine.start(SetsEventLater.self, input: ProbeInput(probe: probe.key), id: "owner-\(probe.key)")
                let waiter = try await engine.start(WaitsWithHugeTimeouts.self, input: ProbeInput(probe: probe.key), id: "waiter")
                try await engine.send("hello", to: "waiter", topic: "go")
                // From outside too: a huge timeout waits until the value is set.
                let outside = Task { try await engine.event(Int.self, key: "k", of: owner.id, timeout: .seconds(Int64.max)) }
                try await engine.send("now", to: owner.id, topic: "set")
                #expect(try await within { try await outside.value } == 42)
                #expect(try await result(waiter) == "hello 42 7")
            }
        }
    }

    @Test("a retry policy with Int.max attempts and an overflowing backoff does not trap", arguments: ["zero", "tiny"])
    func hugeBackoff(_ interval: String) async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [RetriesWithHugeBackoff.self]) { engine in
                if interval == "zero" {
                    // A zero interval times an infinite factor: zero, not NaN; the step succeeds on its 6th attempt.
                    let handle = try await engine.start(
                        RetriesWithHugeBackoff.self, input: ProbeInput(probe: probe.key, n: 5, label: "zero"), id: "retry")
                    #expect(try await result(handle) == 6)
                } else {
                    // 1 ms, then 1 ms × 1.8e308, capped by maxInterval .seconds(.max): a wait that never ends, which
                    // cancelling interrupts.
                    _ = try await engine.start(
                        RetriesWithHugeBackoff.self, input: ProbeInput(probe: probe.key, n: .max, label: "tiny"), id: "retry")
                    try await eventually("the second attempt") { probe.count("flaky") >= 2 }
                    try await engine.cancel("retry")
                    try await waitForStatus(engine, "retry", .cancelled)
                    #expect(probe.count("flaky") == 2)
                }
            }
        }
    }
}

/// Asks for a random number in an empty range.
struct EmptyRandom: Workflow {
    static let name = "test-empty-random"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        try await context.random(in: input.n..<input.n)
    }
}

@Suite("Empty ranges: refused, not trapped")
struct EmptyRangeTests {
    @Test("random(in:) with an empty range fails the workflow with invalidArgument and records no value")
    func emptyRandom() async throws {
        try await withDirectory { dir in
            try await withEngine(dir, [EmptyRandom.self]) { engine in
                let handle = try await engine.start(EmptyRandom.self, input: ProbeInput(probe: "", n: 3), id: "empty")
                let error = await caught { _ = try await result(handle) }
                let failure = try #require(error as? WorkflowFailure)
                #expect(failure.message.contains("invalidArgument") && failure.message.contains("3..<3"), "\(failure)")
                #expect(try await operations(engine, "empty").isEmpty)
            }
        }
    }
}

@Suite("Retry delays: computed without overflow for any policy")
struct RetryDelayTests {
    @Test(arguments: [1, 2, 64, 1_100, Int.max])
    func delays(attempt: Int) {
        let policies = [
            RetryPolicy(maxAttempts: .max, initialInterval: .seconds(Int64.max), backoffRate: .infinity, maxInterval: .seconds(Int64.max)),
            RetryPolicy(maxAttempts: .max, initialInterval: .zero, backoffRate: .greatestFiniteMagnitude, maxInterval: .seconds(1)),
            RetryPolicy(maxAttempts: .max, initialInterval: .milliseconds(100), backoffRate: .nan, maxInterval: .seconds(30)),
            RetryPolicy(maxAttempts: .max, initialInterval: .seconds(-5), backoffRate: -3, maxInterval: .seconds(-1)),
            .exponential(maxAttempts: .max),
        ]
        for policy in policies {
            let delay = policy.delay(after: attempt)
            #expect(delay >= .zero)
            #expect(delay <= max(.zero, policy.maxInterval))
            #expect(delay <= Duration.longestWait)
        }
        #expect(RetryPolicy.exponential(maxAttempts: 5).delay(after: 1) == .milliseconds(100))
        if attempt >= 10 { #expect(RetryPolicy.exponential(maxAttempts: .max).delay(after: attempt) == .seconds(30)) }
    }
}
