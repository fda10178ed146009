import CairnLog
import DequeModule

/// The in-memory state rebuilt from the log at start-up and kept current as events are appended: workflows by ID,
/// the histories of unfinished workflows, inboxes by (workflow, topic), events by (workflow, key).
///
/// ``apply(_:)`` is the one place where an event changes state, whether it was read at start-up or just appended
/// (``apply(_:lsn:)`` with the record the engine wrote), so the two can never disagree: both read the same bytes.
/// The rules are ``WorkflowLifecycle``'s, which the ``WorkflowIndex`` applies too; the projection carries them out
/// on what it keeps (`Projection+LifecycleStore.swift`).
/// It reads envelopes in place (``EventEnvelope``), never a payload: strings and byte arrays are made only of what
/// the projection keeps. An unfinished workflow's history stays as its records' bytes (``HistoryRecords``) until a
/// run or a tool reads it; a finished one's is dropped (kept only with ``keepsFinishedHistories``).
///
/// Measured on 2M events shaped like 3-step workflows (2 cores): decoding every event fully and keeping unfinished
/// histories as `[Position: HistoryEntry]` rebuilt ~0.6M events/s; reading envelopes in place, histories as
/// bytes and workflows in a ``WorkflowTable`` reach ~2.3M/s, of which the log's own open is a seventh.
struct Projection {
    struct Workflow {
        var summary: WorkflowSummary
        var input: [UInt8]
        /// The recorded operations, as envelope bytes; emptied when the workflow finishes.
        var records = HistoryRecords()
        /// The output of a completed workflow.
        var output: [UInt8]?
        /// Recovery attempts since the workflow last made progress, counted in stop epoch ``attemptsEpoch``: a clean
        /// stop (a later epoch) makes them 0 without visiting every workflow. Read them with
        /// ``Projection/recoveryAttempts(of:)``.
        var recoveryAttempts: Int32 = 0
        var attemptsEpoch: UInt32 = 0
        /// When the workflow's history ends in a durable wait of its main body (a sleep, a step's wait for its next
        /// attempt, a receive, an event read with a timeout, a child's result), that wait's deadline (ns since 1970; `Int64.max` for a wait without
        /// one); `Int64.min` otherwise. Until it passes, the workflow runs no code of its own (unless ``wakesOn``
        /// has happened): recovery does not count an attempt against it.
        var waitingUntil = Int64.min
        /// What ends the wait the history ends in before its deadline, if anything: a message on a topic, a child
        /// settling. If it has happened, the workflow runs code at recovery after all.
        var wakesOn: WakeCondition?
        var parentPosition: Position?
        /// The trace context its start recorded, which its runs' spans continue (``WorkflowTracing``).
        var traceContext: String?
        /// The positions between which every record concerning the workflow lies, sends to it from outside
        /// included: what ``WorkflowEngine/history(of:after:)`` reads (``historySpan``). Kept by ``apply(_:)``.
        var firstLSN = UInt64.max
        var lastLSN: UInt64 = 0

        /// The positions ``WorkflowEngine/history(of:after:)`` reads.
        var historySpan: ClosedRange<LSN> { LSN(Swift.min(firstLSN, lastLSN))...LSN(lastLSN) }

        /// Widens ``firstLSN`` ... ``lastLSN`` to `lsn` (min/max: a store may commit positions out of order).
        mutating func covers(_ lsn: LSN) {
            firstLSN = Swift.min(firstLSN, lsn.rawValue)
            lastLSN = Swift.max(lastLSN, lsn.rawValue)
        }

        /// The recorded operations by position, **decoded from ``records`` on every read**: read it once per run
        /// (making a ``WorkflowRun``, a replay, a tool's look at the state), never per event.
        var history: [Position: HistoryEntry] { records.decoded() }
    }

    /// One position's recorded events: the outcome and, for waits, when the wait began.
    struct HistoryEntry: Sendable {
        var event: Event?
        var waitStarted: Event?
        var lsn: LSN

        /// Adds a record at this position: a wait's start (``EventKind/Declaration/beginsWait``) sets `waitStarted`
        /// (the latest wins); otherwise the first outcome wins and later ones are ignored, and the entry takes the
        /// outcome's LSN.
        mutating func record(_ recorded: Event, lsn: LSN) {
            if recorded.kind.declaration.beginsWait {
                waitStarted = recorded
            } else if event == nil {
                event = recorded
                self.lsn = lsn
            }
        }
    }

    struct Message: Sendable {
        var id: UInt64
        var payload: [UInt8]
    }

    struct Key: Hashable {
        var workflowID: String
        var name: String
    }

    var workflows = WorkflowTable()
    var inboxes: [Key: Deque<Message>] = [:]
    var events: [Key: [UInt8]] = [:]
    /// The keys of ``events`` by workflow, in the order each was first set: what a summary lists without visiting
    /// every workflow's events.
    var eventKeys: [String: [String]] = [:]
    /// Which pages of the log hold which workflows' records: what a history reads.
    var recordIndex = RecordIndex()
    var idempotencyKeys: Set<Key> = []
    /// The queues: their waiting and active workflows, deduplication IDs and latest starts.
    var queues = QueueBook()
    /// The deadlines of workflows started with one, earliest first.
    var deadlines = WorkflowDeadlines()
    var eventCount = 0
    var lastLSN: LSN?
    /// Clean stops (``EventKind/engineStopped``) seen: recovery attempts counted in an earlier epoch are void.
    var stopEpoch: UInt32 = 0
    /// Keep the histories of finished workflows too (the determinism checker replays them; the engine does not).
    var keepsFinishedHistories = false
    /// Workflow names seen lately: a workflow's start reuses the string instead of making one per workflow.
    var names = NameCache()
    /// Schedules and pending debounces (their records' rules are ``ScheduledStarts``').
    var scheduledStarts = ScheduledStarts()
    /// The first position of a send from outside to each ID that has no workflow (yet): its start widens its span.
    private var earlySends: [String: UInt64] = [:]

    /// Applies one event the engine has just appended (`record` is what it wrote, `Event.record()`). Returns the
    /// keys whose waiters may now proceed (a message arrived, an event was set, a workflow finished).
    @discardableResult
    mutating func apply(_ record: LogRecord, lsn: LSN) -> Wakeup? {
        record.payload.withUnsafeBytes { apply(EventEnvelope(written: record, lsn: lsn, bytes: $0)) }
    }

    /// Applies one event, read at start-up or just appended. Returns the keys whose waiters may now proceed (a
    /// message arrived, an event was set, a workflow finished).
    ///
    /// Reads the envelope in place: strings and byte arrays are made only of what the projection keeps, and an
    /// operation's bytes go to its workflow's ``HistoryRecords`` undecoded.
    @discardableResult
    mutating func apply(_ event: EventEnvelope) -> Wakeup? {
        eventCount += 1
        lastLSN = event.lsn
        let (slot, wakeup) = WorkflowLifecycle.reduce(event, into: &self)
        if let slot {
            cover(slot, event)
        } else if let owner = event.peek.owner {
            // Not a known workflow's (yet): a record of a history a compaction summarized, before its summary.
            recordIndex.add(hash: workflows.hash(UnsafeRawBufferPointer(rebasing: event.bytes[owner])), at: event.lsn)
        }
        if event.peek.isSentFromOutside, let target = event.peek.target { coverSend(event, to: target) }
        if scheduledStarts.concerns(event.kind) { scheduledStarts.apply(event) }
        return wakeup
    }

    /// Widens the span of the workflow at `slot` to a record of its own (one access to the workflow, no lookup).
    private mutating func cover(_ slot: Int, _ event: EventEnvelope) {
        let kind = event.kind
        var earlier: LSN?
        if (kind == .workflowStarted || kind == .workflowSummary) && workflows[at: slot].lastLSN == 0 {
            // Just inserted. Restored from a summary: records of its dropped history may remain before it (an active
            // segment is not compacted). Started: sends from outside may have come first.
            if kind == .workflowSummary {
                earlier = .first
            } else if !earlySends.isEmpty, let sent = earlySends.removeValue(forKey: workflows[at: slot].summary.id) {
                earlier = LSN(sent)
            }
        }
        let lsn = event.lsn
        recordIndex.add(hash: workflows.hash(at: slot), at: lsn)
        func covering(_ w: inout Workflow) {
            w.covers(lsn)
            if let earlier { w.covers(earlier) }
        }
        covering(&workflows[at: slot])
    }

    /// Widens the span of the workflow a send from outside is addressed to, or remembers it for that workflow's start.
    private mutating func coverSend(_ event: EventEnvelope, to target: Range<Int>) {
        let (found, hash) = workflows.index(ofID: UnsafeRawBufferPointer(rebasing: event.bytes[target]))
        recordIndex.add(hash: hash, at: event.lsn)
        if let index = found {
            workflows[at: index].covers(event.lsn)
        } else {
            let id = event.string(target)
            earlySends[id] = Swift.min(earlySends[id] ?? .max, event.lsn.rawValue)
        }
    }

    /// Recovery attempts counted against `workflow` since it last made progress or the engine last stopped cleanly.
    func recoveryAttempts(of workflow: Workflow) -> Int {
        workflow.attemptsEpoch == stopEpoch ? Int(workflow.recoveryAttempts) : 0
    }

    /// What an applied event may let proceed.
    enum Wakeup {
        /// A message arrived in this inbox (receiving workflow, topic).
        case message(Key)
        /// This event (workflow, key) was set.
        case event(Key)
        /// This workflow appeared or changed status.
        case workflow(String)
    }
}

/// The last few distinct strings made from envelope bytes, so that the same bytes give the same (shared) string.
struct NameCache {
    private var entries: [String] = []
    private var next = 0

    mutating func string(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> String {
        for entry in entries where EnvelopePeek.equals(range, in: bytes, entry) { return entry }
        let made = EnvelopePeek.string(range, in: bytes)
        if entries.count < 16 {
            entries.append(made)
        } else {
            entries[next] = made
            next = (next + 1) % entries.count
        }
        return made
    }
}
