import CairnLog
import DequeModule

/// How the projection carries out ``WorkflowLifecycle``'s decisions: workflows in a ``WorkflowTable`` found by their
/// ID's bytes, inboxes with payloads, histories as envelope bytes, recovery attempts counted in stop epochs.
///
/// Always change a workflow in place (`workflows[at: slot]`): reading `workflows[id]!` copies the workflow, and a
/// write while that copy lives copies its whole history — per event, which made rebuilding a projection quadratic
/// in history length.
extension Projection: QueueKeepingStore {
    func workflowID(at slot: Int) -> String { workflows[at: slot].summary.id }

    @inline(__always)
    func find(_ id: Range<Int>, in event: EventEnvelope) -> (slot: Int?, hint: UInt64) {
        let (index, hash) = workflows.index(ofID: UnsafeRawBufferPointer(rebasing: event.bytes[id]))
        return (index, hash)
    }

    mutating func insert(started event: EventEnvelope, hint: UInt64) -> Int {
        let peek = event.peek
        let workflow = Workflow(
            summary: WorkflowSummary(started: event, id: event.workflowID, name: names.string(peek.name, in: event.bytes)),
            input: event.payload, parentPosition: peek.parentPosition.flatMap(event.position),
            traceContext: peek.traceContext.map(event.string))
        workflows.insert(workflow, hash: hint)
        if let deadline = peek.deadline { deadlines.add(workflow.summary.id, deadline: deadline) }
        return workflows.count - 1
    }

    mutating func insert(restored record: WorkflowSummaryRecord, hint: UInt64, _ event: EventEnvelope) -> Int {
        workflows.insert(
            Workflow(
                summary: WorkflowSummary(restoring: record), input: record.input,
                output: record.status == .completed ? record.output : nil, parentPosition: record.parentPosition),
            hash: hint)
        for e in record.events { setEvent(Key(workflowID: record.workflowID, name: e.key), e.value) }
        return workflows.count - 1
    }

    subscript(summaryAt slot: Int) -> WorkflowSummary {
        _read { yield workflows[at: slot].summary }
        _modify { yield &workflows[at: slot].summary }
    }

    mutating func finished(_ slot: Int, _ event: EventEnvelope) {
        if !keepsFinishedHistories {
            workflows[at: slot].records = HistoryRecords()
            workflows[at: slot].summary.historyCount = 0
        }
        if event.kind == .workflowCompleted { workflows[at: slot].output = event.payload }
    }

    mutating func resumed(_ slot: Int) {
        workflows[at: slot].recoveryAttempts = 0
    }

    mutating func recoverySucceeded(_ slot: Int) {
        workflows[at: slot].recoveryAttempts = 0
    }

    mutating func attemptedRecovery(_ slot: Int) {
        let epoch = stopEpoch
        Self.countAttempt(in: &workflows[at: slot], epoch: epoch)
    }

    private static func countAttempt(in w: inout Workflow, epoch: UInt32) {
        if w.attemptsEpoch != epoch { (w.recoveryAttempts, w.attemptsEpoch) = (0, epoch) }
        w.recoveryAttempts &+= 1
    }

    mutating func engineStopped() {
        // Every count starts afresh: a new epoch voids them all at once (one stop per restart, each once a loop
        // over every workflow, made opening cost restarts × workflows).
        stopEpoch &+= 1
    }

    mutating func claim(idempotencyKey key: Range<Int>, destination: Range<Int>, _ event: EventEnvelope) -> Bool {
        idempotencyKeys.insert(Key(workflowID: event.string(destination), name: event.string(key))).inserted
    }

    mutating func deliver(_ event: EventEnvelope, to destination: Range<Int>) -> Wakeup? {
        let key = Key(workflowID: event.string(destination), name: event.name)
        inboxes[key, default: []].append(Message(id: event.lsn.rawValue, payload: event.payload))
        return .message(key)
    }

    mutating func consume(messageID: UInt64, _ event: EventEnvelope) {
        let key = Key(workflowID: event.workflowID, name: event.name)
        guard let inbox = inboxes.index(forKey: key),
            let index = inboxes.values[inbox].firstIndex(where: { $0.id == messageID })
        else { return }
        inboxes.values[inbox].remove(at: index)
        if inboxes.values[inbox].isEmpty { inboxes.remove(at: inbox) }
    }

    mutating func setEvent(_ slot: Int?, _ event: EventEnvelope) -> Wakeup? {
        let key = Key(workflowID: event.workflowID, name: event.name)
        setEvent(key, event.payload)
        return .event(key)
    }

    /// Sets an event's value, and lists its key under its workflow when it is new.
    private mutating func setEvent(_ key: Key, _ value: [UInt8]) {
        if events.updateValue(value, forKey: key) == nil { eventKeys[key.workflowID, default: []].append(key.name) }
    }

    /// Adds an operation to its workflow's history (unfinished workflows only, unless finished histories are kept;
    /// sends from outside have no position and no history). Progress: the recovery attempts start afresh.
    mutating func record(_ slot: Int?, _ event: EventEnvelope) {
        guard let slot, event.peek.hasPosition else { return }
        let keepsHistory = keepsFinishedHistories
        let (waitingUntil, wakesOn) = Self.wait(event)
        Self.record(event, in: &workflows[at: slot], keepsHistory: keepsHistory, waitingUntil: waitingUntil, wakesOn: wakesOn)
    }

    /// ``record(_:_:)`` on the workflow, reached once (each `workflows[at:]` access walks its chunk).
    @inline(__always)
    private static func record(
        _ event: EventEnvelope, in w: inout Workflow, keepsHistory: Bool, waitingUntil: Int64, wakesOn: WakeCondition?
    ) {
        guard keepsHistory || !w.summary.status.isFinished else { return }
        w.recoveryAttempts = 0
        w.waitingUntil = waitingUntil
        w.wakesOn = wakesOn
        if w.records.append(event) { w.summary.historyCount += 1 }
    }

    func wakeup(workflowAt slot: Int?, _ event: EventEnvelope) -> Wakeup? {
        .workflow(slot.map { workflows[at: $0].summary.id } ?? event.workflowID)
    }
}
