import CairnLog
import Synchronization

extension WorkflowEngine {
    /// Tests only: stops the engine as if its process died at this instant, so that a test can reopen the directory
    /// in the same process and exercise recovery.
    ///
    /// The log is abandoned first (``CairnLog/Log/_abandon()``: no final sync, lock released), so nothing more is
    /// recorded — no outcome, no completion, and no `engineStopped` record, whose absence makes the next start count
    /// a recovery attempt. Workflows running here are halted and their tasks cancelled (they can no longer write);
    /// returns once ``run()`` has returned, if it was running.
    package func _crash() async {
        let phase = state.withLock { s -> EngineState.Phase in
            let phase = s.phase
            s.crashed = true
            if phase == .idle { s.phase = .stopped }
            return phase
        }
        log?._abandon()
        switch phase {
        case .idle:
            stopped.fire()
        case .running, .draining:
            beginShutdown()
            for execution in state.withLock({ Array($0.executing.values) }) { execution.cancel() }
            await stopped.wait()
        case .stopped:
            break
        }
    }
}
