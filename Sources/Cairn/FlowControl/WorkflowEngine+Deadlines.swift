import Logging
extension WorkflowEngine {
    /// Cancels workflows whose deadline passed (``StartOptions/timeout``), with their unfinished descendants, each
    /// cancellation recorded as timed out; their runs stop at their next operation, a step in flight sees its task
    /// cancelled, and ``WorkflowHandle/result()`` throws ``WorkflowError/Code/timedOut``.
    ///
    /// Called by the waker as deadlines pass, and by recovery, before anything resumes, for the deadlines that passed
    /// while the engine was down.
    func timeOut(_ ids: [String]) async throws {
        for id in ids {
            logger.info("workflow deadline passed; cancelling it and its descendants", metadata: ["workflow": "\(id)"])
            try await cancel(id, includingChildren: true, timedOut: true)
        }
    }
}

extension EngineState {
    /// Takes the deadlines that have passed, and returns the workflows they concern that have not settled (an entry
    /// whose workflow settled, or whose deadline changed, is dropped).
    mutating func expiredWorkflows(now: Int64) -> [String] {
        guard let next = projection.deadlines.next, next <= now else { return [] }
        return projection.deadlines.takeDue(now: now).compactMap { entry in
            guard let index = projection.workflows.index(forKey: entry.id) else { return nil }
            let summary = projection.workflows[at: index].summary
            guard summary.deadline == entry.deadline, summary.status.isActive else { return nil }
            return entry.id
        }
    }
}
