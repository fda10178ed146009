package import CairnLog

/// Every workflow's summary, rebuilt from lifecycle events only, with nothing else kept: `cairn list` on millions
/// of workflows.
///
/// It follows ``Projection/apply(_:lsn:)``'s rules for the summary exactly (a test compares the two on recorded
/// logs), but keeps no inputs, outputs, histories or inboxes, and decodes payloads only where the summary shows
/// them (a failure's message, a park reason). ``LogProjection`` is the full projection.
package struct WorkflowIndex: Sendable {
    struct Entry: Sendable {
        var name: String
        var status: WorkflowStatus
        var startedAt: Int64
        var updatedAt: Int64
        var parentID: String?
        var failure: WorkflowFailure?
        var parkReason: String?
        /// What compaction planning needs besides the summary (empty unless ``WorkflowIndex/details``).
        var input: [UInt8] = []
        var output: [UInt8]?
        var parentPosition: Position?
        /// The workflow's own records: all but its summary and the messages it sent to a destination.
        var lastOwnLSN = LSN(0)
        var ownRecords = 0
        var ownBytes = 0
        var summaryLSN: LSN?
        var summaryBytes = 0
    }

    struct EventKey: Hashable, Sendable {
        var workflowID: String
        var key: String
    }

    /// Whether inputs, outputs, event values, undelivered messages and where each workflow's records lie are
    /// kept too (for compaction planning).
    let details: Bool
    var entries: [String: Entry] = [:]
    /// The latest value of each event (details only).
    var events: [EventKey: [UInt8]] = [:]
    /// Messages sent to a workflow and not yet received, by ID (the LSN of the send; details only).
    var undelivered = Set<UInt64>()

    /// An index with room for about `workflows` workflows.
    package init(expectedWorkflows workflows: Int = 0, details: Bool = false) {
        self.details = details
        entries.reserveCapacity(workflows)
    }

    /// How many workflows there are.
    package var count: Int { entries.count }

    /// Applies a record; without ``details``, records that cannot change a summary are skipped undecoded.
    /// - Throws: ``WorkflowError`` `.undecodableEvent` for a record that cannot be decoded.
    package mutating func apply(_ record: LogRecordView) throws {
        guard let kind = EventKind(rawValue: record.tag) else {
            throw WorkflowError(.undecodableEvent, "unknown event kind \(record.tag): written by a newer Cairn?", lsn: record.lsn)
        }
        if !details {
            switch kind {
            case .workflowStarted, .workflowCompleted, .workflowFailed, .workflowCancelled, .workflowResumed,
                .workflowParked, .workflowSummary:
                break
            default:
                return
            }
        }
        let peek: EnvelopePeek
        do { peek = try EnvelopePeek(tag: record.tag, bytes: record.bytes) } catch {
            throw WorkflowError(.undecodableEvent, error.description, lsn: record.lsn)
        }
        try apply(record, peek)
    }

    /// Applies a record already peeked at.
    mutating func apply(_ record: LogRecordView, _ peek: EnvelopePeek) throws {
        let bytes = record.bytes
        let kind = peek.kind
        func text(_ range: Range<Int>) -> String { EnvelopePeek.string(range, in: bytes) }
        let id = text(peek.workflowID)
        let time = peek.time
        switch kind {
        case .workflowStarted:
            if entries[id] == nil {
                var entry = Entry(
                    name: text(peek.name), status: .pending, startedAt: time, updatedAt: time, parentID: peek.target.map(text))
                if details {
                    let event = try Event(record: record)
                    entry.input = event.payload
                    entry.parentPosition = event.parentPosition
                }
                entries[id] = entry
            }
        case .workflowSummary:
            let event = try Event(record: record)
            if entries[id] == nil, let s = WorkflowSummaryRecord(event) {
                entries[id] = Entry(
                    name: s.name, status: s.status, startedAt: s.startedAt, updatedAt: s.finishedAt, parentID: s.parentID,
                    failure: s.failure, input: details ? s.input : [], output: details && s.status == .completed ? s.output : nil,
                    parentPosition: s.parentPosition)
                if details { for e in s.events { events[EventKey(workflowID: id, key: e.key)] = e.value } }
            }
            if details, let i = entries.index(forKey: id) {
                entries.values[i].summaryLSN = record.lsn
                entries.values[i].summaryBytes = bytes.count
            }
            return
        case .engineStopped:
            return
        case .messageSent where peek.target != nil:
            undelivered.insert(record.lsn.rawValue)
            return
        case .messageReceived:
            if peek.flags & Event.Flags.timedOut == 0, let number = peek.number { undelivered.remove(number) }
        case .eventSet:
            if details {
                events[EventKey(workflowID: id, key: text(peek.name))] = Array(UnsafeRawBufferPointer(rebasing: bytes[peek.payload]))
            }
        default:
            break
        }
        // One lookup, then changes in place.
        guard let i = entries.index(forKey: id) else { return }
        if details {
            entries.values[i].lastOwnLSN = record.lsn
            entries.values[i].ownRecords += 1
            entries.values[i].ownBytes += bytes.count
        }
        switch kind {
        case .workflowCompleted:
            entries.values[i].status = .completed
            entries.values[i].updatedAt = time
            if details { entries.values[i].output = Array(UnsafeRawBufferPointer(rebasing: bytes[peek.payload])) }
        case .workflowFailed:
            entries.values[i].status = .failed
            entries.values[i].updatedAt = time
            entries.values[i].failure = WorkflowFailure(errorType: peek.errorType.map(text) ?? "Error", message: text(peek.payload))
        case .workflowCancelled:
            setStatus(i, .cancelled, time: time)
        case .workflowResumed:
            setStatus(i, .pending, time: time)
            entries.values[i].parkReason = nil
        case .workflowParked:
            setStatus(i, peek.flags & Event.Flags.diverged != 0 ? .diverged : .parked, time: time)
            entries.values[i].parkReason = text(peek.payload)
        default:
            return
        }
    }

    private mutating func setStatus(_ i: Dictionary<String, Entry>.Index, _ status: WorkflowStatus, time: Int64) {
        guard !entries.values[i].status.isFinished else { return }
        entries.values[i].status = status
        entries.values[i].updatedAt = time
    }

    /// Calls `body` with every workflow's summary (``WorkflowSummary/historyCount`` is 0: histories are not
    /// read), in no particular order.
    package func forEach(_ body: (WorkflowSummary) throws -> Void) rethrows {
        for (id, e) in entries {
            try body(WorkflowSummary(
                id: id, name: e.name, status: e.status, startedAt: e.startedAt, updatedAt: e.updatedAt,
                parentID: e.parentID, failure: e.failure, parkReason: e.parkReason, historyCount: 0))
        }
    }

    /// The workflows that pass `filter`, newest start first (ties by ID, descending), at most `limit` of them
    /// (nil: all), and how many passed. Summaries are built only for the ones returned.
    package func newest(
        limit: Int?, where filter: (_ name: String, _ status: WorkflowStatus, _ startedAt: Int64) -> Bool
    ) -> (summaries: [WorkflowSummary], matched: Int) {
        typealias Item = (startedAt: Int64, index: Dictionary<String, Entry>.Index)
        var items: [Item] = []
        var i = entries.startIndex
        while i != entries.endIndex {
            let e = entries.values[i]
            if filter(e.name, e.status, e.startedAt) { items.append((e.startedAt, i)) }
            i = entries.index(after: i)
        }
        let keys = entries.keys
        let newer: (Item, Item) -> Bool = { a, b in
            a.startedAt != b.startedAt ? a.startedAt > b.startedAt : keys[a.index] > keys[b.index]
        }
        let chosen: [Item]
        if let limit, limit < items.count / 4 {
            chosen = Self.top(items, k: limit, by: newer)
        } else {
            items.sort(by: newer)
            chosen = limit.map { Array(items.prefix($0)) } ?? items
        }
        let summaries = chosen.map { item -> WorkflowSummary in
            let e = entries.values[item.index]
            return WorkflowSummary(
                id: keys[item.index], name: e.name, status: e.status, startedAt: e.startedAt, updatedAt: e.updatedAt,
                parentID: e.parentID, failure: e.failure, parkReason: e.parkReason, historyCount: 0)
        }
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
