import Synchronization
import DequeModule
extension WorkflowContext {
    /// Sends a message to another workflow's inbox (which need not exist yet). Recorded, so a replay does not send
    /// again. Delivered once the send is durable: before the sender's next operation.
    public func send<M: Codable & Sendable>(
        _ message: M, to workflowID: String, topic: String = "", file: String = #fileID, line: Int = #line
    ) async throws {
        let callSite = CallSite(file: file, line: line)
        let (position, recorded) = try await begin(
            AttemptedOperation(kind: .send, name: topic, callSite: callSite, target: workflowID))
        defer { end() }
        if recorded != nil { return }
        let payload = try encode(message, what: "the message", at: position)
        enqueue(event(.messageSent, at: position, name: topic, callSite: callSite, target: workflowID, payload: payload))
    }

    /// Receives the next message on `topic` sent to this workflow, waiting up to `timeout` (forever when nil).
    /// Returns nil when the timeout passes first.
    ///
    /// Each message is delivered exactly once, across restarts: which message was received (or that the wait timed
    /// out) is recorded. When the inbox is empty the wait is recorded as it begins, with its deadline, so a restart
    /// waits only for the remainder — and knows the workflow runs no code until a message comes (no recovery attempt
    /// is counted against it; see ``EngineConfiguration/maxRecoveryAttempts``).
    public func receive<M: Codable & Sendable>(
        _ type: M.Type, topic: String = "", timeout: Duration? = nil, file: String = #fileID, line: Int = #line
    ) async throws -> M? {
        let callSite = CallSite(file: file, line: line)
        let timeoutNanos = timeout.map { UInt64(max(0, $0.nanoseconds)) }
        let (position, recorded) = try await begin(
            AttemptedOperation(kind: .receive, name: topic, callSite: callSite, duration: timeoutNanos))
        defer { end() }
        if let outcome = recorded?.event {
            if outcome.flags.contains(.timedOut) { return nil }
            return try decode(M.self, outcome.payload, what: "the message received on '\(topic)'", at: position)
        }
        if run.replayOnly { throw run.reachFrontier(position, attempted: nil) }  // recorded waiting, not what it received
        let key = Projection.Key(workflowID: workflowID, name: topic)
        var deadline = recorded?.waitStarted?.deadline
        // The wait is recorded once, when the receive first finds its inbox empty: its deadline if it has one, and
        // in any case that the workflow waits — so that recovery knows it runs no code until a message comes.
        var waitRecorded = recorded?.waitStarted != nil
        while true {
            let signal = Signal()
            // Take the first message off the inbox now, so no concurrent branch takes it too. Until the receive
            // is durable it lives only in this pending event; a crash before that puts it back (the rebuilt
            // projection still has it).
            let message = engine.state.withLock { s -> Projection.Message? in
                if let message = s.projection.inboxes[key]?.popFirst() {
                    if s.projection.inboxes[key]!.isEmpty { s.projection.inboxes[key] = nil }
                    return message
                }
                s.keyWaiters[key, default: []].append(signal)
                return nil
            }
            if let message {
                enqueue(event(.messageReceived, at: position, name: topic, callSite: callSite, number: message.id, payload: message.payload))
                return try decode(M.self, message.payload, what: "the message received on '\(topic)'", at: position)
            }
            if !waitRecorded {
                let due = timeoutNanos.map { engine.clock.deadline(after: $0) }
                deadline = due
                try await engine.commit([
                    event(.receiveStarted, at: position, name: topic, callSite: callSite, deadline: due, number: timeoutNanos)
                ])
                waitRecorded = true
            }
            let arrived: Bool
            do {
                arrived = try await engine.waiting(self, .durable(WakeUp(deadline: deadline ?? .max, keys: [.message(key)]))) {
                    try await engine.wait(for: signal, until: deadline, interrupt: run.interrupt)
                }
            } catch {
                try run.checkRunnable()
                throw error
            }
            if !arrived {
                enqueue(event(.messageReceived, at: position, name: topic, callSite: callSite, flags: .timedOut))
                return nil
            }
        }
    }
}
