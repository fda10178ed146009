import Synchronization
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension WorkflowEngine {
    /// Adds schedule `name`, or replaces the schedule of that name, durably: each tick of `cron` in `timeZone`
    /// starts `workflow` with `input`.
    ///
    /// The workflow a tick starts has the ID `"<name>@<tick in UTC, ISO 8601>"` (`"nightly@2026-12-07T10:00:00Z"`):
    /// a tick starts its workflow at most once, across restarts too. Ticks count from the moment the schedule is
    /// recorded (an add, or a replacement: a replaced schedule is active, not paused, and keeps its last tick for
    /// display only). The schedule is durable when this returns; the engine fires its ticks while ``run()`` runs.
    /// See <doc:Schedules>.
    ///
    /// - Parameters:
    ///   - name: the schedule's name, unique in the engine; not empty.
    ///   - cron: when it ticks (seconds field first), read in `timeZone`.
    ///   - timeZone: the zone of the cron expression's local times (UTC by default). Across daylight-saving changes
    ///     a local time that does not exist that day is skipped, and one that occurs twice fires once.
    ///   - catchUp: what to do, when ``run()`` begins, about the ticks missed while the engine was down.
    /// - Throws: ``WorkflowError`` before anything is written: `.invalidArgument` (an empty name, an expression with
    ///   no tick within ten years, a time zone without an identifier this process knows, a catch-up bound below 1),
    ///   `.unknownWorkflow`, `.payloadTooLarge`; `.logFailure` when it could not be recorded.
    public func setSchedule<W: Workflow>(
        _ name: String, cron: CronExpression, timeZone: TimeZone = .gmt, workflow: W.Type, input: W.Input,
        catchUp: ScheduleCatchUp = .none
    ) async throws {
        try checkSchedule(name, cron: cron, timeZone: timeZone, workflow: W.self, catchUp: catchUp)
        let bytes = try encode(input, what: "the input of schedule '\(name)'", workflowID: "")
        try await recordSchedule(name, cron: cron, timeZone: timeZone, workflow: W.name, input: bytes, catchUp: catchUp)
    }

    /// Adds or replaces schedule `name`, whose ticks start `workflow` with the tick itself as input (the schedule's
    /// name and the tick's exact time): as ``setSchedule(_:cron:timeZone:workflow:input:catchUp:)`` otherwise.
    public func setSchedule<W: Workflow>(
        _ name: String, cron: CronExpression, timeZone: TimeZone = .gmt, workflow: W.Type,
        catchUp: ScheduleCatchUp = .none
    ) async throws where W.Input == ScheduleTick {
        try checkSchedule(name, cron: cron, timeZone: timeZone, workflow: W.self, catchUp: catchUp)
        try await recordSchedule(name, cron: cron, timeZone: timeZone, workflow: W.name, input: nil, catchUp: catchUp)
    }

    /// Pauses schedule `name`, durably: no tick fires until ``resumeSchedule(_:)``, and the ticks it would have had
    /// meanwhile are skipped, never caught up. Pausing a paused schedule changes nothing.
    /// - Throws: ``WorkflowError`` `.notFound` (no such schedule; nothing written), `.logFailure`.
    public func pauseSchedule(_ name: String) async throws {
        try await changeSchedule(name) { $0.paused ? nil : $0.with(paused: true) }
    }

    /// Resumes a paused schedule, durably: its ticks count from now (the ones it skipped while paused do not fire).
    /// Resuming an active schedule changes nothing.
    /// - Throws: ``WorkflowError`` `.notFound` (no such schedule; nothing written), `.logFailure`.
    public func resumeSchedule(_ name: String) async throws {
        try await changeSchedule(name) { $0.paused ? $0.with(paused: false) : nil }
    }

    /// Removes schedule `name`, durably: no more ticks. The workflows its ticks started are not touched.
    /// - Throws: ``WorkflowError`` `.notFound` (no such schedule; nothing written), `.logFailure`.
    public func removeSchedule(_ name: String) async throws {
        try await changeSchedule(name, removing: true) { _ in nil }
    }

    /// The schedules, by name: definition, paused, next tick (as the engine has armed it) and last tick.
    public func schedules() -> [ScheduleInfo] {
        let (book, armed) = state.withLock { ($0.projection.scheduledStarts, $0.timedStarts.nextTicks) }
        return book.infos { s in
            if s.definition.paused { return nil }
            return armed[s.name] ?? TickTimeline(s)?.next(after: s.countsFrom)
        }
    }

    // MARK: Recording

    private func checkSchedule<W: Workflow>(
        _ name: String, cron: CronExpression, timeZone: TimeZone, workflow: W.Type, catchUp: ScheduleCatchUp
    ) throws(WorkflowError) {
        guard !name.isEmpty else {
            throw WorkflowError(.invalidArgument, "a schedule needs a name; nothing was written")
        }
        guard registry[W.name] != nil else {
            throw WorkflowError(
                .unknownWorkflow,
                "schedule '\(name)': workflow '\(W.name)' is not registered; pass it to WorkflowEngine.open(workflows:); nothing was written")
        }
        if case .all(let max) = catchUp, max < 1 {
            throw WorkflowError(
                .invalidArgument,
                "schedule '\(name)': catch-up .all(max: \(max)) needs a bound of at least 1 (use .none to fire no missed tick); nothing was written")
        }
        guard TimeZone(identifier: timeZone.identifier) != nil else {
            throw WorkflowError(
                .invalidArgument,
                "schedule '\(name)': time zone '\(timeZone.identifier)' cannot be found again by its identifier; use a named zone (\"Europe/Berlin\") or UTC; nothing was written")
        }
        guard cron.nextTick(after: clock.now(), in: timeZone) != nil else {
            throw WorkflowError(
                .invalidArgument,
                "schedule '\(name)': cron expression '\(cron)' has no tick in the next ten years; nothing was written")
        }
    }

    private func recordSchedule(
        _ name: String, cron: CronExpression, timeZone: TimeZone, workflow: String, input: [UInt8]?,
        catchUp: ScheduleCatchUp
    ) async throws {
        let definition = ScheduleDefinition(
            cron: cron.description, timeZone: timeZone.identifier, workflow: workflow, input: input, catchUp: catchUp,
            paused: false)
        try await changeSchedule(name, creating: definition) { _ in definition }
    }

    /// Changes schedule `name`, one change at a time per name (each reads the schedule, then records its new
    /// state): `change` gives the new definition (nil: nothing to record), `removing` removes it. Without
    /// `creating`, an unknown name is `.notFound`.
    private func changeSchedule(
        _ name: String, creating: ScheduleDefinition? = nil, removing: Bool = false,
        _ change: (ScheduleDefinition) -> ScheduleDefinition?
    ) async throws {
        while true {
            let signal = Signal()
            let claimed = state.withLock { s -> Bool in
                if s.timedStarts.changing[name] != nil {
                    s.timedStarts.changing[name]?.append(signal)
                    return false
                }
                s.timedStarts.changing[name] = []
                return true
            }
            if claimed { break }
            await signal.wait()
            try Task.checkCancellation()
        }
        defer {
            let waiters = state.withLock { $0.timedStarts.changing.removeValue(forKey: name) } ?? []
            for waiter in waiters { waiter.fire() }
        }
        let current = state.withLock { $0.projection.scheduledStarts.schedules[name]?.definition }
        guard let base = current ?? creating else {
            throw WorkflowError(.notFound, "there is no schedule named '\(name)'; nothing was written")
        }
        let payload: [UInt8]
        if removing {
            payload = []
        } else {
            guard let changed = change(base) else { return }
            do {
                payload = try changed.encoded()
            } catch {
                throw WorkflowError(.invalidArgument, "schedule '\(name)' could not be encoded: \(error)", underlying: SendableError(error))
            }
            guard payload.count <= configuration.maxPayloadSize else {
                throw WorkflowError(
                    .payloadTooLarge,
                    "schedule '\(name)' is \(payload.count) bytes with its input, over maxPayloadSize (\(configuration.maxPayloadSize)); nothing was written")
            }
        }
        try await commit([Event(kind: .scheduleChanged, workflowID: "", name: name, time: clock.now(), payload: payload)])
        pokeTimedStarts(changed: name)
    }
}

extension ScheduleDefinition {
    fileprivate func with(paused: Bool) -> Self {
        var copy = self
        copy.paused = paused
        return copy
    }
}
