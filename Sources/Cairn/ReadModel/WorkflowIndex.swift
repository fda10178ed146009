package import CairnLog

/// Every workflow's summary, rebuilt from lifecycle events only, with nothing else kept: `cairn list` on millions
/// of workflows.
///
/// It follows ``Projection/apply(_:)``'s rules for the summary exactly (a test compares the two on recorded
/// logs), but keeps no inputs, outputs, histories or inboxes, and decodes payloads only where the summary shows
/// them (a failure's message, a park reason). ``LogProjection`` is the full projection.
package struct WorkflowIndex: Sendable {
    struct Entry: Sendable {
        var id: String
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
        /// The latest value of each of its events, by key (details only).
        var events: [WorkflowSummaryRecord.EventValue] = []
    }

    /// Whether inputs, outputs, event values, undelivered messages and where each workflow's records lie are
    /// kept too (for compaction planning).
    let details: Bool
    /// In order of first appearance; found by the hash of the workflow ID (a record's ID is hashed from its
    /// bytes, never made a string).
    var entries: [Entry] = []
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
    /// Messages sent to a workflow and not yet received.
    package var undeliveredCount: Int { undelivered.count }
    /// Event values set, by workflow and key (mailbox only).
    package var eventValueCount: Int { eventKeys.count }

    /// The entry of workflow `id`.
    func entry(_ id: String) -> Entry? { positions[IDHash(id)].map { entries[$0] } }

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
            case .messageSent, .messageReceived, .eventSet:
                guard mailbox else { return }
            default:
                return
            }
        }
        let peek: EnvelopePeek
        do { peek = try EnvelopePeek(tag: record.tag, bytes: record.bytes) } catch {
            throw WorkflowError(.undecodableEvent, error.description, lsn: record.lsn)
        }
        try apply(lsn: record.lsn, tag: record.tag, bytes: record.bytes, peek)
    }

    /// Applies a record already peeked at.
    mutating func apply(lsn: LSN, tag: UInt8, bytes: UnsafeRawBufferPointer, _ peek: EnvelopePeek) throws {
        let kind = peek.kind
        func text(_ range: Range<Int>) -> String { EnvelopePeek.string(range, in: bytes) }
        let key = EnvelopePeek.hash(peek.workflowID, in: bytes)
        let time = peek.time
        switch kind {
        case .workflowStarted:
            if positions[key] == nil {
                var entry = Entry(
                    id: text(peek.workflowID), name: text(peek.name), status: .pending, startedAt: time, updatedAt: time, parentID: peek.target.map(text))
                if details {
                    let event = try Event(lsn: lsn, tag: tag, bytes: bytes)
                    entry.input = event.payload
                    entry.parentPosition = event.parentPosition
                }
                positions.insert(key, index: entries.count)
                entries.append(entry)
            }
        case .workflowSummary:
            let event = try Event(lsn: lsn, tag: tag, bytes: bytes)
            if positions[key] == nil, let s = WorkflowSummaryRecord(event) {
                positions.insert(key, index: entries.count)
                entries.append(Entry(
                    id: s.workflowID, name: s.name, status: s.status, startedAt: s.startedAt, updatedAt: s.finishedAt, parentID: s.parentID,
                    failure: s.failure, input: details ? s.input : [], output: details && s.status == .completed ? s.output : nil,
                    parentPosition: s.parentPosition, events: details ? s.events : []))
            }
            if details, let i = positions[key] {
                entries[i].summaryLSN = lsn
                entries[i].summaryBytes = bytes.count
            }
            return
        case .engineStopped:
            return
        case .messageSent where peek.target != nil:
            // As the projection: a send copied into a forked history was delivered to the original already, and a
            // repeated idempotency key is ignored; neither ever reaches an inbox.
            guard !peek.flags.contains(.copied) else { return }
            if let idempotencyKey = peek.idempotencyKey, let target = peek.target {
                var h = EnvelopePeek.hash(idempotencyKey, in: bytes)
                let destination = EnvelopePeek.hash(target, in: bytes)
                h.mix(destination.a)
                h.mix(destination.b)
                guard sentKeys.insert(h) else { return }
            }
            undelivered.insert(lsn.rawValue)
            return
        case .messageReceived:
            if !peek.flags.contains(.timedOut), let number = peek.number { undelivered.remove(number) }
        case .eventSet:
            if mailbox {
                var h = EnvelopePeek.hash(peek.name, in: bytes)
                h.mix(key.a)
                h.mix(key.b)
                eventKeys.insert(h)
            }
            if details, let i = positions[key] {
                let value = WorkflowSummaryRecord.EventValue(
                    key: text(peek.name), value: Array(UnsafeRawBufferPointer(rebasing: bytes[peek.payload])))
                if let j = entries[i].events.firstIndex(where: { $0.key == value.key }) {
                    entries[i].events[j] = value
                } else {
                    entries[i].events.append(value)
                }
            }
        default:
            break
        }
        // One lookup, then changes in place.
        guard let i = positions[key] else { return }
        if details {
            entries[i].lastOwnLSN = lsn
            entries[i].ownRecords += 1
            entries[i].ownBytes += bytes.count
        }
        switch kind {
        case .workflowCompleted:
            entries[i].status = .completed
            entries[i].updatedAt = time
            if details { entries[i].output = Array(UnsafeRawBufferPointer(rebasing: bytes[peek.payload])) }
        case .workflowFailed:
            entries[i].status = .failed
            entries[i].updatedAt = time
            entries[i].failure = WorkflowFailure(errorType: peek.errorType.map(text) ?? "Error", message: text(peek.payload))
        case .workflowCancelled:
            setStatus(i, .cancelled, time: time)
        case .workflowResumed:
            setStatus(i, .pending, time: time)
            entries[i].parkReason = nil
        case .workflowParked:
            setStatus(i, peek.flags.contains(.diverged) ? .diverged : .parked, time: time)
            entries[i].parkReason = text(peek.payload)
        default:
            return
        }
    }

    private mutating func setStatus(_ i: Int, _ status: WorkflowStatus, time: Int64) {
        guard !entries[i].status.isFinished else { return }
        entries[i].status = status
        entries[i].updatedAt = time
    }

    /// Calls `body` with every workflow's summary (``WorkflowSummary/historyCount`` is 0: histories are not
    /// read), in no particular order.
    package func forEach(_ body: (WorkflowSummary) throws -> Void) rethrows {
        for e in entries {
            try body(WorkflowSummary(
                id: e.id, name: e.name, status: e.status, startedAt: e.startedAt, updatedAt: e.updatedAt,
                parentID: e.parentID, failure: e.failure, parkReason: e.parkReason, historyCount: 0))
        }
    }

    /// The workflows that pass `filter`, newest start first (ties by ID, descending), at most `limit` of them
    /// (nil: all), and how many passed. Summaries are built only for the ones returned.
    package func newest(
        limit: Int?, where filter: (_ name: String, _ status: WorkflowStatus, _ startedAt: Int64) -> Bool
    ) -> (summaries: [WorkflowSummary], matched: Int) {
        typealias Item = (startedAt: Int64, index: Int)
        var items: [Item] = []
        for i in entries.indices where filter(entries[i].name, entries[i].status, entries[i].startedAt) {
            items.append((entries[i].startedAt, i))
        }
        let values = entries
        let newer: (Item, Item) -> Bool = { a, b in
            a.startedAt != b.startedAt ? a.startedAt > b.startedAt : values[a.index].id > values[b.index].id
        }
        let chosen: [Item]
        if let limit, limit < items.count / 4 {
            chosen = Self.top(items, k: limit, by: newer)
        } else {
            items.sort(by: newer)
            chosen = limit.map { Array(items.prefix($0)) } ?? items
        }
        let summaries = chosen.map { item -> WorkflowSummary in
            let e = entries[item.index]
            return WorkflowSummary(
                id: e.id, name: e.name, status: e.status, startedAt: e.startedAt, updatedAt: e.updatedAt,
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
