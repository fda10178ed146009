import Synchronization
import CairnLog

extension WorkflowEngine {
    /// Cancels a workflow and, unless `includingChildren` is false, its unfinished descendants (children,
    /// grandchildren, …): records the cancellations in one commit — a restart finds all of them cancelled or none
    /// — and stops each at its next operation (a step in progress is cancelled cooperatively; its outcome, if it
    /// finishes, is still recorded). Their status becomes `cancelled`; ``resume(_:)`` continues each from where it
    /// stopped (one at a time: resuming a parent does not resume its children).
    ///
    /// Cancelling a finished or already cancelled workflow records nothing for it; its unfinished descendants are
    /// still cancelled (a finished parent may have left a child running). With `includingChildren: false` the
    /// children keep running, and a parent awaiting one finds it still running when it is resumed.
    ///
    /// After the cancellation, every operation the workflow's code calls (and a wait in progress) throws
    /// ``WorkflowError`` `.cancelled` and records nothing; ``WorkflowHandle/result()`` throws `.cancelled`.
    /// Messages sent to a cancelled workflow are kept for it and received after a resume.
    /// - Throws: ``WorkflowError`` `.notFound` for an unknown ID; `.shuttingDown` / `.logFailure` when nothing
    ///   could be recorded (then none of them is cancelled).
    public func cancel(_ id: String, includingChildren: Bool = true) async throws {
        try await cancel(id, includingChildren: includingChildren, timedOut: false)
    }

    /// ``cancel(_:includingChildren:)``, recording the cancellations as caused by a deadline when `timedOut`.
    func cancel(_ id: String, includingChildren: Bool, timedOut: Bool) async throws {
        _ = try requireSummary(id)
        let cancelled = cancellable(id, includingChildren: includingChildren)
        guard !cancelled.isEmpty else { return }
        let now = clock.now()
        let flags: Event.Flags = timedOut ? .timedOut : []
        try await commit(cancelled.map { Event(kind: .workflowCancelled, workflowID: $0.id, name: $0.name, time: now, flags: flags) })
        let executions = state.withLock { s in cancelled.compactMap { s.executing[$0.id] } }
        for execution in executions {
            execution.run?.halt(.cancelled)
            execution.cancel()
        }
    }

    /// The workflows ``cancel(_:includingChildren:)`` cancels: `id` unless it is finished or cancelled, then (with
    /// `includingChildren`) every such descendant, parents before their children. The descendants are found in one
    /// pass over the workflows (a parent → children map of those that have a parent), not one pass per level.
    private func cancellable(_ id: String, includingChildren: Bool) -> [(id: String, name: String)] {
        state.withLock { s in
            func isCancellable(_ summary: WorkflowSummary) -> Bool {
                !summary.status.isFinished && summary.status != .cancelled
            }
            var found: [(id: String, name: String)] = []
            guard let root = s.projection.workflows[id]?.summary else { return found }
            if isCancellable(root) { found.append((root.id, root.name)) }
            guard includingChildren else { return found }
            var children: [String: [Int]] = [:]
            for index in s.projection.workflows.indices {
                if let parent = s.projection.workflows[at: index].summary.parentID {
                    children[parent, default: []].append(index)
                }
            }
            // Breadth first; `visited` guards against a cycle that IDs chosen by hand could make.
            var queue = children[id] ?? []
            var visited: Set<Int> = []
            var next = 0
            while next < queue.count {
                let index = queue[next]
                next += 1
                guard visited.insert(index).inserted else { continue }
                let summary = s.projection.workflows[at: index].summary
                if summary.id == id { continue }
                if isCancellable(summary) { found.append((summary.id, summary.name)) }
                queue += children[summary.id] ?? []
            }
            return found
        }
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
    ///
    /// Traced as a start (``EngineConfiguration/tracer``): the new workflow's runs continue the trace of the caller.
    /// - Returns: the new workflow's ID.
    public func fork(_ id: String, before position: UInt32, newID: String? = nil) async throws -> String {
        let summary = try requireSummary(id)
        guard let tracing else { return try await fork(id, summary, before: position, newID: newID, traceContext: nil) }
        return try await tracing.start(summary.name) { recorded in
            try await fork(id, summary, before: position, newID: newID, traceContext: recorded)
        }
    }

    /// ``fork(_:before:newID:)``, recording `traceContext` in the new workflow's start.
    private func fork(
        _ id: String, _ summary: WorkflowSummary, before position: UInt32, newID: String?, traceContext: String?
    ) async throws -> String {
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
        let start = Event(
            kind: .workflowStarted, workflowID: newID, name: summary.name, time: now, traceContext: traceContext, payload: input)
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
