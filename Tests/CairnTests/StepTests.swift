import Cairn
import CairnLog
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A step that fails its first `n` attempts (input `n`), retried up to `label` attempts ("3" → 3).
struct FlakyStep: Workflow {
    static let name = "test-flaky-step"

    struct Output: Codable, Sendable, Equatable {
        var value: Int?
        var failure: StepFailureInfo?
    }

    struct StepFailureInfo: Codable, Sendable, Equatable {
        var step: String
        var errorType: String
        var message: String
    }

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Output {
        let probe = Probe.get(input.probe)
        let attempts = Int(input.label) ?? 1
        let policy = RetryPolicy(maxAttempts: attempts, initialInterval: .milliseconds(20), backoffRate: 2, maxInterval: .milliseconds(50))
        do {
            let value = try await context.step("flaky", retry: policy) {
                let attempt = probe.hit("attempt")
                probe.note("attempt-at", "\(ContinuousClock.now)")
                probe.note("attempt-time", "\(DispatchTime.now().uptimeNanoseconds)")
                if attempt <= input.n { throw TestFailure(text: "attempt \(attempt) failed") }
                return attempt
            }
            // Held here so a test can crash after the step's outcome is recorded.
            _ = try await context.step("after") {
                probe.hit("after")
                try await probe.pass("after")
                return 0
            }
            return Output(value: value)
        } catch let failure as StepFailure {
            _ = try await context.step("after") {
                probe.hit("after")
                try await probe.pass("after")
                return 0
            }
            return Output(failure: StepFailureInfo(step: failure.step, errorType: failure.errorType, message: failure.message))
        }
    }
}

/// A step whose body waits until cancelled, with a timeout per attempt (input `n` attempts).
struct SlowStep: Workflow {
    static let name = "test-slow-step"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = Probe.get(input.probe)
        do {
            _ = try await context.step("slow", retry: RetryPolicy(maxAttempts: input.n, initialInterval: .milliseconds(1)), timeout: .milliseconds(50)) {
                probe.hit("slow")
                try await Task.sleep(for: .seconds(3600))
                return 0
            }
            return "finished"
        } catch let failure as StepFailure {
            return failure.errorType
        }
    }
}

/// Blocking steps: one records where it ran; `label == "timeout"` makes one block past its timeout.
struct BlockingWork: Workflow {
    static let name = "test-blocking"

    struct Output: Codable, Sendable {
        var blockingThreadName: String
        var blockingHadTask: Bool
        var asyncHadTask: Bool
        var timeoutError: String?
    }

    static let semaphores = Mutex<[String: DispatchSemaphore]>([:])

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Output {
        let probe = Probe.get(input.probe)
        let whereRun = try await context.blockingStep("where") {
            probe.hit("where")
            return [currentThreadName(), withUnsafeCurrentTask { $0 == nil } ? "no task" : "task"]
        }
        let asyncHadTask = try await context.step("async-where") { withUnsafeCurrentTask { $0 != nil } }
        var timeoutError: String?
        if input.label == "timeout" {
            let semaphore = semaphores.withLock { $0[input.probe]! }
            do {
                _ = try await context.blockingStep("blocked", timeout: .milliseconds(50)) {
                    probe.hit("blocked")
                    semaphore.wait()  // released by the test only after the workflow moved on
                    return 1
                }
            } catch let failure as StepFailure {
                timeoutError = failure.errorType
                probe.note("timed out", failure.errorType)
            }
        }
        return Output(blockingThreadName: whereRun[0], blockingHadTask: whereRun[1] == "task", asyncHadTask: asyncHadTask, timeoutError: timeoutError)
    }
}

/// The calling thread's name, as the kernel knows it.
func currentThreadName() -> String {
    Platform.currentThreadName()
}

/// Calls a workflow operation from inside a step's body.
struct OperationInsideStep: Workflow {
    static let name = "test-operation-inside-step"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = Probe.get(input.probe)
        let inner: String = try await context.step("outer") {
            do {
                _ = try await context.step("inner") { probe.hit("inner") }
                return "no error"
            } catch let error as WorkflowError {
                return "\(error.code) \(error.workflowID ?? "")"
            }
        }
        // The context is still usable afterwards: the refused call took no position.
        let after = try await context.step("after") { 1 }
        return "\(inner) \(after)"
    }
}

@Suite("Steps: results, failures, retries, timeouts, blocking bodies")
struct StepTests {
    @Test("a step that fails twice is retried and its success recorded once")
    func retriesUntilSuccess() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [FlakyStep.self]) { engine in
                let output = try await result(try await engine.start(FlakyStep.self, input: ProbeInput(probe: probe.key, n: 2, label: "3")))
                #expect(output == FlakyStep.Output(value: 3))
                #expect(probe.count("attempt") == 3)
                let id = try #require(engine.list(name: FlakyStep.name).first?.id)
                let ops = try await operations(engine, id)
                // Each failed attempt that was retried is recorded with the wait for the next one, at the step's
                // position; then the step's one result.
                #expect(ops.map(\.kind) == [.retryWaitStarted, .retryWaitStarted, .stepCompleted, .stepCompleted])
                #expect(ops.prefix(3).allSatisfy { $0.position == pos(0) && $0.name == "flaky" })
                #expect(ops.prefix(2).compactMap { RetryWaitRecord($0) }.map(\.attempt) == [1, 2])
                #expect(try decodePayload(Int.self, ops[2].payload) == 3)
            }
            // Backoff: each wait is at least the policy's interval (20 ms, then 40 ms). Only lower bounds, which a
            // slow machine cannot break.
            let times = probe.notes("attempt-time").compactMap(UInt64.init)
            try #require(times.count == 3)
            #expect(times[1] - times[0] >= 20_000_000)
            #expect(times[2] - times[1] >= 40_000_000)
        }
    }

    @Test("a step that keeps failing records its failure; replay throws the same StepFailure without running it")
    func failureIsRecordedAndReplayed() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("after")
            let first = try await RunningEngine.start(dir, [FlakyStep.self])
            _ = try await first.engine.start(FlakyStep.self, input: ProbeInput(probe: probe.key, n: 100, label: "3"), id: "flaky")
            try await probe.waitForArrival("after")
            #expect(probe.count("attempt") == 3)
            let ops = try await operations(first.engine, "flaky")
            #expect(ops.map(\.kind) == [.retryWaitStarted, .retryWaitStarted, .stepFailed])
            #expect(ops.map { String(decoding: $0.payload, as: UTF8.self) } == ["attempt 1 failed", "attempt 2 failed", "attempt 3 failed"])
            #expect(ops.allSatisfy { $0.errorType?.hasSuffix("TestFailure") == true })
            try await first.crash()
            probe.openAll()

            let second = try await RunningEngine.start(dir, [FlakyStep.self])
            let output = try await result(second.engine.handle(for: "flaky", of: FlakyStep.self))
            try await second.shutdown()
            #expect(probe.count("attempt") == 3, "a recorded failure is not retried on replay")
            let failure = try #require(output.failure)
            #expect(failure.step == "flaky")
            #expect(failure.errorType.hasSuffix("TestFailure"))
            #expect(failure.message == "attempt 3 failed")
        }
    }

    @Test("RetryPolicy clamps nonsense and has sensible presets")
    func retryPolicyValues() {
        #expect(RetryPolicy(maxAttempts: 0).maxAttempts == 1)
        #expect(RetryPolicy(maxAttempts: -5).maxAttempts == 1)
        #expect(RetryPolicy(maxAttempts: 3, backoffRate: 0.5).backoffRate == 1)
        #expect(RetryPolicy.none.maxAttempts == 1)
        let exponential = RetryPolicy.exponential(maxAttempts: 5)
        #expect(exponential.maxAttempts == 5)
        #expect(exponential.initialInterval == .milliseconds(100))
        #expect(exponential.backoffRate == 2)
    }

    @Test("an attempt over its timeout fails with TimeoutError and is retried", arguments: [1, 2])
    func timeout(_ attempts: Int) async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [SlowStep.self]) { engine in
                let output = try await result(try await engine.start(SlowStep.self, input: ProbeInput(probe: probe.key, n: attempts)))
                #expect(output.hasSuffix("TimeoutError"))
                #expect(probe.count("slow") == attempts)
            }
        }
    }

    @Test("a blocking step runs on one of the engine's own threads, not on Swift's cooperative pool")
    func blockingStepThread() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [BlockingWork.self]) { engine in
                let output = try await result(try await engine.start(BlockingWork.self, input: ProbeInput(probe: probe.key)))
                #expect(output.blockingThreadName == "cairn-blocking")
                #expect(!output.blockingHadTask, "a blocking body runs outside any Swift task")
                #expect(output.asyncHadTask, "an async step body runs in a task (the check above can tell the difference)")
            }
        }
    }

    @Test("a blocking step over its timeout fails at once; its thread finishes in the background")
    func blockingStepTimeout() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let semaphore = DispatchSemaphore(value: 0)
            BlockingWork.semaphores.withLock { $0[probe.key] = semaphore }
            defer { semaphore.signal() }
            try await withEngine(dir, [BlockingWork.self]) { engine in
                let handle = try await engine.start(BlockingWork.self, input: ProbeInput(probe: probe.key, label: "timeout"))
                // The body is still blocked (the semaphore is not signalled) when the timeout is reported.
                try await eventually("the timeout to be reported while the body still blocks") { !probe.notes("timed out").isEmpty }
                let output = try await result(handle)
                #expect(output.timeoutError?.hasSuffix("TimeoutError") == true)
                #expect(probe.count("blocked") == 1)
            }
        }
    }

    @Test("an operation called inside a step's body is refused with .misuse")
    func operationInsideStep() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [OperationInsideStep.self]) { engine in
                let output = try await result(try await engine.start(OperationInsideStep.self, input: ProbeInput(probe: probe.key), id: "inside"))
                #expect(output == "misuse inside 1")
                #expect(probe.count("inner") == 0)
                #expect(try await operations(engine, "inside").map(\.name) == ["outer", "after"])
            }
        }
    }
}
