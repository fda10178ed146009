extension WorkflowContext {
    /// Sleeps durably: the wake time is recorded before the sleep begins, so after a restart only the remainder is
    /// slept (none, if it has passed).
    public func sleep(for duration: Duration, file: String = #fileID, line: Int = #line) async throws {
        let callSite = CallSite(file: file, line: line)
        let nanos = UInt64(max(0, duration.nanoseconds))
        let (position, recorded) = try await begin(AttemptedOperation(kind: .sleep, name: "sleep", callSite: callSite, duration: nanos))
        defer { end() }
        let wake: Int64
        if let recorded = recorded?.event {
            wake = recorded.deadline ?? 0
        } else {
            wake = engine.clock.deadline(after: nanos)  // saturates: a sleep of `.seconds(.max)` waits "forever"
            // Durable before sleeping: a restart must know the wake time.
            try await engine.commit(
                [event(.sleepStarted, at: position, name: "sleep", callSite: callSite, deadline: wake, number: nanos)])
        }
        try await sleepUntil(wake)
    }

    /// Sleeps until `deadline` (nanoseconds since 1970), interrupted by cancellation or shutdown.
    func sleepUntil(_ deadline: Int64) async throws {
        guard !run.replayOnly, deadline > engine.clock.now() else { return }
        do {
            _ = try await engine.waiting(self, .durable(WakeUp(deadline: deadline))) {
                try await engine.wait(for: nil, until: deadline, interrupt: run.interrupt)
            }
        } catch {
            try run.checkRunnable()
            throw error
        }
    }
}
