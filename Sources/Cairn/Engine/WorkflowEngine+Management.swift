import Synchronization
import CairnLog

extension WorkflowEngine {
    /// Cancels a workflow: records the cancellation, stops it at its next operation (a step in progress is
    /// cancelled cooperatively; its outcome, if it finishes, is still recorded). Its status becomes `cancelled`;
    /// ``resume(_:)`` continues it from where it stopped. Cancelling a finished or already cancelled workflow does
    /// nothing.
    ///
    /// After the cancellation, every operation the workflow's code calls (and a wait in progress) throws
    /// ``WorkflowError`` `.cancelled` and records nothing; ``WorkflowHandle/result()`` throws `.cancelled`.
    /// Messages sent to a cancelled workflow are kept for it and received after a resume.
    public func cancel(_ id: String) async throws {
        let summary = try requireSummary(id)
        guard !summary.status.isFinished, summary.status != .cancelled else { return }
        try await commit([Event(kind: .workflowCancelled, workflowID: id, name: summary.name, time: clock.now())])
        let execution = state.withLock { $0.executing[id] }
        execution?.run?.halt(.cancelled)
        execution?.cancel()
    }

    /// Resumes a cancelled, diverged or parked workflow: it replays its history (with the code as it is now) and
    /// goes on live.
    /// - Throws: ``WorkflowError`` `.invalidState` if it is running, pending or finished.
    public func resume(_ id: String) async throws {
        let summary = try requireSummary(id)
        guard [.cancelled, .diverged, .parked].contains(summary.status) else {
            throw WorkflowError(
                .invalidState, "only cancelled, diverged or parked workflows can be resumed; this one is \(summary.status)",
                workflowID: id)
        }
        // A run that is still winding down must end before the new one starts.
        while let execution = state.withLock({ $0.executing[id] }) { await execution.ended.wait() }
        try await commit([Event(kind: .workflowResumed, workflowID: id, name: summary.name, time: clock.now())])
        schedule(id)
    }

    /// Starts a new workflow that reuses the history of `id` before top-level position `position` (its
    /// operations at positions `0 ..< position`, with everything inside them) and runs live from there. The same
    /// workflow type and input; a new ID (random when nil).
    /// - Returns: the new workflow's ID.
    public func fork(_ id: String, before position: UInt32, newID: String? = nil) async throws -> String {
        let summary = try requireSummary(id)
        let newID = newID ?? randomUUIDString()
        let input = state.withLock { $0.projection.workflows[id]?.input } ?? []
        let now = clock.now()
        var copied: [Event] = []
        for record in try await historyRecords(of: id) {
            guard record.event.kind.isOperation, let p = record.event.position, let top = p.first, top < position else { continue }
            var event = record.event
            event.workflowID = newID
            event.flags.insert(.copied)  // the original's sends were delivered already
            copied.append(event)
        }
        let start = Event(kind: .workflowStarted, workflowID: newID, name: summary.name, time: now, payload: input)
        let forked = Event(kind: .workflowForked, workflowID: newID, name: summary.name, time: now, target: id, number: UInt64(position))
        let taken = state.withLock { s -> Bool in
            if s.projection.workflows[newID] != nil || s.starting.contains(newID) { return true }
            s.starting.insert(newID)
            s.startedHere?.insert(newID)
            return false
        }
        guard !taken else { throw WorkflowError(.idConflict, "a workflow with ID '\(newID)' already exists", workflowID: newID) }
        defer { _ = state.withLock { $0.starting.remove(newID) } }
        try await commit([start, forked] + copied)
        schedule(newID)
        return newID
    }

    private func requireSummary(_ id: String) throws -> WorkflowSummary {
        guard let summary = summary(of: id) else {
            throw WorkflowError(.notFound, "no workflow with this ID", workflowID: id)
        }
        return summary
    }
}
