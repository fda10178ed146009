/// The rules of a workflow's lifecycle, written once: how each record changes a workflow's status and summary,
/// which messages reach an inbox and which one a receive takes, and how a summary record restores a workflow.
///
/// Every store of workflows applies records through ``reduce(_:into:)``: the engine's ``Projection`` (live and
/// rebuilt alike, and ``LogProjection`` through it), which keeps inputs, outputs, histories and inboxes with their
/// payloads, and the ``WorkflowIndex`` of `cairn list`, `cairn inspect` and compaction planning, which keeps
/// summaries and message IDs only. The reducer decides; the store carries the decision out on what it keeps
/// (``WorkflowLifecycleStore``), so the two cannot disagree on a rule.
///
/// | Record | Status | Summary |
/// |---|---|---|
/// | workflow started | new: `pending` | name, start and update time, parent; a repeated start of a known ID is ignored |
/// | workflow completed | `completed` | update time; the store keeps the output |
/// | workflow failed | `failed` | update time, failure (error type, message, a durable error's value) |
/// | workflow enqueued | `enqueued` if `pending` (written with its start) | the store keeps its queue membership |
/// | workflow dequeued | `pending` if `enqueued` | update time |
/// | workflow cancelled | `cancelled` unless finished | update time unless finished; timed out (flag) |
/// | workflow parked | `diverged` (flag) or `parked`, unless finished | update time unless finished; reason text and ``ParkReason`` from the flags |
/// | workflow resumed | `pending` (`enqueued` if never dequeued) unless finished | update time unless finished; park reason cleared; a timed-out one's deadline cleared |
/// | workflow summary | new: `completed` or `failed` | everything, from the record; ignored for a known ID |
/// | message sent | — | delivered to the destination's inbox (ID = the send's LSN) unless copied into a fork or its (destination, idempotency key) was seen before |
/// | message received | — | takes the message with the recorded ID from the receiver's inbox (none after a timeout) |
///
/// Finished (completed or failed) is final: nothing changes a finished workflow's status. Every other record of a
/// workflow is an operation the store may keep in its history.
enum WorkflowLifecycle {
    /// Applies one record to `store`. Returns the slot of the workflow whose record it is (nil when the store does
    /// not know it) and what the store says may now proceed.
    @inline(__always)
    static func reduce<Store: WorkflowLifecycleStore>(
        _ event: EventEnvelope, into store: inout Store
    ) -> (slot: Int?, wakeup: Store.Wakeup?) {
        let reduced = apply(event, into: &store)
        if let slot = reduced.slot, changesSummary(event.kind) { store.statusChanged(slot) }
        return reduced
    }

    @inline(__always)
    private static func apply<Store: WorkflowLifecycleStore>(
        _ event: EventEnvelope, into store: inout Store
    ) -> (slot: Int?, wakeup: Store.Wakeup?) {
        let peek = event.peek
        let (found, hint) = store.find(peek.workflowID, in: event)
        switch event.kind {
        case .workflowStarted:
            // The first start of an ID wins: a later one (a start retried with the same ID) changes nothing.
            guard found == nil else { return (found, nil) }
            let slot = store.insert(started: event, hint: hint)
            return (slot, store.wakeup(workflowAt: slot, event))
        case .workflowSummary:
            // Written by compaction for a finished workflow whose history it drops; a no-op while that history is
            // still in the log (compaction appends the summary before it drops anything).
            var slot = found
            if found == nil, let record = WorkflowSummaryRecord(event.decoded()) {
                slot = store.insert(restored: record, hint: hint, event)
            }
            if let slot { store.summarized(slot, event) }
            return (slot, found == nil && slot != nil ? store.wakeup(workflowAt: slot, event) : nil)
        case .workflowCompleted, .workflowFailed:
            guard let slot = found else { return (nil, nil) }
            finish(&store[summaryAt: slot], event)
            store.finished(slot, event)
            return (slot, store.wakeup(workflowAt: slot, event))
        case .workflowCancelled:
            if let slot = found, !store[summaryAt: slot].status.isFinished {
                transition(&store[summaryAt: slot], to: .cancelled, at: peek.time)
                store[summaryAt: slot].timedOut = peek.flags.contains(.timedOut)
            }
            return (found, store.wakeup(workflowAt: found, event))
        case .workflowResumed:
            if let slot = found {
                // A workflow that never left its queue goes back to it.
                transition(&store[summaryAt: slot], to: store.awaitsQueue(slot) ? .enqueued : .pending, at: peek.time)
                store[summaryAt: slot].parkReason = nil
                store[summaryAt: slot].parkedBecause = nil
                if store[summaryAt: slot].timedOut {
                    // Its deadline has passed: kept, it would cancel the workflow again at once.
                    store[summaryAt: slot].timedOut = false
                    store[summaryAt: slot].deadline = nil
                }
                store.resumed(slot)
            }
            return (found, store.wakeup(workflowAt: found, event))
        case .workflowEnqueued:
            if let slot = found, store[summaryAt: slot].status == .pending {
                store[summaryAt: slot].status = .enqueued
                store.enqueued(slot, event)
            }
            return (found, nil)
        case .workflowDequeued:
            if let slot = found, store[summaryAt: slot].status == .enqueued {
                transition(&store[summaryAt: slot], to: .pending, at: peek.time)
                store.dequeued(slot, event)
            }
            return (found, store.wakeup(workflowAt: found, event))
        case .workflowParked:
            if let slot = found {
                let reason = ParkReason(flags: peek.flags)
                transition(&store[summaryAt: slot], to: reason.status, at: peek.time)
                store[summaryAt: slot].parkReason = event.payloadText
                store[summaryAt: slot].parkedBecause = reason
            }
            return (found, store.wakeup(workflowAt: found, event))
        case .queueDeclared:
            store.queueDeclared(event)
            return (nil, nil)
        case .workflowForked:
            return (found, nil)
        case .recoveryAttempted:
            if let slot = found { store.attemptedRecovery(slot) }
            return (found, nil)
        case .recoverySucceeded:
            if let slot = found { store.recoverySucceeded(slot) }
            return (found, nil)
        case .engineStopped:
            store.engineStopped()
            return (found, nil)
        case .messageSent:
            var wakeup: Store.Wakeup?
            // A send copied into a forked history was delivered to the original already.
            if let destination = peek.target, !peek.flags.contains(.copied) {
                if let key = peek.idempotencyKey {
                    // A repeated (destination, key) is not delivered, nor recorded in its sender's history.
                    guard store.claim(idempotencyKey: key, destination: destination, event) else { return (found, nil) }
                }
                wakeup = store.deliver(event, to: destination)
            }
            store.record(found, event)
            return (found, wakeup)
        case .messageReceived:
            if !peek.flags.contains(.timedOut), let messageID = peek.number { store.consume(messageID: messageID, event) }
            store.record(found, event)
            return (found, nil)
        case .eventSet:
            let wakeup = store.setEvent(found, event)
            store.record(found, event)
            return (found, wakeup)
        default:
            // Every other kind is an operation that changes no state but its workflow's history (a new operation kind
            // needs no case here; one that changes state, like a send, does). `record` ignores a record without a
            // position, so a lifecycle kind that lands here by mistake changes nothing.
            store.record(found, event)
            return (found, nil)
        }
    }

    /// Whether a record of this kind can change a workflow's summary (an index that keeps summaries only skips the
    /// others undecoded).
    static func changesSummary(_ kind: EventKind) -> Bool {
        switch kind {
        case .workflowStarted, .workflowCompleted, .workflowFailed, .workflowCancelled, .workflowResumed,
            .workflowParked, .workflowSummary, .workflowEnqueued, .workflowDequeued:
            true
        default:
            false
        }
    }

    /// Whether a record of this kind changes which messages wait in inboxes or which events are set.
    static func changesMailbox(_ kind: EventKind) -> Bool {
        kind == .messageSent || kind == .messageReceived || kind == .eventSet
    }

    /// Moves an unfinished workflow to `status`; a finished one stays as it is.
    @inline(__always)
    static func transition(_ summary: inout WorkflowSummary, to status: WorkflowStatus, at time: Int64) {
        guard !summary.status.isFinished else { return }
        summary.status = status
        summary.updatedAt = time
    }

    /// Completes or fails a workflow (`event` is ``EventKind/workflowCompleted`` or ``EventKind/workflowFailed``).
    @inline(__always)
    static func finish(_ summary: inout WorkflowSummary, _ event: EventEnvelope) {
        summary.updatedAt = event.peek.time
        if event.kind == .workflowCompleted {
            summary.status = .completed
        } else {
            summary.status = .failed
            summary.failure = WorkflowFailure(
                errorType: event.peek.errorType.map(event.string) ?? "Error",
                recordedPayload: UnsafeRawBufferPointer(rebasing: event.bytes[event.peek.payload]), flags: event.peek.flags)
        }
    }
}

extension WorkflowSummary {
    /// The summary of a workflow its ``EventKind/workflowStarted`` event begins: pending, started and updated at the
    /// event's time, child of the event's target. `id` and `name` are the event's, made by the store (which may
    /// share the strings).
    init(started event: EventEnvelope, id: String, name: String) {
        let peek = event.peek
        self.init(
            id: id, name: name, status: .pending, startedAt: peek.time, updatedAt: peek.time,
            parentID: peek.target.map(event.string), failure: nil, parkReason: nil, historyCount: 0, deadline: peek.deadline)
    }

    /// The summary of a finished workflow restored from its ``WorkflowSummaryRecord``.
    init(restoring record: WorkflowSummaryRecord) {
        self.init(
            id: record.workflowID, name: record.name, status: record.status, startedAt: record.startedAt,
            updatedAt: record.finishedAt, parentID: record.parentID, failure: record.failure, parkReason: nil,
            historyCount: 0)
    }
}
