import Synchronization

extension WorkflowEngine {
    /// The engine's waker, which ``run()`` runs beside the workflows: cancels the workflows whose deadline passed
    /// (``StartOptions/timeout``), and schedules the evicted workflows whose wake-up came — a key (a message, an event, a child's end), handed over by the commit path as it applies the record,
    /// or a deadline, for which it sleeps until the earliest one in the ``WaitingRoom``. One task for every evicted
    /// workflow, rather than a task and a timer each. Returns when shutdown begins.
    func wakeLoop() async {
        while true {
            let now = clock.now()
            let signal = Signal()
            let next = state.withLock { s -> (ids: [String], expired: [String], deadline: Int64)? in
                guard s.phase == .running else { return nil }
                let due = s.room.takeDue(now: now)
                for id in due { s.projection.setPendingIfRunning(id) }
                let ids = s.woken + due
                s.woken = []
                s.wakerSignal = signal
                let expired = s.expiredWorkflows(now: now)
                s.armedDeadline = min(s.room.nextDeadline ?? .max, s.projection.deadlines.next ?? .max)
                return (ids, expired, s.armedDeadline)
            }
            guard let next else { return }
            for id in next.ids { schedule(id) }
            if !next.expired.isEmpty {
                // Not awaited here: the cancellations' commit must not hold up the waking of others.
                Task { try? await self.timeOut(next.expired) }
            }
            do {
                // A poke since the lock fired `signal` already: the wait returns at once.
                _ = try await wait(for: signal, until: next.deadline == .max ? nil : next.deadline, interrupt: shutdownRequested)
            } catch {
                return  // shutdown began, or run() is cancelled
            }
        }
    }
}
