import Synchronization
import CoreMetrics
import CairnLog
import DequeModule
import Logging
import Tracing

extension WorkflowEngine {
    /// Schedules workflow `id` to run in this process, in a task of its own, if it is pending and not running yet.
    ///
    /// Until ``run()`` has finished recovery the ID is queued, and run() schedules it then. Once shutdown has begun
    /// nothing is scheduled: the workflow stays pending in the log and resumes at the next start.
    ///
    /// The task is detached: a workflow started from a request handler, another workflow or a step's body must
    /// not inherit that caller's task-locals (a step's marker would make its every operation look like misuse).
    ///
    /// At most ``EngineConfiguration/maxRunningWorkflows`` run at once: beyond that the ID joins the backlog, and
    /// starts when a running workflow ends or begins a durable wait.
    ///
    /// - Parameter afterStart: the caller wrote the workflow's start and releases its claim on the ID here, under the
    ///   same lock.
    func schedule(_ id: String, afterStart: Bool = false) {
        let execution = WorkflowExecution()  // allocated before the lock is taken: usually needed
        let limit = configuration.maxRunningWorkflows
        let name: String? = state.withLock { s in
            if afterStart { s.starting.remove(id) }
            if s.queued != nil {
                s.queued!.append(id)
                return nil
            }
            if s.running >= limit {
                s.backlog.append(id)
                return nil
            }
            return s.claim(id, for: execution)
        }
        guard let name else { return }
        spawn(id, name: name, execution)
    }

    private func spawn(_ id: String, name: String, _ execution: WorkflowExecution) {
        execution.attach(Task.detached { await self.execute(id, name: name, execution) })
    }

    /// Runs `body` (a durable wait, a parallel call waiting for its branches, an unrecorded pause) as a wait of kind
    /// `wait`. Once every task of the workflow waits, it stops counting as running and one from the backlog can
    /// start: waiting for a child or a message from a branch can therefore never starve the workflow it waits for.
    /// If every wait is durable the run joins the cache of idle runs, and may be evicted from it (see
    /// ``EngineConfiguration/maxCachedWorkflows``): its waits then end with `.evicted`, whatever ended them first,
    /// and the workflow is resumed by replay when its wake-up comes.
    func waiting<T>(_ context: WorkflowContext, _ wait: Wait, _ body: () async throws -> T) async throws -> T {
        let run = context.run
        guard !run.replayOnly else { return try await body() }
        let (token, settles) = enterWait(run, wait)
        if settles { await recoverySucceeded(run) }
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        let (retake, evicted) = run.leaveWait(token)
        if retake {
            // Taking the slot back may exceed the limit for a moment: it never blocks.
            state.withLock { s in
                s.running += 1
                s.cache.remove(run)
            }
        }
        if evicted { try run.checkRunnable() }
        return try result.get()
    }

    /// A task of `run` begins `wait`: when now every task waits, the run gives its running slot up (and is cached,
    /// if it may be evicted). Under the engine's lock, so that the run's idleness and its cache entry agree.
    @inline(never)
    private func enterWait(_ run: WorkflowRun, _ wait: Wait) -> (token: UInt32, settles: Bool) {
        let limit = configuration.maxRunningWorkflows
        let cacheLimit = configuration.maxCachedWorkflows
        let now = clock.now()
        let (token, settles, admitted, evicted) = state.withLock { s in
            let (token, idle, settles) = run.enterWait(wait)
            guard let idle else { return (token, settles, [(String, String, WorkflowExecution)](), [WorkflowRun]()) }
            let (admitted, evicted) = s.becameIdle(run, idle, limit: limit, cacheLimit: cacheLimit, now: now)
            return (token, settles, admitted, evicted)
        }
        started(admitted, evicted: evicted)
        return (token, settles)
    }

    /// A parallel branch of `run` starts: if every task of the workflow waited (the parallel body starts branches
    /// from within its wait for them), the run takes a running slot back, as a wait's end does.
    func branchStarted(_ run: WorkflowRun) {
        guard !run.replayOnly else {
            _ = run.branchStarted()
            return
        }
        state.withLock { s in
            guard run.branchStarted() else { return }
            s.running += 1
            s.cache.remove(run)
        }
    }

    /// A parallel branch of `run` ended: if every remaining task of the workflow waits, it stops counting as running.
    func branchEnded(_ run: WorkflowRun) async {
        guard !run.replayOnly else { return }
        let limit = configuration.maxRunningWorkflows
        let cacheLimit = configuration.maxCachedWorkflows
        let now = clock.now()
        let (settles, admitted, evicted) = state.withLock { s in
            let (idle, settles) = run.branchEnded()
            guard let idle else { return (settles, [(String, String, WorkflowExecution)](), [WorkflowRun]()) }
            let (admitted, evicted) = s.becameIdle(run, idle, limit: limit, cacheLimit: cacheLimit, now: now)
            return (settles, admitted, evicted)
        }
        started(admitted, evicted: evicted)
        if settles { await recoverySucceeded(run) }
    }

    /// Records that `run`, resumed after an unclean stop (``WorkflowRun/recovering``), reached a wait: its recovery
    /// attempts start afresh. Not recorded (the log failed, the engine stops): the attempt stays counted, which only
    /// errs towards parking.
    @inline(never)
    func recoverySucceeded(_ run: WorkflowRun) async {
        try? await commit([Event(kind: .recoverySucceeded, workflowID: run.id, name: run.name, time: clock.now())])
    }

    /// Starts what admission let in, and ends the waits of the runs eviction chose (outside the engine's lock).
    private func started(_ admitted: [(String, String, WorkflowExecution)], evicted: [WorkflowRun]) {
        for run in evicted { run.interruptEvicted() }
        if !evicted.isEmpty { metrics.evicted.increment(by: evicted.count) }
        for (id, name, execution) in admitted { spawn(id, name: name, execution) }
    }

    /// Runs one workflow to its end (or until it must stop): replays its history, goes on live, records the
    /// outcome.
    ///
    /// The synchronous work around the workflow's code lives in separate `@inline(never)` functions: whatever an
    /// async function inlines enlarges its frame, which the task allocates for the whole run.
    private func execute(_ id: String, name: String, _ execution: WorkflowExecution) async {
        switch prepare(id, name: name, execution) {
        case .skip:
            break
        case .park(let event):
            try? await commit([event])
        case .run(let run, let registration, let input, let traceContext):
            if tracing != nil {
                await runTraced(run, registration, input, recorded: traceContext)
            } else {
                await runCode(run, registration, input)
            }
        }
        release(id)
    }

    /// Runs the workflow's code and records how it ended; returns how it ended.
    @discardableResult
    private func runCode(_ run: WorkflowRun, _ registration: WorkflowRegistration, _ input: [UInt8]) async -> Result<[UInt8], any Error> {
        let context = WorkflowContext(run: run, prefix: [])
        let result: Result<[UInt8], any Error>
        do {
            result = .success(try await registration.run(context, input, codec))
        } catch {
            result = .failure(error)
        }
        let events = endEvents(run, context: context, result: result)
        do {
            try await commit(events)
            if events.last?.kind == .workflowDequeued { startHandedOff(events) }
        } catch {
            endNotRecorded(run.id, error)
        }
        return result
    }

    /// ``runCode(_:_:_:)`` inside the run's span, which continues the trace its start recorded; step bodies and
    /// children's starts nest under it.
    @inline(never)
    private func runTraced(
        _ run: WorkflowRun, _ registration: WorkflowRegistration, _ input: [UInt8], recorded: String?
    ) async {
        let tracing = self.tracing!
        let span = tracing.startRun(run.id, name: run.name, recorded: recorded, replaying: run.history.count)
        let result = await ServiceContext.$current.withValue(span.context) { await self.runCode(run, registration, input) }
        tracing.endRun(span, stop: run.stop, result: result)
    }

    @inline(never)
    private func endNotRecorded(_ id: String, _ error: any Error) {
        logger.error("could not record the end of a workflow", metadata: ["workflow": "\(id)", "error": "\(error)"])
    }

    private enum Preparation {
        /// The run, its registration, its input and the trace context its start recorded.
        case run(WorkflowRun, WorkflowRegistration, [UInt8], String?)
        case skip
        case park(Event)
    }

    /// Builds the run from the workflow's recorded history and marks the workflow running; or says why not.
    @inline(never)
    private func prepare(_ id: String, name: String, _ execution: WorkflowExecution) -> Preparation {
        guard let registration = registry[name] else {
            let pending = state.withLock { s in s.phase < .draining && s.projection.workflows[id]?.summary.status == .pending }
            guard pending else { return .skip }
            let reason = "workflow '\(name)' is not registered in this process (was its code removed or renamed?); register it and the workflow resumes at the next start, or resume it by hand"
            logger.warning("workflow parked", metadata: ["workflow": "\(id)", "reason": "\(reason)"])
            metrics.parked.increment()
            return .park(Event(
                kind: .workflowParked, workflowID: id, name: name, time: clock.now(), flags: ParkReason.unknownWorkflow.flags,
                payload: Array(reason.utf8)))
        }
        // Made before the lock is taken; used when the workflow has no history (a new one, the usual case).
        let fresh = WorkflowRun(engine: self, id: id, name: name, history: [:])
        enum Claim { case skip, fresh([UInt8], String?), decode(HistoryRecords, [UInt8], String?, recovering: Bool) }
        let claim: Claim = state.withLock { s in
            // Cancelled, or shutdown began, since the claim: the workflow stays as it is.
            guard s.phase < .draining, let index = s.projection.workflows.index(forKey: id),
                s.projection.workflows[at: index].summary.status == .pending
            else { return .skip }
            s.projection.workflows[at: index].summary.status = .running  // not an event: the log knows it as pending
            let records = s.projection.workflows[at: index].records
            let input = s.projection.workflows[at: index].input
            let traceContext = s.projection.workflows[at: index].traceContext
            // Charged a recovery attempt that no wait has settled: see `WorkflowRun.recovering`.
            let recovering = s.projection.recoveryAttempts(of: s.projection.workflows[at: index]) > 0
            guard records.isEmpty && !recovering else {
                // Decoding a long history takes a while: not under the engine's lock (the bytes are shared, not copied).
                return .decode(records, input, traceContext, recovering: recovering)
            }
            execution.run = fresh  // under the engine's lock: beginShutdown() either sees it or ran before the guard
            return .fresh(input, traceContext)
        }
        switch claim {
        case .skip:
            return .skip
        case .fresh(let input, let traceContext):
            return .run(fresh, registration, input, traceContext)
        case .decode(let records, let input, let traceContext, let recovering):
            let run = WorkflowRun(engine: self, id: id, name: name, history: records.decoded(), recovering: recovering)
            let draining = state.withLock { s -> Bool in
                execution.run = run
                return s.phase >= .draining
            }
            // Shutdown began while the history was decoded: beginShutdown() did not see the run.
            if draining { run.halt(.suspended) }
            return .run(run, registration, input, traceContext)
        }
    }

    /// Ends an execution: a workflow still marked running (suspended, evicted, or the log failed) is pending again;
    /// an evicted one waits in the ``WaitingRoom`` (or is scheduled again at once, if its wake-up came meanwhile);
    /// waiters for the execution, and for the engine to drain, are woken.
    ///
    /// The slot is given up only here, after the end is durable, rather than as soon as the code ends: a second
    /// acquisition of the engine's lock per workflow cost `concurrent` some 12% and gained nothing measurable.
    @inline(never)
    private func release(_ id: String) {
        let limit = configuration.maxRunningWorkflows
        let now = clock.now()
        let (ended, drained, admitted, again) = state.withLock { s in
            s.projection.setPendingIfRunning(id)
            let ended = s.executing.removeValue(forKey: id)
            s.running -= 1
            var again = false
            if let run = ended?.run {
                s.cache.remove(run)
                if case .evicted(let wakeUp) = run.stop { again = s.wait(id, for: wakeUp, now: now) }
            }
            let admitted = s.admit(limit: limit)
            guard s.executing.isEmpty else { return (ended, [Signal](), admitted, again) }
            defer { s.drainWaiters = [] }
            return (ended, s.drainWaiters, admitted, again)
        }
        for (id, name, execution) in admitted { spawn(id, name: name, execution) }
        ended?.ended.fire()
        for waiter in drained { waiter.fire() }
        if again { schedule(id) }
    }

    /// The events that record how a run ended, after its last pending outcomes (all written with one sync).
    @inline(never)
    private func endEvents(_ run: WorkflowRun, context: WorkflowContext, result: Result<[UInt8], any Error>) -> [Event] {
        var events = context.takePending()
        events.reserveCapacity(events.count + 1)
        let now = clock.now()
        let id = run.id
        if run.stop == nil, case .success = result, let unreached = run.finish() {
            let recorded = run.history[unreached].flatMap { $0.event ?? $0.waitStarted }
            _ = run.diverge(DeterminismError(
                workflowID: id, workflowName: run.name, position: unreached, recorded: recorded.map(describe),
                attempted: nil, reason: "the workflow returned while recorded operations were left unconsumed (an operation was removed?)",
                mode: run.mode))
        } else {
            _ = run.finish()
        }
        switch run.stop {
        case .diverged(let report):
            logger.error("workflow diverged from its history; parked", metadata: ["workflow": "\(id)", "report": "\(report)"])
            metrics.parked.increment()
            events.append(Event(
                kind: .workflowParked, workflowID: id, name: run.name, time: now, flags: ParkReason.diverged.flags,
                payload: Array(recordableReason(report.description).utf8)))
        case .parked(let reason, let error):
            logger.error("workflow parked", metadata: ["workflow": "\(id)", "because": "\(reason)", "reason": "\(error.message)"])
            metrics.parked.increment()
            events.append(Event(
                kind: .workflowParked, workflowID: id, name: run.name, time: now, flags: reason.flags,
                payload: Array(recordableReason(error.message).utf8)))
        case .cancelled, .suspended, .evicted, .frontier:
            break  // cancel() recorded the cancellation; a suspended workflow resumes at the next start, an evicted one when woken
        case nil:
            switch result {
            case .success(let output):
                metrics.completed.increment()
                events.append(Event(kind: .workflowCompleted, workflowID: id, name: run.name, time: now, payload: output))
                if let next = handOff(from: id, now: now) { events.append(next) }
            case .failure(let error):
                if Task.isCancelled { break }  // stopped from outside without a reason recorded: stays unfinished
                metrics.failed.increment()
                let failure = recordedFailure(of: error, workflowID: id, position: nil)
                events.append(Event(
                    kind: .workflowFailed, workflowID: id, name: run.name, time: now, errorType: failure.errorType,
                    flags: failure.recordedFlags, payload: failure.recordedPayload))
                if let next = handOff(from: id, now: now) { events.append(next) }
            }
        }
        return events
    }
}

extension EngineState {
    /// Takes workflow `id` on for execution here, if the engine runs, the workflow is pending and no execution has
    /// it yet; counts it as running. Returns the workflow's name when `execution` took it.
    mutating func claim(_ id: String, for execution: WorkflowExecution) -> String? {
        guard phase == .running, executing[id] == nil, let index = projection.workflows.index(forKey: id),
            projection.workflows[at: index].summary.status == .pending
        else { return nil }
        executing[id] = execution
        running += 1
        return projection.workflows[at: index].summary.name
    }

    /// Claims workflows from the backlog while fewer than `limit` run; returns what to start.
    mutating func admit(limit: Int) -> [(String, String, WorkflowExecution)] {
        var admitted: [(String, String, WorkflowExecution)] = []
        while running < limit, let id = backlog.popFirst() {
            let execution = WorkflowExecution()
            // Gone meanwhile (cancelled, or scheduled twice and running already): the next one.
            if let name = claim(id, for: execution) { admitted.append((id, name, execution)) }
        }
        return admitted
    }

    /// `run` has just become idle (every task waits): it gives its running slot up, is cached if it may be evicted,
    /// and the oldest cached runs beyond `cacheLimit` are evicted. Returns what admission lets start and the runs
    /// evicted (whose waits the caller interrupts, outside the lock).
    mutating func becameIdle(
        _ run: WorkflowRun, _ idle: WorkflowRun.Idleness, limit: Int, cacheLimit: Int, now: Int64
    ) -> (admitted: [(String, String, WorkflowExecution)], evicted: [WorkflowRun]) {
        running -= 1
        var evicted: [WorkflowRun] = []
        if idle == .evictable {
            cache.insert(run)
            while cache.count > cacheLimit, let oldest = cache.popOldest() {
                if oldest.evict(unless: { projection.hasCome($0, now: now) }) { evicted.append(oldest) }
            }
        }
        return (admit(limit: limit), evicted)
    }

    /// Puts pending workflow `id` in the waiting room until `wakeUp`; returns true instead when the wake-up has come
    /// already (the caller schedules it), or nothing is to be done (the workflow is no longer pending, the engine
    /// stops: false).
    mutating func wait(_ id: String, for wakeUp: WakeUp, now: Int64) -> Bool {
        guard phase == .running, let index = projection.workflows.index(forKey: id),
            projection.workflows[at: index].summary.status == .pending
        else { return false }
        if projection.hasCome(wakeUp, now: now) { return true }
        enterRoom(id, at: index, wakeUp)
        return false
    }

    /// Puts pending workflow `id` (at `index` in the projection) in the waiting room: it is taken on by this engine
    /// (`running`, as a workflow waiting in memory is) with no task until its wake-up comes.
    mutating func enterRoom(_ id: String, at index: Int, _ wakeUp: WakeUp) {
        projection.workflows[at: index].summary.status = .running  // not an event: the log knows it as pending
        room.add(id, wakeUp)
        if wakeUp.deadline < armedDeadline { pokeWaker() }
    }

    /// Hands workflows the waiting room let go (their wake-up came) to the waker, pending again, to be scheduled.
    mutating func release(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        for id in ids { projection.setPendingIfRunning(id) }
        woken += ids
        pokeWaker()
    }

    /// Wakes the engine's waker (``WorkflowEngine/wakeLoop()``): woken workflows to schedule, or an earlier deadline.
    /// Fired under the engine's lock: a signal's waiter only has its task enqueued.
    mutating func pokeWaker() {
        wakerSignal?.fire()
        wakerSignal = nil
    }

    /// The runs executing here, for halting them all.
    var activeRuns: [WorkflowRun] { executing.values.compactMap(\.run) }
}

extension Projection {
    /// A workflow that stopped running here without an end (suspended, or the log failed) is pending again.
    mutating func setPendingIfRunning(_ id: String) {
        guard let index = workflows.index(forKey: id), workflows[at: index].summary.status == .running else { return }
        workflows[at: index].summary.status = .pending
    }
}
