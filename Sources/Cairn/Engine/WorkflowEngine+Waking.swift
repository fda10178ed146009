import Synchronization

extension WorkflowEngine {
    /// The engine's waker, which ``run()`` runs beside the workflows: schedules the evicted workflows whose wake-up
    /// came — a key (a message, an event, a child's end), handed over by the commit path as it applies the record,
    /// or a deadline, for which it sleeps until the earliest one in the ``WaitingRoom``. One task for every evicted
    /// workflow, rather than a task and a timer each. Returns when shutdown begins.
    func wakeLoop() async {
        while true {
            let now = clock.now()
            let signal = Signal()
            let next = state.withLock { s -> (ids: [String], deadline: Int64)? in
                guard s.phase == .running else { return nil }
                let due = s.room.takeDue(now: now)
                for id in due { s.projection.setPendingIfRunning(id) }
                let ids = s.woken + due
                s.woken = []
                s.wakerSignal = signal
                s.armedDeadline = s.room.nextDeadline ?? .max
                return (ids, s.armedDeadline)
            }
            guard let next else { return }
            for id in next.ids { schedule(id) }
            do {
                // A poke since the lock fired `signal` already: the wait returns at once.
                _ = try await wait(for: signal, until: next.deadline == .max ? nil : next.deadline, interrupt: shutdownRequested)
            } catch {
                return  // shutdown began, or run() is cancelled
            }
        }
    }
}
