import Synchronization

extension WorkflowEngine {
    /// Starts workflow `type` once `key` has been quiet for `quiet` — no further call for the key in that time —
    /// or `maxWait` after the key's first call, whichever comes first, with the latest call's input. Returns the
    /// handle of the workflow it will start: every call until it fires returns the same one.
    ///
    /// The first call for a key records a pending debounce under a new workflow ID, due `quiet` from now; each later
    /// call before it fires records its input and moves the firing time to `quiet` from then, but never past the
    /// first call plus its `maxWait` (a later call's `maxWait` is not used). A call after it fired begins a new
    /// debounce. Each call is durable when it returns; the engine starts the workflow while ``run()`` runs — a
    /// debounce whose time passed while the engine was down fires when it runs again. Firing writes the workflow's
    /// start under the ID fixed at the first call, so a crash before it fires loses nothing and one after it does
    /// not start it twice. Until it fires, the handle's ``WorkflowHandle/result()`` waits for the workflow to start
    /// and finish, while its status and summary are `.notFound` (``pendingDebounces()`` lists it). See
    /// <doc:Schedules>.
    ///
    /// - Parameters:
    ///   - key: what calls are debounced by, across workflow types (a key pending for another type is refused).
    ///   - quiet: how long the key must be quiet; more than zero.
    ///   - maxWait: the longest the start may be put off after the key's first call; at least `quiet`; nil: no bound.
    /// - Throws: ``WorkflowError`` before anything is written: `.invalidArgument` (an empty key, `quiet` not above
    ///   zero, `maxWait` below `quiet`), `.unknownWorkflow`, `.idConflict` (the key's pending debounce starts
    ///   another workflow type), `.payloadTooLarge`, `.shuttingDown`; `.logFailure` when it could not be recorded.
    public func debounce<W: Workflow>(
        _ type: W.Type, key: String, input: W.Input, quiet: Duration, maxWait: Duration? = nil
    ) async throws -> WorkflowHandle<W> {
        guard registry[W.name] != nil else {
            throw WorkflowError(
                .unknownWorkflow,
                "debounce '\(key)': workflow '\(W.name)' is not registered; pass it to WorkflowEngine.open(workflows:); nothing was written")
        }
        guard !key.isEmpty else { throw WorkflowError(.invalidArgument, "a debounce needs a key; nothing was written") }
        guard quiet > .zero else {
            throw WorkflowError(.invalidArgument, "debounce '\(key)': quiet must be above zero, not \(quiet); nothing was written")
        }
        if let maxWait, maxWait < quiet {
            throw WorkflowError(
                .invalidArgument,
                "debounce '\(key)': maxWait (\(maxWait)) must be at least quiet (\(quiet)); nothing was written")
        }
        let payload = try encode(input, what: "the input of debounce '\(key)'", workflowID: "")
        let now = clock.now()
        let claim = try claimDebounce(key, workflow: W.name, latest: maxWait.map { now.addingSaturating($0.nanoseconds) })
        let fireAt = min(now.addingSaturating(quiet.nanoseconds), claim.latest ?? .max)
        let event = Event(
            kind: .debounceRequested, workflowID: claim.id, name: W.name, time: now, target: key, deadline: fireAt,
            number: claim.latest.map { UInt64(bitPattern: $0) }, payload: payload)
        do {
            try await commit([event])
        } catch {
            releaseDebounce(key, id: claim.id)
            throw error
        }
        releaseDebounce(key, id: claim.id)
        return WorkflowHandle(id: claim.id, engine: self)
    }

    /// The debounces that have not fired, by key.
    public func pendingDebounces() -> [PendingDebounce] {
        state.withLock { $0.projection.scheduledStarts.debounceInfos }
    }

    /// Decides, under the engine's lock, which debounce a call for `key` adds to: the one a concurrent call is
    /// recording, the key's pending one (unless it is firing), or a new one under a new ID.
    private func claimDebounce(_ key: String, workflow: String, latest: Int64?) throws(WorkflowError) -> TimedStartsState.DebounceClaim {
        try state.withLock { s throws(WorkflowError) -> TimedStartsState.DebounceClaim in
            if s.phase >= .draining {
                throw WorkflowError(.shuttingDown, "the engine is shutting down; debounce '\(key)' was not recorded")
            }
            var claim: TimedStartsState.DebounceClaim
            if let inFlight = s.timedStarts.claims[key] {
                claim = inFlight
            } else if let id = s.projection.scheduledStarts.debounceByKey[key], !s.timedStarts.firing.contains(id),
                let pending = s.projection.scheduledStarts.debounces[id]
            {
                claim = .init(id: id, workflow: pending.workflow, latest: pending.latest, calls: 0)
            } else {
                claim = .init(id: "debounce-\(key)-\(randomUUIDString())", workflow: workflow, latest: latest, calls: 0)
            }
            guard claim.workflow == workflow else {
                throw WorkflowError(
                    .idConflict,
                    "debounce key '\(key)' is pending for workflow '\(claim.workflow)', not '\(workflow)'; use another key; nothing was written",
                    workflowID: claim.id)
            }
            claim.calls += 1
            s.timedStarts.claims[key] = claim
            return claim
        }
    }

    /// A call for `key` to debounce `id` was recorded (or failed): the loop re-arms that debounce, and may fire it
    /// once no call for it is in flight.
    private func releaseDebounce(_ key: String, id: String) {
        let signal = state.withLock { s -> Signal? in
            s.timedStarts.changedDebounces.insert(id)
            s.timedStarts.claims[key]?.calls -= 1
            if s.timedStarts.claims[key]?.calls ?? 0 <= 0 { s.timedStarts.claims[key] = nil }
            return s.timedStarts.signal
        }
        signal?.fire()
    }
}
