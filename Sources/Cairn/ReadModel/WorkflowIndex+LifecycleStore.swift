import CairnLog

/// How the index carries out ``WorkflowLifecycle``'s decisions: entries found by the 128-bit hash of their ID's
/// bytes, messages kept as IDs, idempotency and event keys as hashes; inputs, outputs and event values only with
/// ``WorkflowIndex/details``.
extension WorkflowIndex: QueueKeepingStore {
    func workflowID(at slot: Int) -> String { entries[slot].summary.id }

    typealias Wakeup = Never

    @inline(__always)
    func find(_ id: Range<Int>, in event: EventEnvelope) -> (slot: Int?, hint: IDHash) {
        let key = EnvelopePeek.hash(id, in: event.bytes)
        return (positions[key], key)
    }

    mutating func insert(started event: EventEnvelope, hint: IDHash) -> Int {
        let peek = event.peek
        var entry = Entry(summary: WorkflowSummary(started: event, id: event.workflowID, name: event.name))
        if details {
            entry.input = event.payload
            entry.parentPosition = peek.parentPosition.flatMap(event.position)
        }
        return append(entry, key: hint)
    }

    mutating func insert(restored record: WorkflowSummaryRecord, hint: IDHash, _ event: EventEnvelope) -> Int {
        append(
            Entry(
                summary: WorkflowSummary(restoring: record), input: details ? record.input : [],
                output: details && record.status == .completed ? record.output : nil,
                parentPosition: record.parentPosition, events: details ? record.events : []),
            key: hint)
    }

    private mutating func append(_ entry: Entry, key: IDHash) -> Int {
        positions.insert(key, index: entries.count)
        entries.append(entry)
        return entries.count - 1
    }

    subscript(summaryAt slot: Int) -> WorkflowSummary {
        _read { yield entries[slot].summary }
        _modify { yield &entries[slot].summary }
    }

    mutating func summarized(_ slot: Int, _ event: EventEnvelope) {
        guard details else { return }
        entries[slot].summaryLSN = event.lsn
        entries[slot].summaryBytes = event.bytes.count
    }

    mutating func finished(_ slot: Int, _ event: EventEnvelope) {
        if details && event.kind == .workflowCompleted { entries[slot].output = event.payload }
    }

    mutating func claim(idempotencyKey key: Range<Int>, destination: Range<Int>, _ event: EventEnvelope) -> Bool {
        var h = EnvelopePeek.hash(key, in: event.bytes)
        let d = EnvelopePeek.hash(destination, in: event.bytes)
        h.mix(d.a)
        h.mix(d.b)
        return sentKeys.insert(h)
    }

    mutating func deliver(_ event: EventEnvelope, to destination: Range<Int>) -> Never? {
        undelivered.insert(event.lsn.rawValue)
        return nil
    }

    mutating func consume(messageID: UInt64, _ event: EventEnvelope) {
        // Message IDs (the sends' LSNs) are unique in the log: the ID alone names the message.
        undelivered.remove(messageID)
    }

    mutating func setEvent(_ slot: Int?, _ event: EventEnvelope) -> Never? {
        let peek = event.peek
        if mailbox {
            let owner = EnvelopePeek.hash(peek.workflowID, in: event.bytes)
            var h = EnvelopePeek.hash(peek.name, in: event.bytes)
            h.mix(owner.a)
            h.mix(owner.b)
            eventKeys.insert(h)
        }
        if details, let slot {
            let value = WorkflowSummaryRecord.EventValue(key: event.name, value: event.payload)
            if let j = entries[slot].events.firstIndex(where: { $0.key == value.key }) {
                entries[slot].events[j] = value
            } else {
                entries[slot].events.append(value)
            }
        }
        return nil
    }
}
