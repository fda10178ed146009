import Logging
import Synchronization

extension WorkflowEngine {
    /// The engine's timed-start loop, which ``run()`` runs beside the waker: fires schedules' ticks and debounces
    /// that are due, then sleeps until the earliest next one, or until a schedule changes or a debounce is recorded.
    /// Returns when shutdown begins.
    ///
    /// Its first look, as ``run()`` begins, applies each schedule's catch-up policy to the ticks missed while the
    /// engine was down; from then on every tick fires, late if the loop is. The due ticks and debounces of a round
    /// start concurrently, so their commits share syncs (group commit), and the round ends when all are durable:
    /// the next look sees their records.
    func timedStartLoop() async {
        var timers = TickTimers()
        var debounceTimers = DebounceTimers()
        var catchingUp = true
        while true {
            let now = clock.now()
            let signal = Signal()
            let look = state.withLock { s -> Look? in
                guard s.phase == .running else { return nil }
                s.timedStarts.signal = signal
                let book = s.projection.scheduledStarts
                let names = catchingUp ? Set(book.schedules.keys).union(s.timedStarts.changed) : s.timedStarts.changed
                s.timedStarts.changed = []
                let debounces = catchingUp ? Set(book.debounces.keys) : s.timedStarts.changedDebounces
                s.timedStarts.changedDebounces = []
                return Look(
                    changed: names.map { ($0, book.schedules[$0]) },
                    debounces: debounces.map { ($0, book.debounces[$0]?.fireAt) })
            }
            guard let look else { return }
            for (id, fireAt) in look.debounces { debounceTimers.arm(id, at: fireAt) }
            let dueDebounces = takeDueDebounces(debounceTimers.takeDue(now: now), now: now)
            var ticks: [TickTimers.Fire] = []
            for (name, schedule) in look.changed {
                timers.arm(name, schedule, now: now, catchingUp: catchingUp, logger: logger, into: &ticks)
            }
            catchingUp = false
            ticks += timers.takeDue(now: now)
            if !look.changed.isEmpty || !ticks.isEmpty {
                let next = timers.nextTicks
                state.withLock { $0.timedStarts.nextTicks = next }
            }
            if !ticks.isEmpty || !dueDebounces.isEmpty {
                await withTaskGroup(of: Void.self) { group in
                    for tick in ticks { group.addTask { await self.fire(tick) } }
                    for debounce in dueDebounces { group.addTask { await self.fire(debounce) } }
                }
                continue
            }
            let deadline = min(timers.earliest() ?? .max, debounceTimers.earliest() ?? .max)
            do {
                // A poke since the lock fired `signal` already: the wait returns at once.
                _ = try await wait(for: signal, until: deadline == .max ? nil : deadline, interrupt: shutdownRequested)
            } catch {
                return  // shutdown began, or run() is cancelled
            }
        }
    }

    /// What one look of the loop found: the schedules to re-arm (nil: removed) and the debounces to re-arm (nil:
    /// no longer pending).
    private struct Look {
        var changed: [(String, ScheduledStarts.Schedule?)]
        var debounces: [(String, Int64?)]
    }

    /// Of the debounces whose time came, those to fire now, marked as firing — decided under the engine's lock, as
    /// the calls decide which debounce they add to. One still pending and due, with no call for it in flight, fires;
    /// one a call is recording to (or recorded to since: its time moved) is re-armed when that call is released.
    private func takeDueDebounces(_ ids: [String], now: Int64) -> [ScheduledStarts.Debounce] {
        guard !ids.isEmpty else { return [] }
        return state.withLock { s -> [ScheduledStarts.Debounce] in
            var due: [ScheduledStarts.Debounce] = []
            for id in ids {
                guard let d = s.projection.scheduledStarts.debounces[id], d.fireAt <= now,
                    !s.timedStarts.firing.contains(id), s.timedStarts.claims[d.key]?.id != id
                else { continue }
                s.timedStarts.firing.insert(id)
                due.append(d)
            }
            return due
        }
    }

    /// A schedule changed or a debounce was recorded: the loop looks again.
    func pokeTimedStarts(changed schedule: String? = nil) {
        let signal = state.withLock { s -> Signal? in
            if let schedule { s.timedStarts.changed.insert(schedule) }
            return s.timedStarts.signal
        }
        signal?.fire()
    }

    /// Starts the workflow of a tick, with the tick's record in the same commit.
    private func fire(_ tick: TickTimers.Fire) async {
        let id = TickTimeline.workflowID(schedule: tick.schedule, tick: tick.tick)
        guard registry[tick.workflow] != nil else {
            logger.error(
                "schedule tick skipped: its workflow is not registered in this process",
                metadata: ["schedule": "\(tick.schedule)", "workflow": "\(tick.workflow)", "tick": "\(id)"])
            return
        }
        do {
            let input: [UInt8]
            if let fixed = tick.input {
                input = fixed
            } else {
                let value = ScheduleTick(schedule: tick.schedule, scheduledAt: Date(nanosecondsSince1970: tick.tick))
                input = try encode(value, what: "the tick of schedule '\(tick.schedule)'", workflowID: id)
            }
            let now = clock.now()
            let start = Event(kind: .workflowStarted, workflowID: id, name: tick.workflow, time: now, payload: input)
            let record = Event(kind: .scheduleTicked, workflowID: "", name: tick.schedule, time: now, target: id, deadline: tick.tick)
            try await startDurably(start, alsoRecording: [record])
        } catch let error as WorkflowError where error.code == .shuttingDown {
            return
        } catch {
            logger.error("schedule tick could not be started", metadata: ["tick": "\(id)", "error": "\(error)"])
        }
    }

    /// Starts a debounced workflow with its latest input, under the ID its first call fixed.
    private func fire(_ debounce: ScheduledStarts.Debounce) async {
        guard registry[debounce.workflow] != nil else {
            // Left marked as firing: not retried in this process, fired by one that registers the workflow.
            logger.error(
                "debounce not fired: its workflow is not registered in this process",
                metadata: ["key": "\(debounce.key)", "workflow": "\(debounce.workflow)", "id": "\(debounce.id)"])
            return
        }
        defer { _ = state.withLock { $0.timedStarts.firing.remove(debounce.id) } }
        let start = Event(
            kind: .workflowStarted, workflowID: debounce.id, name: debounce.workflow, time: clock.now(), payload: debounce.input)
        do {
            try await startDurably(start)
        } catch let error as WorkflowError where error.code == .shuttingDown {
            return
        } catch {
            logger.error("debounced workflow could not be started", metadata: ["id": "\(debounce.id)", "error": "\(error)"])
        }
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
