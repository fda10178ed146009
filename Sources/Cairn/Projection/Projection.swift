import CairnLog
import DequeModule

/// The in-memory state rebuilt from the log at start-up and kept current as events are appended: workflows by ID,
/// the histories of unfinished workflows, inboxes by (workflow, topic), events by (workflow, key).
///
/// ``apply(_:lsn:)`` is the one place where an event changes state, whether it was read at start-up or just
/// appended, so the two can never disagree. It decodes envelopes only; payloads stay bytes.
struct Projection {
    struct Workflow {
        var summary: WorkflowSummary
        var input: [UInt8]
        /// The recorded operations by position; emptied when the workflow finishes.
        var history: [Position: HistoryEntry] = [:]
        /// The output of a completed workflow.
        var output: [UInt8]?
        /// Recovery attempts since the workflow last made progress or the engine last stopped cleanly.
        var recoveryAttempts = 0
        var parentPosition: Position?
    }

    /// One position's recorded events: the outcome and, for waits, when the wait began.
    struct HistoryEntry: Sendable {
        var event: Event?
        var waitStarted: Event?
        var lsn: LSN
    }

    struct Message: Sendable {
        var id: UInt64
        var payload: [UInt8]
    }

    struct Key: Hashable {
        var workflowID: String
        var name: String
    }

    var workflows: [String: Workflow] = [:]
    var inboxes: [Key: Deque<Message>] = [:]
    var events: [Key: [UInt8]] = [:]
    var idempotencyKeys: Set<Key> = []
    var eventCount = 0
    var lastLSN: LSN?
    /// Keep the histories of finished workflows too (the determinism checker replays them; the engine does not).
    var keepsFinishedHistories = false

    /// Applies one event. Returns the keys whose waiters may now proceed (a message arrived, an event was set, a
    /// workflow finished).
    @discardableResult
    mutating func apply(_ event: Event, lsn: LSN) -> Wakeup? {
        eventCount += 1
        lastLSN = lsn
        let id = event.workflowID
        switch event.kind {
        case .workflowStarted:
            guard workflows[id] == nil else { return nil }
            workflows[id] = Workflow(
                summary: WorkflowSummary(
                    id: id, name: event.name, status: .pending, startedAt: event.time, updatedAt: event.time,
                    parentID: event.target, failure: nil, parkReason: nil, historyCount: 0),
                input: event.payload, parentPosition: event.parentPosition)
            return .workflow(id)
        case .workflowCompleted, .workflowFailed:
            let keepsHistory = keepsFinishedHistories
            let found: Void? = withWorkflow(id) { w in
                w.summary.status = event.kind == .workflowCompleted ? .completed : .failed
                w.summary.updatedAt = event.time
                if !keepsHistory {
                    w.history = [:]
                    w.summary.historyCount = 0
                }
                if event.kind == .workflowCompleted {
                    w.output = event.payload
                } else {
                    w.summary.failure = WorkflowFailure(
                        errorType: event.errorType ?? "Error", message: String(decoding: event.payload, as: UTF8.self))
                }
            }
            return found == nil ? nil : .workflow(id)
        case .workflowCancelled:
            setStatus(id, .cancelled, time: event.time)
            return .workflow(id)
        case .workflowResumed:
            setStatus(id, .pending, time: event.time)
            withWorkflow(id) { w in
                w.summary.parkReason = nil
                w.recoveryAttempts = 0
            }
            return .workflow(id)
        case .workflowParked:
            setStatus(id, event.flags & Event.Flags.diverged != 0 ? .diverged : .parked, time: event.time)
            withWorkflow(id) { $0.summary.parkReason = String(decoding: event.payload, as: UTF8.self) }
            return .workflow(id)
        case .workflowForked:
            return nil
        case .recoveryAttempted:
            withWorkflow(id) { $0.recoveryAttempts += 1 }
            return nil
        case .workflowSummary:
            // Written by compaction for a finished workflow whose history it drops; a no-op while that history is
            // still in the log (compaction appends the summary before it drops anything).
            guard workflows[id] == nil, let restored = WorkflowSummaryRecord(event) else { return nil }
            restore(restored)
            return .workflow(id)
        case .engineStopped:
            for index in workflows.indices where workflows.values[index].recoveryAttempts > 0 {
                workflows.values[index].recoveryAttempts = 0
            }
            return nil
        case .messageSent:
            var wake: Wakeup?
            if let destination = event.target, event.flags & Event.Flags.copied == 0 {
                let key = Key(workflowID: destination, name: event.name)
                if let idempotencyKey = event.idempotencyKey {
                    let seen = Key(workflowID: destination, name: idempotencyKey)
                    if idempotencyKeys.contains(seen) { break }
                    idempotencyKeys.insert(seen)
                }
                inboxes[key, default: []].append(Message(id: lsn.rawValue, payload: event.payload))
                wake = .key(key)
            }
            record(event, lsn: lsn)
            return wake
        case .messageReceived:
            if event.flags & Event.Flags.timedOut == 0, let messageID = event.number {
                let key = Key(workflowID: id, name: event.name)
                if let index = inboxes[key]?.firstIndex(where: { $0.id == messageID }) {
                    inboxes[key]!.remove(at: index)
                    if inboxes[key]!.isEmpty { inboxes[key] = nil }
                }
            }
            record(event, lsn: lsn)
        case .eventSet:
            let key = Key(workflowID: id, name: event.name)
            events[key] = event.payload
            record(event, lsn: lsn)
            return .key(key)
        case .stepCompleted, .stepFailed, .sleepStarted, .receiveStarted, .eventRead, .childStarted,
            .childCompleted, .valueRecorded, .patchMarker, .branchStarted:
            record(event, lsn: lsn)
        }
        return nil
    }

    /// What an applied event may let proceed.
    enum Wakeup {
        case key(Key)
        case workflow(String)
    }

    /// Mutates workflow `id` in place, if it exists.
    ///
    /// Always go through here (or `workflows.values[index]`): reading `workflows[id]!` copies the workflow, and a
    /// write while that copy lives copies its whole history dictionary — per event, which made rebuilding a
    /// projection quadratic in history length.
    @discardableResult
    private mutating func withWorkflow<R>(_ id: String, _ body: (inout Workflow) -> R) -> R? {
        guard let index = workflows.index(forKey: id) else { return nil }
        return body(&workflows.values[index])
    }

    private mutating func setStatus(_ id: String, _ status: WorkflowStatus, time: Int64) {
        withWorkflow(id) { w in
            guard !w.summary.status.isFinished else { return }
            w.summary.status = status
            w.summary.updatedAt = time
        }
    }

    /// Adds an operation to its workflow's history (unfinished workflows only; sends from outside have no
    /// position and no history).
    private mutating func record(_ event: Event, lsn: LSN) {
        guard let position = event.position else { return }
        let keepsHistory = keepsFinishedHistories
        withWorkflow(event.workflowID) { w in
            guard keepsHistory || !w.summary.status.isFinished else { return }
            w.recoveryAttempts = 0
            let fresh = HistoryEntry(event: nil, waitStarted: nil, lsn: lsn)
            if event.kind == .receiveStarted {
                if w.history[position] == nil { w.summary.historyCount += 1 }
                w.history[position, default: fresh].waitStarted = event
            } else if w.history[position]?.event == nil {
                if w.history[position] == nil { w.summary.historyCount += 1 }
                w.history[position, default: fresh].event = event
                w.history[position]!.lsn = lsn
            }
        }
    }
}
