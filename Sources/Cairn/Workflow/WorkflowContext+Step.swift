import CoreMetrics
import Tracing
extension WorkflowContext {
    /// Runs `body` once and records its result; on replay returns the recorded result without running it.
    ///
    /// The result is durable before the workflow's next operation runs. A step that fails is retried per `retry`
    /// (a ``NonRetryableError``, or a type in the policy's ``RetryPolicy/nonRetryable``, ends the retries at once);
    /// after the last attempt its error is recorded (type and message) and thrown as a ``StepFailure`` — on replay
    /// too, so code that catches it behaves the same. A ``DurableError`` of a registered type is recorded with its
    /// value and thrown as itself, live and on replay alike.
    ///
    /// The wait before each next attempt is a durable wait: the failed attempt, its error and the next attempt's
    /// deadline are recorded first (``EventKind/retryWaitStarted``), so the workflow may be evicted while it waits,
    /// and a restart resumes the wait to that deadline with the attempt count going on. Cancelling the workflow
    /// during the wait cancels it. A step that succeeds at its first attempt records its result alone.
    ///
    /// - Parameters:
    ///   - name: the step's name, part of its identity in the history. Keep it stable.
    ///   - retry: how often to try, and how long to wait between attempts. Default: once.
    ///   - timeout: a limit per attempt; an attempt over it fails with a `TimeoutError` (and may be retried).
    ///   - body: the side effect. It must not call operations of the context.
    public func step<T: Codable & Sendable>(
        _ name: String, retry: RetryPolicy = .none, timeout: Duration? = nil, file: String = #fileID, line: Int = #line,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await runStep(name, digest: nil, retry: retry, timeout: timeout, callSite: CallSite(file: file, line: line), body)
    }

    /// ``step(_:retry:timeout:file:line:_:)`` with an explicit input: strict mode compares its digest with the
    /// recorded one and flags a change as divergence.
    ///
    /// Generic over the input's type (not an existential), so that Swift infers the types around it:
    /// `context.map([1, 2, 3]) { c, i in try await c.step("p", input: i) { i } }` needs no annotation.
    public func step<I: Encodable & Sendable, T: Codable & Sendable>(
        _ name: String, input: I, retry: RetryPolicy = .none, timeout: Duration? = nil, file: String = #fileID,
        line: Int = #line, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let digest = try inputDigest(input, step: name)
        return try await runStep(name, digest: digest, retry: retry, timeout: timeout, callSite: CallSite(file: file, line: line), body)
    }

    /// Like ``step(_:retry:timeout:file:line:_:)`` for a body that blocks (synchronous file or network I/O,
    /// heavy computation, a C library): it runs on one of the engine's dedicated threads, never on Swift's
    /// cooperative pool. A timeout fails the attempt but cannot stop the thread, which finishes in the background.
    public func blockingStep<T: Codable & Sendable>(
        _ name: String, retry: RetryPolicy = .none, timeout: Duration? = nil, file: String = #fileID, line: Int = #line,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await runBlockingStep(name, digest: nil, retry: retry, timeout: timeout, callSite: CallSite(file: file, line: line), body)
    }

    /// ``blockingStep(_:retry:timeout:file:line:_:)`` with an explicit input, compared in strict mode as
    /// ``step(_:input:retry:timeout:file:line:_:)``'s.
    public func blockingStep<I: Encodable & Sendable, T: Codable & Sendable>(
        _ name: String, input: I, retry: RetryPolicy = .none, timeout: Duration? = nil, file: String = #fileID,
        line: Int = #line, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let digest = try inputDigest(input, step: name)
        return try await runBlockingStep(
            name, digest: digest, retry: retry, timeout: timeout, callSite: CallSite(file: file, line: line), body)
    }

    private func runBlockingStep<T: Codable & Sendable>(
        _ name: String, digest: UInt64?, retry: RetryPolicy, timeout: Duration?, callSite: CallSite,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let pool = engine.blockingPool
        guard engine.tracing != nil else {
            return try await runStep(name, digest: digest, retry: retry, timeout: timeout, callSite: callSite) {
                try await pool.run { try StepBody.$current.withValue(name) { try body() } }
            }
        }
        // The thread does not inherit task-locals: it gets the attempt's span context by hand.
        return try await runStep(name, digest: digest, retry: retry, timeout: timeout, callSite: callSite) {
            let span = ServiceContext.current
            return try await pool.run {
                try ServiceContext.$current.withValue(span) { try StepBody.$current.withValue(name) { try body() } }
            }
        }
    }

    /// The step protocol, shared by both kinds of body. Everything synchronous is in `@inline(never)` helpers: this
    /// frame is allocated from the workflow's task for every step, and what it inlines makes it larger.
    private func runStep<T: Codable & Sendable>(
        _ name: String, digest: UInt64?, retry: RetryPolicy, timeout: Duration?, callSite: CallSite,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let (position, recorded) = try await beginStep(name, digest: digest, callSite: callSite)
        defer { end() }
        if let recorded, recorded.hasOutcome {
            return try recordedResult(recorded, as: T.self, step: name, at: position)
        }
        return try await runLive(
            name, retry: retry, timeout: timeout, at: position, callSite: callSite, digest: digest, resuming: recorded, body)
    }

    /// Begins a step: the part of ``runStep`` that does not depend on its result type, in a frame of its own.
    @inline(never)
    private func beginStep(_ name: String, digest: UInt64?, callSite: CallSite) async throws -> (Position, Recorded?) {
        try await begin(AttemptedOperation(kind: .step, name: name, callSite: callSite, digest: digest))
    }

    /// Runs a step's body live, with its retries, and queues its outcome. `recorded`: the step's history ends in a
    /// retry wait (a restart or an eviction came during it), which goes on to its recorded deadline, and the count
    /// from its attempt. Not inlined into ``runStep``: that frame stays allocated while earlier outcomes are
    /// committed, this one only while the body runs.
    @inline(never)
    private func runLive<T: Codable & Sendable>(
        _ name: String, retry: RetryPolicy, timeout: Duration?, at position: Position, callSite: CallSite,
        digest: UInt64?, resuming recorded: Recorded?, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        var attempt = 1
        if let recorded {
            attempt = try await resumeRetryWait(recorded, step: name, at: position, callSite: callSite, digest: digest)
        }
        while true {
            let started = ContinuousClock.now
            do {
                // A body that calls an operation of this context finds it busy with this step (see `begin`); one
                // that runs in other tasks (a timeout's race, a blocking body's thread) carries the step's name as a
                // task-local instead. The common case pushes no task-local.
                let value = if engine.tracing != nil {
                    try await tracedAttempt(attempt, of: name, timeout: timeout, body)
                } else if let timeout {
                    try await StepBody.$current.withValue(name) { try await race(body, against: timeout, step: name) }
                } else {
                    try await body()
                }
                try recordResult(value, step: name, at: position, callSite: callSite, digest: digest, started: started)
                return value
            } catch {
                try await waitToRetry(
                    after: attempt, error: error, retry: retry, step: name, at: position, callSite: callSite, digest: digest)
                attempt += 1
            }
        }
    }

    /// One attempt of a step's body inside its span (``WorkflowTracing/attempt(_:attempt:workflowID:_:)``).
    @inline(never)
    private func tracedAttempt<T: Sendable>(
        _ attempt: Int, of name: String, timeout: Duration?, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await engine.tracing!.attempt(name, attempt: attempt, workflowID: workflowID) {
            guard let timeout else { return try await body() }
            return try await StepBody.$current.withValue(name) { try await race(body, against: timeout, step: name) }
        }
    }

    /// After failed attempt `attempt`: records the step's failure and throws it (or the reason the workflow must
    /// stop), or records the retry wait — durable before it begins, so that a restart knows the attempt and the
    /// deadline — and waits, durably, until the next attempt is due. Only a failed attempt comes here: the success
    /// path pays nothing for it.
    @inline(never)
    private func waitToRetry(
        after attempt: Int, error: any Error, retry: RetryPolicy, step name: String, at position: Position,
        callSite: CallSite, digest: UInt64?
    ) async throws {
        let wait = try afterFailedAttempt(
            attempt, error: error, retry: retry, step: name, at: position, callSite: callSite, digest: digest)
        try await engine.commit([wait])
        try await sleepUntil(wait.deadline ?? .min)
    }

    /// Resumes a step whose history ends in a retry wait (after a restart or an eviction): waits until the recorded
    /// deadline, not one drawn again, and returns the attempt to run next. A replay-only run stops here: the next
    /// attempt is not recorded.
    @inline(never)
    private func resumeRetryWait(
        _ recorded: Recorded, step name: String, at position: Position, callSite: CallSite, digest: UInt64?
    ) async throws -> Int {
        let (attempt, deadline) = recordedRetry(recorded)
        if run.replayOnly {
            throw run.reachFrontier(position, attempted: AttemptedOperation(kind: .step, name: name, callSite: callSite, digest: digest))
        }
        try await sleepUntil(deadline)
        return attempt + 1
    }

    /// The failed attempt and the next attempt's deadline a recorded retry wait holds.
    @inline(never)
    private func recordedRetry(_ recorded: Recorded) -> (attempt: Int, deadline: Int64) {
        let wait = recorded.waitStarted
        return (wait?.number.map(RetryWaitRecord.attempt(ofNumber:)) ?? 0, wait?.deadline ?? .min)
    }

    /// The digest of a step's explicit input, compared in strict mode.
    @inline(never)
    private func inputDigest<I: Encodable>(_ input: I, step name: String) throws -> UInt64 {
        payloadDigest(try engine.encode(input, what: "the input of step '\(name)'", workflowID: workflowID))
    }

    /// What a replayed step returns: its recorded value, or its recorded failure thrown again.
    @inline(never)
    private func recordedResult<T: Decodable>(_ entry: Recorded, as type: T.Type, step name: String, at position: Position) throws -> T {
        let recorded = entry.event!
        if recorded.kind == .stepFailed {
            let failure = WorkflowFailure(
                errorType: recorded.errorType ?? "Error", recordedPayload: recorded.payload, flags: recorded.flags)
            throw thrownError(of: failure, step: name, at: position)
        }
        return try decode(T.self, recorded.payload, what: "the result of step '\(name)'", at: position)
    }

    /// Queues a live step's result, to be made durable before the next operation.
    @inline(never)
    private func recordResult<T: Encodable>(
        _ value: T, step name: String, at position: Position, callSite: CallSite, digest: UInt64?,
        started: ContinuousClock.Instant
    ) throws {
        engine.metrics.stepLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        let payload = try encode(value, what: "the result of step '\(name)'", at: position)
        enqueue(event(.stepCompleted, at: position, name: name, callSite: callSite, digest: digest, payload: payload))
    }

    /// Decides what follows a failed attempt: returns the retry wait to record before the next one (its deadline
    /// the backoff, jitter drawn once, from now), or throws — the step's recorded failure after the last attempt, or
    /// the reason the workflow must stop.
    @inline(never)
    private func afterFailedAttempt(
        _ attempt: Int, error: any Error, retry: RetryPolicy, step name: String, at position: Position,
        callSite: CallSite, digest: UInt64?
    ) throws -> Event {
        if let stop = run.stop, case .cancelled = stop { throw stopError(error) }
        if error is WorkflowError { throw error }  // misuse inside the body, payload too large: not a step failure
        if attempt < retry.maxAttempts && !Task.isCancelled && retry.retries(error) {
            var random = SystemRandomNumberGenerator()
            let delay = retry.delay(after: attempt, using: &random)
            // Text only, cut like a failure's: the value of a durable error matters to the step's last failure alone.
            return event(
                .retryWaitStarted, at: position, name: name, callSite: callSite, digest: digest,
                deadline: engine.clock.deadline(after: UInt64(max(0, delay.nanoseconds))),
                number: RetryWaitRecord.number(attempt: attempt, maxAttempts: retry.maxAttempts),
                errorType: engine.recordableType(engine.recordedErrorType(of: error)),
                payload: Array(engine.recordable("\(error)").utf8))
        }
        // The task running the workflow was cancelled (cancel(), shutdown past its grace period, run()
        // cancelled, a sibling branch failed): whatever the body threw, that is no failure of the step's
        // own to record for good. It stays unrecorded and runs again when the workflow goes on.
        if Task.isCancelled { throw stopError(error) }
        // Cut to a recordable size; the caller sees what replay will give: the cut message, the decoded value.
        let failure = engine.recordedFailure(of: error, workflowID: workflowID, position: position)
        enqueue(event(
            .stepFailed, at: position, name: name, callSite: callSite, digest: digest,
            errorType: failure.errorType, flags: failure.recordedFlags, payload: failure.recordedPayload))
        throw thrownError(of: failure, step: name, at: position)
    }

    /// What a step's caller catches for its recorded failure: the registered ``DurableError`` it carries, otherwise
    /// a ``StepFailure``.
    @inline(never)
    private func thrownError(of failure: WorkflowFailure, step name: String, at position: Position) -> any Error {
        engine.durableError(of: failure, workflowID: workflowID, position: position)
            ?? StepFailure(step: name, errorType: failure.errorType, message: failure.message)
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
@inline(never)
private func race<T: Sendable>(
    _ body: @escaping @Sendable () async throws -> T, against timeout: Duration, step: String
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout.asWait)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TimeoutError(step: step, timeout: timeout)
        }
        return value
    }
}
