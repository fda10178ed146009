import CoreMetrics
extension WorkflowContext {
    /// Runs `body` once and records its result; on replay returns the recorded result without running it.
    ///
    /// The result is durable before the workflow's next operation runs. A step that fails is retried per `retry`;
    /// after the last attempt its error is recorded (type and message) and thrown as a ``StepFailure`` — on replay
    /// too, so code that catches it behaves the same.
    ///
    /// - Parameters:
    ///   - name: the step's name, part of its identity in the history. Keep it stable.
    ///   - input: the step's explicit input, if it has one: strict mode compares its digest with the recorded one
    ///     and flags a change as divergence.
    ///   - retry: how often to try. Default: once.
    ///   - timeout: a limit per attempt; an attempt over it fails with a `TimeoutError` (and may be retried).
    ///   - body: the side effect. It must not call operations of the context.
    public func step<T: Codable & Sendable>(
        _ name: String, input: (any Encodable & Sendable)? = nil, retry: RetryPolicy = .none,
        timeout: Duration? = nil, file: String = #fileID, line: Int = #line,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await runStep(name, input: input, retry: retry, timeout: timeout, callSite: CallSite(file: file, line: line)) {
            try await body()
        }
    }

    /// Like ``step(_:input:retry:timeout:file:line:_:)`` for a body that blocks (synchronous file or network I/O,
    /// heavy computation, a C library): it runs on one of the engine's dedicated threads, never on Swift's
    /// cooperative pool. A timeout fails the attempt but cannot stop the thread, which finishes in the background.
    public func blockingStep<T: Codable & Sendable>(
        _ name: String, input: (any Encodable & Sendable)? = nil, retry: RetryPolicy = .none,
        timeout: Duration? = nil, file: String = #fileID, line: Int = #line,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let pool = engine.blockingPool
        return try await runStep(name, input: input, retry: retry, timeout: timeout, callSite: CallSite(file: file, line: line)) {
            let step = StepBody.current
            return try await pool.run { try StepBody.$current.withValue(step) { try body() } }
        }
    }

    private func runStep<T: Codable & Sendable>(
        _ name: String, input: (any Encodable & Sendable)?, retry: RetryPolicy, timeout: Duration?, callSite: CallSite,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let digest = try input.map { payloadDigest(try engine.encode($0, what: "the input of step '\(name)'", workflowID: workflowID)) }
        let (position, recorded) = try await begin(AttemptedOperation(kind: .step, name: name, callSite: callSite, digest: digest))
        defer { end() }
        if let recorded = recorded?.event {
            if recorded.kind == .stepFailed {
                throw StepFailure(step: name, errorType: recorded.errorType ?? "Error", message: String(decoding: recorded.payload, as: UTF8.self))
            }
            return try decode(T.self, recorded.payload, what: "the result of step '\(name)'", at: position)
        }
        var attempt = 1
        while true {
            let started = ContinuousClock.now
            do {
                let value = try await StepBody.$current.withValue(name) {
                    try await withTimeout(timeout, step: name, body)
                }
                engine.metrics.stepLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
                let payload = try encode(value, what: "the result of step '\(name)'", at: position)
                enqueue(event(.stepCompleted, at: position, name: name, callSite: callSite, digest: digest, payload: payload))
                return value
            } catch {
                if let stop = run.stop, case .cancelled = stop { throw stopError(error) }
                if error is WorkflowError { throw error }  // misuse inside the body, payload too large: not a step failure
                if attempt < retry.maxAttempts && !Task.isCancelled {
                    try await Task.sleep(for: retry.delay(after: attempt))
                    attempt += 1
                    continue
                }
                // The task running the workflow was cancelled (cancel(), shutdown past its grace period, run()
                // cancelled, a sibling branch failed): whatever the body threw, that is no failure of the step's
                // own to record for good. It stays unrecorded and runs again when the workflow goes on.
                if Task.isCancelled { throw stopError(error) }
                let failure = StepFailure(step: name, errorType: String(reflecting: type(of: error)), message: "\(error)")
                enqueue(event(
                    .stepFailed, at: position, name: name, callSite: callSite, digest: digest,
                    errorType: failure.errorType, payload: Array(failure.message.utf8)))
                throw failure
            }
        }
    }
}

/// An attempt of a step ran over its timeout.
public struct TimeoutError: Error, Sendable, CustomStringConvertible {
    /// The step.
    public var step: String
    /// The limit it ran over.
    public var timeout: Duration

    public var description: String { "step '\(step)' ran over its timeout of \(timeout)" }
}

/// Runs `body`, failing with ``TimeoutError`` if it takes longer than `timeout` (the body is cancelled).
func withTimeout<T: Sendable>(
    _ timeout: Duration?, step: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    guard let timeout else { return try await body() }
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TimeoutError(step: step, timeout: timeout)
        }
        return value
    }
}
