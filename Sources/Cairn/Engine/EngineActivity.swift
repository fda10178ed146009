import Synchronization

/// How many workflows an engine holds in each state of execution, at one moment: see ``WorkflowEngine/activity``.
///
/// - **running**: code runs (a step, replay, the code between operations); at most
///   ``EngineConfiguration/maxRunningWorkflows`` (a moment over, as a wait ends).
/// - **cached**: in a durable wait (sleep, a step's wait for its next attempt, receive, event read, child's result),
///   task kept in memory; at most
///   ``EngineConfiguration/maxCachedWorkflows``. A wake-up resumes it at once.
/// - **waiting**: in a durable wait, evicted: only its record and a timer or key entry. A wake-up resumes it by
///   replaying its history.
/// - **ready**: due to run (started, woken, recovered), waiting for a running slot.
///
/// A workflow whose every task waits but in a wait the history does not know (an event read without a timeout) is in
/// none of these.
public struct EngineActivity: Sendable, Equatable, CustomStringConvertible {
    /// Workflows whose code runs.
    public var running: Int
    /// Workflows in a durable wait kept in memory.
    public var cached: Int
    /// Workflows in a durable wait kept only as records.
    public var waiting: Int
    /// Workflows due to run, waiting for a running slot.
    public var ready: Int

    /// Counts as given.
    public init(running: Int = 0, cached: Int = 0, waiting: Int = 0, ready: Int = 0) {
        self.running = running
        self.cached = cached
        self.waiting = waiting
        self.ready = ready
    }

    public var description: String { "running \(running), cached \(cached), waiting \(waiting), ready \(ready)" }
}

extension WorkflowEngine {
    /// How many workflows run, wait in memory, wait as records, and wait for a running slot, now.
    public var activity: EngineActivity {
        state.withLock { $0.activity }
    }
}

extension EngineState {
    /// ``WorkflowEngine/activity``, read under the engine's lock.
    var activity: EngineActivity {
        EngineActivity(
            running: max(0, running), cached: cache.count, waiting: room.count,
            ready: backlog.count + woken.count + (queued?.count ?? 0))
    }
}
