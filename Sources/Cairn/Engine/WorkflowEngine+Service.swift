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
    ///
    /// When the log fails (a write or sync error poisons it, and every commit then throws `.logFailure`), the engine
    /// shuts down as for a graceful shutdown and `run()` throws that failure, so that a `ServiceGroup` stops the
    /// service; the log directory's lock is released either way.
    public func run() async throws {
        let refusal = state.withLock { s -> WorkflowError? in
            guard s.phase == .idle else {
                return s.logFailure ?? WorkflowError(.invalidState, "run() was already called on this engine, or it was shut down")
            }
            s.phase = .running
            return nil
        }
        if let refusal { throw refusal }
        do {
            try await recover()
            try await recordQueueDeclarations()
        } catch {
            beginShutdown()
            try await closeLog()
            throw error
        }
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
            group.addTask { await self.wakeLoop() }
            group.addTask { await self.dispatchLoop() }
            group.addTask { await self.timedStartLoop() }
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
        try await closeLog()
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
            try? await closeLog()  // reported by closeLog; nobody runs the engine to see it thrown
        } else {
            beginShutdown()
            await stopped.wait()
        }
    }

    /// Resumes every unfinished workflow: registered ones by replay, the rest parked.
    ///
    /// A registered workflow whose history ends in a durable wait whose wake-up has not come — a sleep or a timeout
    /// still to come, a receive whose message has not arrived, a child's result while the child has not settled — is
    /// not replayed: it goes to the waiting room as its record, with no task, until the wake-up comes (the same state
    /// as a workflow evicted from the cache: ``EngineConfiguration/maxCachedWorkflows``). Opening a log of a million
    /// waiting workflows therefore starts no task for them. Such a workflow runs no code at open, so no recovery
    /// attempt is recorded for it: a process that died while it waited did not die of it, and a workflow sleeping
    /// through many unclean restarts never runs out of attempts.
    ///
    /// Every other one runs code as soon as it is resumed: a recovery attempt is recorded first, so that one whose
    /// run keeps crashing the process is parked after ``EngineConfiguration/maxRecoveryAttempts``. It is scheduled,
    /// and at most ``EngineConfiguration/maxRunningWorkflows`` start at once; the rest wait their turn as IDs.
    ///
    /// A wait recovery cannot see in the history — inside parallel branches (a branch's end is not recorded, so a
    /// finished branch looks like one between two steps), or an untimed event read (not recorded as a wait) — is
    /// resumed and charged like code, since its replay does run code. The charge stands only until the run reaches
    /// a wait (every task of it waiting): then ``EventKind/recoverySucceeded`` is recorded and its attempts start
    /// afresh (``WorkflowRun/recovering``). So an attempt counts against a workflow only when the process died while
    /// its code ran, whatever its wait looks like in the history.
    ///
    /// The records go in commits of ``EngineConfiguration/_recoveryRecordsPerCommit``: one commit is one frame, and
    /// a frame holds at most 256 MiB (some 3 million attempts).
    private func recover() async throws {
        let now = clock.now()
        // Deadlines that passed while the engine was down: those workflows are cancelled before anything resumes.
        try await timeOut(state.withLock { $0.expiredWorkflows(now: now) })
        let maxAttempts = configuration.maxRecoveryAttempts
        let (resume, charged, park, unpark) = state.withLock { s -> ([String], [(String, String)], [Event], [Event]) in
            var resume: [String] = []
            var charged: [(String, String)] = []
            var park: [Event] = []
            var unpark: [Event] = []
            let startedHere = s.startedHere ?? []
            s.startedHere = nil
            var waiting: [(String, WakeUp)] = []
            defer {
                for (id, wakeUp) in waiting {
                    if let index = s.projection.workflows.index(forKey: id) { s.enterRoom(id, at: index, wakeUp) }
                }
            }
            for (id, w) in s.projection.workflows where !startedHere.contains(id) {
                if w.summary.status == .parked, w.summary.parkedBecause == .unknownWorkflow, registry[w.summary.name] != nil {
                    unpark.append(Event(kind: .workflowResumed, workflowID: id, name: w.summary.name, time: now))
                    resume.append(id)
                    continue
                }
                // Enqueued: its queue's dispatcher starts it.
                guard w.summary.status == .pending || w.summary.status == .running else { continue }
                let attempts = s.projection.recoveryAttempts(of: w)
                if registry[w.summary.name] != nil && attempts >= maxAttempts {
                    let reason = "recovery was attempted \(attempts) times without progress (did the process crash while running it?); fix the cause, then resume it"
                    park.append(Event(
                        kind: .workflowParked, workflowID: id, name: w.summary.name, time: now,
                        number: UInt64(attempts), flags: ParkReason.recoveryExhausted.flags, payload: Array(reason.utf8)))
                    continue
                }
                // A workflow whose history ends in a wait still to come waits as a record: no task, and no attempt
                // charged (it runs no code until woken). One that runs code at once is resumed and charged.
                let wakeUp = Projection.wakeUp(of: w, id: id)
                let come = wakeUp.map { s.projection.hasCome($0, now: now) } ?? true
                if let wakeUp, !come, registry[w.summary.name] != nil {
                    waiting.append((id, wakeUp))
                    continue
                }
                resume.append(id)
                if come { charged.append((id, w.summary.name)) }
            }
            return (resume.sorted(), charged, park, unpark)
        }
        for event in park {
            logger.error("workflow parked: recovery failed too often", metadata: ["workflow": "\(event.workflowID)"])
        }
        let chunk = max(1, configuration._recoveryRecordsPerCommit)
        let decided = unpark + park
        for start in stride(from: 0, to: decided.count, by: chunk) {
            try await commit(Array(decided[start..<min(start + chunk, decided.count)]))
        }
        for start in stride(from: 0, to: charged.count, by: chunk) {
            try await commit(charged[start..<min(start + chunk, charged.count)].map { id, name in
                Event(kind: .recoveryAttempted, workflowID: id, name: name, time: now)
            })
        }
        if !resume.isEmpty {
            logger.info(
                "resuming unfinished workflows",
                metadata: ["count": "\(resume.count)", "attemptsRecorded": "\(charged.count)"])
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

    /// Records the clean stop, closes the log (releasing the directory's lock, also when the stop could not be
    /// recorded) and marks the engine stopped. Throws the log's failure: the first one the engine met while running,
    /// or the one that kept the stop from being recorded or the log from closing.
    private func closeLog() async throws {
        var failure: (any Error)?
        if !state.withLock({ $0.crashed }) {
            do {
                try await commit([Event(kind: .engineStopped, workflowID: "", name: "", time: clock.now())])
            } catch {
                failure = error
            }
            do {
                try await store?.close()
            } catch {
                failure = failure ?? WorkflowError(
                    .logFailure, "the log could not be closed cleanly: \(error)", underlying: SendableError(error))
            }
        }
        let (first, waiters) = state.withLock { s -> (WorkflowError?, [Signal]) in
            s.phase = .stopped
            // Whoever awaits a workflow's end (a handle's result) learns that it will not come from this engine.
            defer { s.workflowWaiters.removeAll() }
            return (s.logFailure, s.workflowWaiters.values.flatMap { $0 })
        }
        for waiter in waiters { waiter.fire() }
        endChanges()
        if let failure {
            logger.error("could not close the log cleanly", metadata: ["error": "\(failure)"])
        }
        stopped.fire()
        logger.info("workflow engine stopped", metadata: ["directory": "\(directory)"])
        if let error = first ?? failure { throw error }
    }

    /// The log refused a commit because it failed (not because of what was committed): nothing more can be recorded,
    /// so the engine stops, and ``run()`` throws the first such failure.
    func logFailed(_ failure: WorkflowError) {
        let first = state.withLock { s -> Bool in
            guard s.logFailure == nil else { return false }
            s.logFailure = failure
            return true
        }
        guard first else { return }
        logger.critical(
            "the log failed; the engine stops (unfinished workflows resume when it is opened again)",
            metadata: ["error": "\(failure)"])
        beginShutdown()
    }
}
