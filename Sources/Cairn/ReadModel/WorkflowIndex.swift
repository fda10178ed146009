package import CairnLog

/// Every workflow's summary, rebuilt from lifecycle events only, with nothing else kept: `cairn list` on millions
/// of workflows.
///
/// It applies records with the same ``WorkflowLifecycle`` rules as the engine's ``Projection`` (as a
/// ``WorkflowLifecycleStore``), but keeps no inputs, outputs, histories or inboxes — messages only by ID,
/// idempotency keys and event keys only by hash — and decodes payloads only where the summary shows them (a
/// failure's message, a park reason). ``LogProjection`` is the full projection.
package struct WorkflowIndex: Sendable {
    struct Entry: Sendable {
        /// The summary (``WorkflowSummary/historyCount`` stays 0: histories are not kept).
        var summary: WorkflowSummary
        /// What compaction planning needs besides the summary (empty unless ``WorkflowIndex/details``).
        var input: [UInt8] = []
        var output: [UInt8]?
        var parentPosition: Position?
        /// The workflow's own records (``EnvelopePeek/isOwnRecord``): all but its summary, its streams and the
        /// messages it sent to a destination.
        var lastOwnLSN = LSN(0)
        var ownRecords = 0
        var ownBytes = 0
        var summaryLSN: LSN?
        var summaryBytes = 0
        /// The latest value of each of its events, by key (details only).
        var events: [WorkflowSummaryRecord.EventValue] = []

        var id: String { summary.id }
        var name: String { summary.name }
        var status: WorkflowStatus { summary.status }
        var updatedAt: Int64 { summary.updatedAt }
        var parentID: String? { summary.parentID }
    }

    /// Whether inputs, outputs, event values, undelivered messages and where each workflow's records lie are
    /// kept too (for compaction planning).
    let details: Bool
    /// In order of first appearance; found by the hash of the workflow ID (a record's ID is hashed from its
    /// bytes, never made a string).
    var entries: [Entry] = []
    /// The queues, to say why each queued workflow waits (``QueueBook``).
    var queues = QueueBook()
    var positions = IDHashMap()
    /// Messages sent to a workflow and not yet received, by ID (the LSN of the send; details or mailbox).
    var undelivered = Set<UInt64>()
    /// Whether messages and event keys are counted (without details).
    let mailbox: Bool
    /// Hashes of each (workflow, event key) set (mailbox only).
    var eventKeys = IDHashSet()
    /// Hashes of each (destination, idempotency key) sent from outside: a repeat is not delivered.
    var sentKeys = IDHashSet(minimumCapacity: 16)

    /// An index with room for about `workflows` workflows.
    package init(expectedWorkflows workflows: Int = 0, details: Bool = false, mailbox: Bool = false) {
        self.details = details
        self.mailbox = mailbox
        entries.reserveCapacity(workflows)
        positions = IDHashMap(minimumCapacity: workflows)
    }

    /// How many workflows there are.
    package var count: Int { entries.count }

    /// Every queue workflows joined, with how many wait and hold a slot at `now` (ns since 1970).
    package func queueStates(now: Int64) -> [QueueState] { queues.states(now: now, declarations: queues.declarations) }

    /// Why workflow `id` is still enqueued at `now`, in words; nil when it does not wait in a queue.
    package func waitReason(of id: String, now: Int64) -> String? {
        guard let member = queues.member(id) else { return nil }
        return queues.waitReason(of: id, now: now, declaration: queues.declarations[member.queue])
    }
    /// Messages sent to a workflow and not yet received.
    package var undeliveredCount: Int { undelivered.count }
    /// Event values set, by workflow and key (mailbox only).
    package var eventValueCount: Int { eventKeys.count }

    /// The entry of workflow `id`.
    func entry(_ id: String) -> Entry? { positions[IDHash(id)].map { entries[$0] } }

    /// Applies a record; without ``details``, records that cannot change what the index keeps are skipped
    /// undecoded.
    /// - Throws: ``WorkflowError`` `.undecodableEvent` for a record that cannot be decoded.
    package mutating func apply(_ record: LogRecordView) throws {
        guard let kind = EventKind(rawValue: record.tag) else {
            throw WorkflowError(.undecodableEvent, "unknown event kind \(record.tag): written by a newer Cairn?", lsn: record.lsn)
        }
        if !details {
            guard WorkflowLifecycle.changesSummary(kind) || kind == .queueDeclared
                || (mailbox && WorkflowLifecycle.changesMailbox(kind))
            else { return }
        }
        let peek: EnvelopePeek
        do { peek = try EnvelopePeek(tag: record.tag, bytes: record.bytes) } catch {
            throw WorkflowError(.undecodableEvent, error.description, lsn: record.lsn)
        }
        apply(EventEnvelope(lsn: record.lsn, bytes: record.bytes, checked: peek))
    }

    /// Applies a record already checked.
    mutating func apply(_ event: EventEnvelope) {
        let slot = WorkflowLifecycle.reduce(event, into: &self).slot
        if details, let i = slot, event.peek.isOwnRecord {
            entries[i].lastOwnLSN = event.lsn
            entries[i].ownRecords += 1
            entries[i].ownBytes += event.bytes.count
        }
    }

    /// Calls `body` with every workflow's summary (``WorkflowSummary/historyCount`` is 0: histories are not
    /// read), in no particular order.
    package func forEach(_ body: (WorkflowSummary) throws -> Void) rethrows {
        for e in entries { try body(e.summary) }
    }

    /// The workflows that pass `filter`, newest start first (ties by ID, descending), at most `limit` of them
    /// (nil: all), and how many passed. Summaries are built only for the ones returned.
    package func newest(
        limit: Int?, where filter: (_ name: String, _ status: WorkflowStatus, _ startedAt: Int64) -> Bool
    ) -> (summaries: [WorkflowSummary], matched: Int) {
        typealias Item = (startedAt: Int64, index: Int)
        var items: [Item] = []
        for i in entries.indices where filter(entries[i].summary.name, entries[i].summary.status, entries[i].summary.startedAt) {
            items.append((entries[i].summary.startedAt, i))
        }
        let values = entries
        let newer: (Item, Item) -> Bool = { a, b in
            a.startedAt != b.startedAt ? a.startedAt > b.startedAt : values[a.index].summary.id > values[b.index].summary.id
        }
        let chosen: [Item]
        if let limit, limit < items.count / 4 {
            chosen = Self.top(items, k: limit, by: newer)
        } else {
            items.sort(by: newer)
            chosen = limit.map { Array(items.prefix($0)) } ?? items
        }
        let summaries = chosen.map { entries[$0.index].summary }
        return (summaries, items.count)
    }

    /// The `k` first elements of `items` in `areInOrder` order, with a heap instead of a full sort.
    static func top<T>(_ items: [T], k: Int, by areInOrder: (T, T) -> Bool) -> [T] {
        guard k > 0 else { return [] }
        var heap: [T] = []  // the root is the last in order of the k kept
        heap.reserveCapacity(k)
        for item in items {
            if heap.count < k {
                heap.append(item)
                var c = heap.count - 1
                while c > 0, areInOrder(heap[(c - 1) / 2], heap[c]) {
                    heap.swapAt(c, (c - 1) / 2)
                    c = (c - 1) / 2
                }
            } else if areInOrder(item, heap[0]) {
                heap[0] = item
                var p = 0
                while true {
                    let l = 2 * p + 1
                    let r = l + 1
                    var worst = p
                    if l < heap.count && areInOrder(heap[worst], heap[l]) { worst = l }
                    if r < heap.count && areInOrder(heap[worst], heap[r]) { worst = r }
                    if worst == p { break }
                    heap.swapAt(p, worst)
                    p = worst
                }
            }
        }
        return heap.sorted(by: areInOrder)
    }
}
