import Synchronization

/// A workflow taken on for execution in this process, from the moment it is claimed (at most one execution per
/// workflow at a time) until its end is recorded.
///
/// The workflow's code runs in the execution's own task, the only task a workflow costs (branches of
/// ``WorkflowContext/parallel(_:file:line:_:)`` add theirs). The task is created after the claim, so its handle
/// is attached late; a cancellation requested before that is applied when it arrives.
final class WorkflowExecution: Sendable {
    /// Fired once the execution has recorded its end (or given up), so a resume or a shutdown can wait for it.
    let ended = Signal()

    private struct State: ~Copyable {
        var task: Task<Void, Never>?
        var run: WorkflowRun?
        var cancelled = false
    }

    private let state = Mutex(State())

    /// Attaches the task that runs the execution; cancels it at once if a cancellation came first.
    func attach(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { s -> Bool in
            s.task = task
            return s.cancelled
        }
        if cancelled { task.cancel() }
    }

    /// The run, once the execution has built it from the workflow's history.
    var run: WorkflowRun? {
        get { state.withLock { $0.run } }
        set { state.withLock { $0.run = newValue } }
    }

    /// Cancels the execution's task (now, or as soon as it is attached).
    func cancel() {
        let task = state.withLock { s -> Task<Void, Never>? in
            s.cancelled = true
            return s.task
        }
        task?.cancel()
    }
}
