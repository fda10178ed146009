import CoreMetrics
import Logging
import Synchronization

extension WorkflowEngine {
    /// Starts a workflow with options, durably, and returns its handle: on a queue (``WorkflowQueue``), with a
    /// priority and a partition key, not before a time, deduplicated, with a deadline.
    ///
    /// A start with a queue, a not-before time or a deduplication ID is enqueued: it is written (with its
    /// ``EventKind/workflowEnqueued`` record) before this returns, its status is ``WorkflowStatus/enqueued``, and
    /// the engine's dispatcher starts it when its queue allows (``WorkflowQueue``). A start with only a timeout runs
    /// at once, as ``start(_:input:id:)``.
    ///
    /// Idempotent by ID, as ``start(_:input:id:)``: starting an ID that exists returns its handle and writes nothing.
    /// - Throws: ``WorkflowError`` — as ``start(_:input:id:)``; `.unknownQueue` (not in
    ///   ``EngineConfiguration/queues``); `.duplicate` (``StartOptions/deduplicationID`` held, with
    ///   ``DeduplicationPolicy/reject``); `.invalidArgument` (a timeout or delay that is not positive, a partition key
    ///   on a queue without partitions, an empty deduplication ID). Nothing is written when it throws.
    public func start<W: Workflow>(
        _ type: W.Type, input: W.Input, id: String? = nil, options: StartOptions
    ) async throws -> WorkflowHandle<W> {
        guard let tracing else { return try await start(W.self, input: input, id: id, options: options, traceContext: nil) }
        return try await tracing.start(W.name) { recorded in
            try await start(W.self, input: input, id: id, options: options, traceContext: recorded)
        }
    }

    /// Starts a workflow with a deadline `timeout` from now: ``start(_:input:id:options:)`` with
    /// `StartOptions(timeout: timeout)`. When the deadline passes, the workflow and its descendants are cancelled
    /// durably and ``WorkflowHandle/result()`` throws ``WorkflowError/Code/timedOut``.
    public func start<W: Workflow>(
        _ type: W.Type, input: W.Input, id: String? = nil, timeout: Duration
    ) async throws -> WorkflowHandle<W> {
        try await start(W.self, input: input, id: id, options: StartOptions(timeout: timeout))
    }

    private func start<W: Workflow>(
        _ type: W.Type, input: W.Input, id: String?, options: StartOptions, traceContext: String?
    ) async throws -> WorkflowHandle<W> {
        var event = try startEvent(W.self, input: input, id: id, traceContext: traceContext)
        let (deadline, enqueue, deduplication) = try flowControl(of: event, options: options, inherited: nil)
        event.deadline = deadline
        if enqueue != nil { queuesInUse.store(true, ordering: .relaxed) }
        let holder = try await startDurably(event, then: enqueue.map { [$0] } ?? [], deduplication: deduplication)
        return WorkflowHandle(id: holder ?? event.workflowID, engine: self)
    }

    /// Checks `options` for the workflow `start` starts, and makes what it records: the deadline (its own, or the
    /// `inherited` one of its parent), the enqueue record, and the deduplication claim.
    /// - Throws: ``WorkflowError`` as ``start(_:input:id:options:)``, before anything is written.
    func flowControl(
        of start: Event, options: StartOptions, inherited: Int64?
    ) throws(WorkflowError) -> (deadline: Int64?, enqueue: Event?, deduplication: Deduplication?) {
        let id = start.workflowID
        func invalid(_ problem: String) -> WorkflowError {
            WorkflowError(.invalidArgument, "\(problem); nothing was written", workflowID: id)
        }
        var deadline = inherited
        if let timeout = options.timeout {
            guard timeout > .zero else { throw invalid("the timeout is \(timeout); it must be positive") }
            deadline = start.time.addingSaturating(timeout.nanoseconds)
        }
        if options.partitionKey != nil && options.queue == nil {
            throw invalid("a partition key needs a queue with partitionConcurrency")
        }
        guard options.enqueues else { return (deadline, nil, nil) }
        let queueName = options.queue ?? ""
        if let name = options.queue {
            guard let queue = declaredQueue(name) else {
                let declared = configuration.queues.map { "'\($0.name)'" }.joined(separator: ", ")
                throw WorkflowError(
                    .unknownQueue,
                    "queue '\(name)' is not declared in EngineConfiguration.queues (declared: \(declared.isEmpty ? "none" : declared)); declare it, or start without a queue; nothing was written",
                    workflowID: id)
            }
            if options.partitionKey != nil && queue.partitionConcurrency == nil {
                throw invalid("a partition key was given, but queue '\(name)' has no partitionConcurrency")
            }
        }
        var notBefore: Int64?
        if let delay = options.delay {
            guard delay >= .zero else { throw invalid("the delay is \(delay); it must not be negative") }
            notBefore = start.time.addingSaturating(delay.nanoseconds)
        }
        if let date = options.notBefore {
            let time = date.nanosecondsSince1970
            notBefore = Swift.max(notBefore ?? .min, time)
        }
        var deduplication: Deduplication?
        if let key = options.deduplicationID {
            guard !key.isEmpty else { throw invalid("the deduplication ID is empty") }
            deduplication = Deduplication(key: Projection.Key(workflowID: queueName, name: key), policy: options.onDuplicate)
        }
        let enqueue = Event(
            kind: .workflowEnqueued, workflowID: id, name: queueName, time: start.time, target: options.partitionKey,
            deadline: notBefore, number: options.priority == 0 ? nil : UInt64(bitPattern: Int64(options.priority)),
            idempotencyKey: options.deduplicationID)
        return (deadline, enqueue, deduplication)
    }

    /// The declaration of queue `name`, if this engine declares it.
    func declaredQueue(_ name: String) -> WorkflowQueue? {
        name.isEmpty ? nil : queues[name]
    }

    /// The dequeue that takes over the slot of workflow `id`, which is ending (its completion or failure is about to
    /// be committed), when its queue has a workflow waiting that may start: written in the same commit, after the
    /// end, so the next workflow starts as soon as that commit is durable, without waiting for the dispatcher's
    /// own commit (``EngineMetrics/queueDispatchLatency`` measures it). Nil otherwise; the dispatcher fills what
    /// is left.
    @inline(never)
    func handOff(from id: String, now: Int64) -> Event? {
        guard queuesInUse.load(ordering: .relaxed) else { return nil }
        return state.withLock { s in s.handOff(from: id, now: now, queues: queues) }
    }

    /// Schedules the workflows whose dequeue an ending workflow's commit carried (``handOff(from:now:)``).
    @inline(never)
    func startHandedOff(_ events: [Event]) {
        for event in events where event.kind == .workflowDequeued { schedule(event.workflowID) }
        if let freed = state.withLock({ s -> ContinuousClock.Instant? in
            defer { s.slotFreedAt = nil }
            return s.slotFreedAt
        }) {
            dispatched(after: freed)
        }
    }

    // MARK: Dispatching

    /// The engine's queue dispatcher, which ``run()`` runs beside the workflows: dequeues what the queues' limits
    /// let start — one commit of ``EventKind/workflowDequeued`` records for all of them — and schedules them. It is
    /// poked by the commit that frees a slot or enqueues a workflow (``EngineState/flowControlApplied()``) and
    /// otherwise sleeps until the next not-before time or rate window's end: it never polls. Returns when shutdown
    /// begins.
    @inline(never)
    private func dispatched(after freed: ContinuousClock.Instant) {
        let latency = ContinuousClock.now - freed
        metrics.queueDispatchLatency.recordNanoseconds(latency.nanoseconds)
        configuration._dispatchObserver?(latency)
    }

    func dispatchLoop() async {
        while true {
            let now = clock.now()
            let signal = Signal()
            let decided = state.withLock { s -> (events: [Event], wake: Int64, freed: ContinuousClock.Instant?)? in
                guard s.phase == .running else { return nil }
                s.dispatcherSignal = signal
                return s.dequeueDue(now: now, queues: queues)
            }
            guard let decided else { return }
            if !decided.events.isEmpty {
                do {
                    try await commit(decided.events)
                } catch {
                    // The log failed (the engine stops), or refused the records: nothing was dequeued.
                    logger.error("could not record dequeues", metadata: ["count": "\(decided.events.count)", "error": "\(error)"])
                    return
                }
                for event in decided.events { schedule(event.workflowID) }
                if let freed = decided.freed { dispatched(after: freed) }
                continue  // more may have freed meanwhile
            }
            do {
                // A poke since the lock fired `signal` already: the wait returns at once.
                _ = try await wait(for: signal, until: decided.wake == .max ? nil : decided.wake, interrupt: shutdownRequested)
            } catch {
                return  // shutdown began, or run() is cancelled
            }
        }
    }
}

extension EngineState {
    /// Reserves a slot for every enqueued workflow its queue lets start now, and returns their dequeue records (to
    /// be written) and when to look again (a not-before time or a rate window's end; `Int64.max`: when poked).
    /// Queues not in `queues` (no longer declared) start nothing.
    ///
    /// When it dequeues any, it also returns when the earliest slot freed since the last dispatch (for
    /// ``EngineMetrics/queueDispatchLatency``).
    mutating func dequeueDue(
        now: Int64, queues: [String: WorkflowQueue]
    ) -> (events: [Event], wake: Int64, freed: ContinuousClock.Instant?) {
        projection.queues.needsDispatch = false
        var events: [Event] = []
        var wake = Int64.max
        for name in projection.queues.queueNames {
            let (waiting, active) = projection.queues.counts(of: name)
            guard waiting > 0, let queue = queues[name] else { continue }
            wake = Swift.min(wake, projection.queues.promote(name, now: now))
            var free = queue.free(held: active)
            var windowStart = Int64.min
            if let rate = queue.rateLimit {
                windowStart = now.subtractingSaturating(rate.period.nanoseconds)
                let (count, _) = projection.queues.startsInWindow(name, after: windowStart)
                free = Swift.min(free, Swift.max(0, rate.count - count))
            }
            let perPartition = queue.partitionConcurrency
            while free > 0, let id = projection.queues.next(in: name, admits: { _, held in perPartition.map { held < $0 } ?? true }) {
                projection.queues.dequeue(id, at: now)
                events.append(Event(kind: .workflowDequeued, workflowID: id, name: name, time: now))
                free -= 1
            }
            if let rate = queue.rateLimit, projection.queues.counts(of: name).waiting > 0 {
                let (count, oldest) = projection.queues.startsInWindow(name, after: windowStart)
                if count >= rate.count, let oldest { wake = Swift.min(wake, oldest.addingSaturating(rate.period.nanoseconds)) }
            }
        }
        projection.queues.needsDispatch = false  // the reservations above set it; they are handled
        guard !events.isEmpty else { return (events, wake, nil) }
        defer { slotFreedAt = nil }
        return (events, wake, slotFreedAt)
    }

    /// The dequeue that takes over the slot of active member `id` (see ``WorkflowEngine/handOff(from:now:)``): the
    /// best waiting workflow its queue would admit once that slot is free.
    mutating func handOff(from id: String, now: Int64, queues: [String: WorkflowQueue]) -> Event? {
        guard !projection.queues.isEmpty, let member = projection.queues.member(id), member.place == .active,
            let queue = queues[member.queue]
        else { return nil }
        let (waiting, active) = projection.queues.counts(of: member.queue)
        guard waiting > 0 else { return nil }
        _ = projection.queues.promote(member.queue, now: now)
        guard queue.free(held: active - 1) > 0 else { return nil }
        if let rate = queue.rateLimit {
            let (count, _) = projection.queues.startsInWindow(member.queue, after: now.subtractingSaturating(rate.period.nanoseconds))
            guard count < rate.count else { return nil }
        }
        let perPartition = queue.partitionConcurrency
        let leaving = member.partition
        guard let next = projection.queues.next(in: member.queue, admits: { partition, held in
            perPartition.map { (partition == leaving ? held - 1 : held) < $0 } ?? true
        }) else { return nil }
        projection.queues.dequeue(next, at: now)
        return Event(kind: .workflowDequeued, workflowID: next, name: member.queue, time: now)
    }

    /// After commits were applied: pokes the dispatcher if a slot may have freed or a workflow joined a queue, and
    /// the waker if a deadline earlier than the one it sleeps until was recorded.
    mutating func flowControlApplied() {
        if projection.queues.slotFreed {
            projection.queues.slotFreed = false
            if slotFreedAt == nil { slotFreedAt = .now }
        }
        if projection.queues.needsDispatch, let signal = dispatcherSignal {
            dispatcherSignal = nil
            signal.fire()
        }
        if let next = projection.deadlines.next, next < armedDeadline { pokeWaker() }
    }
}
