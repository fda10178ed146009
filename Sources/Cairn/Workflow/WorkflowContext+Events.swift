extension WorkflowContext {
    /// Publishes `value` under `key` for this workflow: readable by other workflows with
    /// ``event(_:key:of:timeout:file:line:)`` and from outside with ``WorkflowEngine/event(_:key:of:timeout:)``.
    /// Setting a key again replaces the value.
    public func setEvent<V: Codable & Sendable>(_ key: String, _ value: V, file: String = #fileID, line: Int = #line) async throws {
        let callSite = CallSite(file: file, line: line)
        let (position, recorded) = try await begin(AttemptedOperation(kind: .setEvent, name: key, callSite: callSite))
        defer { end() }
        if recorded != nil { return }
        let payload = try encode(value, what: "the value of event '\(key)'", at: position)
        enqueue(event(.eventSet, at: position, name: key, callSite: callSite, payload: payload))
    }

    /// Reads the value another workflow set for `key`, waiting up to `timeout` for it (nil: do not wait). Returns
    /// nil when it is not set in time. The value read (or its absence) is recorded, so replay sees the same.
    public func event<V: Codable & Sendable>(
        _ type: V.Type, key: String, of workflowID: String, timeout: Duration? = nil, file: String = #fileID,
        line: Int = #line
    ) async throws -> V? {
        let callSite = CallSite(file: file, line: line)
        let timeoutNanos = timeout.map { UInt64(max(0, $0.nanoseconds)) }
        let (position, recorded) = try await begin(
            AttemptedOperation(kind: .readEvent, name: key, callSite: callSite, target: workflowID, duration: timeoutNanos))
        defer { end() }
        if let outcome = recorded?.event {
            if outcome.flags.contains(.timedOut) { return nil }
            return try decode(V.self, outcome.payload, what: "event '\(key)' of \(workflowID)", at: position)
        }
        if run.replayOnly { throw run.reachFrontier(position, attempted: nil) }
        var deadline = recorded?.waitStarted?.deadline
        if let timeoutNanos, deadline == nil, timeoutNanos > 0 {
            let due = engine.clock.deadline(after: timeoutNanos)
            deadline = due
            try await engine.commit([
                event(.receiveStarted, at: position, name: key, callSite: callSite, target: workflowID, deadline: due, number: timeoutNanos)
            ])
        }
        let value: [UInt8]?
        do {
            let key = Projection.Key(workflowID: workflowID, name: key)
            // Recorded with its deadline, the wait is durable; without a timeout it only looks (a deadline of now).
            let wait: Wait = deadline.map { .durable(WakeUp(deadline: $0, keys: [.event(key)])) } ?? .pause
            let deadline = deadline ?? engine.clock.now()
            value = try await engine.waiting(self, wait) { try await engine.waitForEvent(key, deadline: deadline, interrupt: run.interrupt) }
        } catch {
            try run.checkRunnable()
            throw error
        }
        guard let value else {
            enqueue(event(.eventRead, at: position, name: key, callSite: callSite, target: workflowID, flags: .timedOut))
            return nil
        }
        enqueue(event(.eventRead, at: position, name: key, callSite: callSite, target: workflowID, payload: value))
        return try decode(V.self, value, what: "event '\(key)' of \(workflowID)", at: position)
    }
}
