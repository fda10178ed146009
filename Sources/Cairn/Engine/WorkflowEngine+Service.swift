import Synchronization
import CairnLog
import Logging
import ServiceLifecycle

extension WorkflowEngine {
    /// Runs the engine until cancelled or gracefully shut down: resumes every unfinished workflow by replay, then
    /// runs each workflow started from now on.
    ///
    /// On graceful shutdown (swift-service-lifecycle) it stops accepting starts, interrupts workflows that are
    /// sleeping or waiting, lets running steps finish for up to ``EngineConfiguration/shutdownGracePeriod``
    /// (then cancels them), records every outcome, syncs and closes the log. Unfinished workflows resume at the
    /// next start.
    public func run() async throws {
        let alreadyRunning = state.withLock { s -> Bool in
            guard s.phase == .idle else { return true }
            s.phase = .running
            return false
        }
        guard !alreadyRunning else {
            throw WorkflowError(.invalidState, "run() was already called on this engine, or it was shut down")
        }
        try await recover()
        let queued = state.withLock { s -> [String] in
            defer { s.queued = nil }
            return s.queued ?? []
        }
        for id in queued { schedule(id) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Cancels what is still running once the grace period after a shutdown request has passed.
                await self.enforceGracePeriod()
            }
            // Each workflow runs in a detached task of its own (`schedule`), tracked in `executing`, rather than as a
            // child of one task group: the runtime finds a finished child by walking the group's list of children,
            // which made every short workflow cost time in proportion to the number of workflows waiting beside it.
            await withGracefulShutdownHandler {
                await self.shutdownRequested.wait()  // returns on cancellation too
            } onGracefulShutdown: {
                self.beginShutdown()
            }
            if Task.isCancelled {
                // Cancelled rather than shut down: stop every workflow at once, recording nothing more for them.
                self.beginShutdown()
                for execution in self.state.withLock({ Array($0.executing.values) }) { execution.cancel() }
            }
            await self.waitUntilDrained()
            group.cancelAll()
        }
        await closeLog()
    }

    /// Stops the engine as a graceful shutdown would, and waits until ``run()`` has returned. For code that runs
    /// the engine without a `ServiceGroup` (tests, scripts).
    public func shutdown() async {
        let neverRan = state.withLock { s -> Bool in
            guard s.phase == .idle else { return false }
            s.phase = .draining
            return true
        }
        if neverRan {
            await closeLog()
        } else {
            beginShutdown()
            await stopped.wait()
        }
    }

    /// Resumes every unfinished workflow: registered ones by replay, the rest parked. Each resumption is recorded
    /// first, so that one whose replay keeps crashing the process is parked after
    /// ``EngineConfiguration/maxRecoveryAttempts``.
    private func recover() async throws {
        let now = clock.now()
        let (resume, park, unpark) = state.withLock { s -> ([String], [Event], [Event]) in
            var resume: [String] = []
            var park: [Event] = []
            var unpark: [Event] = []
            let startedHere = s.startedHere ?? []
            s.startedHere = nil
            for (id, w) in s.projection.workflows where !startedHere.contains(id) {
                if w.summary.status == .parked, registry[w.summary.name] != nil,
                    w.summary.parkReason?.contains("is not registered") == true
                {
                    unpark.append(Event(kind: .workflowResumed, workflowID: id, name: w.summary.name, time: now))
                    resume.append(id)
                    continue
                }
                guard w.summary.status.isActive else { continue }
                if registry[w.summary.name] != nil && w.recoveryAttempts >= configuration.maxRecoveryAttempts {
                    let reason = "recovery was attempted \(w.recoveryAttempts) times without progress (did the process crash while replaying it?); fix the cause, then resume it"
                    park.append(Event(
                        kind: .workflowParked, workflowID: id, name: w.summary.name, time: now,
                        number: UInt64(w.recoveryAttempts), flags: Event.Flags.recoveryExhausted, payload: Array(reason.utf8)))
                    continue
                }
                resume.append(id)
            }
            return (resume.sorted(), park, unpark)
        }
        var attempts = unpark + park
        attempts += resume.compactMap { id in
            state.withLock { s in
                s.projection.workflows[id].map {
                    Event(kind: .recoveryAttempted, workflowID: id, name: $0.summary.name, time: now)
                }
            }
        }
        try await commit(attempts)
        for event in park {
            logger.error("workflow parked: recovery failed too often", metadata: ["workflow": "\(event.workflowID)"])
        }
        if !resume.isEmpty {
            logger.info("resuming unfinished workflows", metadata: ["count": "\(resume.count)"])
        }
        for id in resume { schedule(id) }  // queued: run() schedules them
    }

    func beginShutdown() {
        let runs = state.withLock { s -> [WorkflowRun] in
            guard s.phase < .draining else { return [] }
            s.phase = .draining
            return s.activeRuns
        }
        for run in runs { run.halt(.suspended) }
        shutdownRequested.fire()
    }

    /// Waits until no workflow is executing (called once shutdown has begun, so none starts any more).
    private func waitUntilDrained() async {
        while true {
            let signal = Signal()
            let drained = state.withLock { s -> Bool in
                if s.executing.isEmpty { return true }
                s.drainWaiters.append(signal)
                return false
            }
            if drained { return }
            await signal.wait()
        }
    }

    /// Once shutdown is requested, waits for the running workflows to drain, for up to the grace period; then
    /// cancels what is still running (a step in progress sees a cancelled task).
    private func enforceGracePeriod() async {
        await shutdownRequested.wait()
        guard !Task.isCancelled else { return }
        let drained = Signal()
        let idle = state.withLock { s -> Bool in
            if s.executing.isEmpty { return true }
            s.drainWaiters.append(drained)
            return false
        }
        if idle { return }
        let grace = configuration.shutdownGracePeriod
        let inTime = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await drained.wait()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: grace.asWait)
                return false
            }
            let first = await group.next() ?? true
            group.cancelAll()
            return first
        }
        // Cancelled: run() has drained and is closing (or was itself cancelled, and cancels everything).
        guard !inTime, !Task.isCancelled else { return }
        let executions = state.withLock { Array($0.executing.values) }
        if !executions.isEmpty {
            logger.warning("grace period over; cancelling running steps", metadata: ["workflows": "\(executions.count)"])
        }
        for execution in executions { execution.cancel() }
    }

    private func closeLog() async {
        if !state.withLock({ $0.crashed }) {
            do {
                try await commit([Event(kind: .engineStopped, workflowID: "", name: "", time: clock.now())])
                try await log?.close()
            } catch {
                logger.error("could not close the log cleanly", metadata: ["error": "\(error)"])
            }
        }
        state.withLock { $0.phase = .stopped }
        stopped.fire()
        logger.info("workflow engine stopped", metadata: ["directory": "\(directory)"])
    }
}
