import Synchronization
import CoreMetrics
import CairnLog
import Logging

extension WorkflowEngine {
    /// Runs one workflow to its end (or until it must stop): replays its history, goes on live, records the
    /// outcome. Called in a task of its own for each workflow ``run()`` schedules.
    func execute(_ id: String) async {
        enum Start { case run(WorkflowRun, WorkflowRegistration, [UInt8]), skip, park(Event) }
        let start: Start = state.withLock { s in
            // One execution per workflow at a time: a start before run() and recovery both schedule it, so do two
            // concurrent resumes. Nothing starts once shutdown began: the workflow stays pending in the log and
            // resumes at the next start.
            guard s.phase < .draining, s.executing[id] == nil, let w = s.projection.workflows[id], w.summary.status == .pending
            else { return .skip }
            s.executing[id] = Signal()
            guard let registration = registry[w.summary.name] else {
                let reason = "workflow '\(w.summary.name)' is not registered in this process (was its code removed or renamed?); register it and the workflow resumes at the next start, or resume it by hand"
                return .park(Event(
                    kind: .workflowParked, workflowID: id, name: w.summary.name, time: clock.now(),
                    flags: Event.Flags.unknownWorkflow, payload: Array(reason.utf8)))
            }
            s.projection.workflows[id]!.summary.status = .running
            return .run(WorkflowRun(engine: self, id: id, name: w.summary.name, history: w.history), registration, w.input)
        }
        defer {
            if case .skip = start {} else {
                let (ended, drained) = state.withLock { s -> (Signal?, [Signal]) in
                    let ended = s.executing.removeValue(forKey: id)
                    guard s.executing.isEmpty else { return (ended, []) }
                    defer { s.drainWaiters = [] }
                    return (ended, s.drainWaiters)
                }
                ended?.fire()
                for waiter in drained { waiter.fire() }
            }
        }
        switch start {
        case .skip:
            return
        case .park(let event):
            logger.warning("workflow parked", metadata: ["workflow": "\(id)", "reason": "\(String(decoding: event.payload, as: UTF8.self))"])
            metrics.parked.increment()
            try? await commit([event])
            return
        case .run(let run, let registration, let input):
            let context = WorkflowContext(run: run, prefix: [])
            let codec = self.codec
            let task = Task { try await registration.run(context, input, codec) }
            let draining = state.withLock { s in
                s.runs[id] = ActiveRun(run: run, task: task)
                return s.phase >= .draining
            }
            // Shutdown began between the check above and registering the run: beginShutdown() did not see it.
            if draining { run.halt(.suspended) }
            let result = await withTaskCancellationHandler {
                await task.result
            } onCancel: {
                task.cancel()
            }
            await finish(run, context: context, result: result)
            state.withLock { s in
                s.runs[id] = nil
                if s.projection.workflows[id]?.summary.status == .running {
                    s.projection.workflows[id]!.summary.status = .pending  // suspended, or the log failed
                }
            }
        }
    }

    /// Records how a run ended, together with its last pending outcomes (one sync).
    private func finish(_ run: WorkflowRun, context: WorkflowContext, result: Result<[UInt8], any Error>) async {
        var events = context.takePending()
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
                kind: .workflowParked, workflowID: id, name: run.name, time: now, flags: Event.Flags.diverged,
                payload: Array(report.description.utf8)))
        case .cancelled, .suspended, .frontier:
            break  // cancel() recorded the cancellation; a suspended workflow resumes at the next start
        case nil:
            switch result {
            case .success(let output):
                metrics.completed.increment()
                events.append(Event(kind: .workflowCompleted, workflowID: id, name: run.name, time: now, payload: output))
            case .failure(let error):
                if Task.isCancelled { break }  // the engine's run() was cancelled: stays unfinished
                metrics.failed.increment()
                let type: String
                let message: String
                if let failure = error as? WorkflowFailure {
                    (type, message) = (failure.errorType, failure.message)
                } else {
                    (type, message) = (String(reflecting: Swift.type(of: error)), "\(error)")
                }
                events.append(Event(
                    kind: .workflowFailed, workflowID: id, name: run.name, time: now, errorType: type,
                    payload: Array(message.utf8)))
            }
        }
        do {
            try await commit(events)
        } catch {
            logger.error("could not record the end of a workflow", metadata: ["workflow": "\(id)", "error": "\(error)"])
        }
    }
}
