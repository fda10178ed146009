import CairnLog

/// The compact record compaction leaves for a retained finished workflow in place of its history
/// (``EventKind/workflowSummary``): enough to rebuild the workflow's summary, result or error, input and the
/// latest values of its events, so that results, status queries and idempotent starts keep working.
///
/// As an ``Event``: `name` is the workflow's name, `time` its finish time, `number` its start time (the bit pattern
/// of the nanoseconds since 1970), `target` its parent, `parentPosition` the parent's position that started it,
/// `errorType` set only for a failed workflow, and flag ``Event/Flags/encodedError`` when its error carries a value.
/// The payload is
///
/// ```
/// varint  result length, result bytes    the output (completed) or the error as a failure event records it
///                                        (failed: its message, framed with the value under the flag)
/// varint  input length, input bytes      the workflow's input, as recorded at its start
/// varint  event count, then per event: varint key length, key (UTF-8), varint value length, value bytes
/// ```
/// Applying one to a projection that already knows the workflow does nothing: compaction appends the summary
/// before it drops the history, so a crash in between leaves a log that rebuilds to the same state.
package struct WorkflowSummaryRecord: Sendable, Hashable {
    package var workflowID: String
    package var name: String
    /// ``WorkflowStatus/completed`` or ``WorkflowStatus/failed``.
    package var status: WorkflowStatus
    package var startedAt: Int64
    package var finishedAt: Int64
    package var parentID: String?
    package var parentPosition: Position?
    package var failure: WorkflowFailure?
    /// The output of a completed workflow (empty for a failed one).
    package var output: [UInt8]
    package var input: [UInt8]
    /// The workflow's events (``WorkflowContext/setEvent(_:_:file:line:)``): key and latest value, by key.
    package var events: [EventValue]

    package struct EventValue: Sendable, Hashable {
        package var key: String
        package var value: [UInt8]

        /// An event's key and latest value.
        package init(key: String, value: [UInt8]) {
            self.key = key
            self.value = value
        }
    }

    /// A summary with these fields (`failure` for a failed workflow, `output` for a completed one).
    package init(
        workflowID: String, name: String, status: WorkflowStatus, startedAt: Int64, finishedAt: Int64,
        parentID: String?, parentPosition: Position?, failure: WorkflowFailure?, output: [UInt8], input: [UInt8],
        events: [EventValue]
    ) {
        self.workflowID = workflowID
        self.name = name
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.parentID = parentID
        self.parentPosition = parentPosition
        self.failure = failure
        self.output = output
        self.input = input
        self.events = events
    }

    /// The summary of a finished workflow, from the index compaction plans with (details included): a failed
    /// workflow's error, a completed one's output, and its events' latest values in key order.
    init(_ entry: WorkflowIndex.Entry) {
        let summary = entry.summary
        workflowID = summary.id
        name = summary.name
        status = summary.status
        startedAt = summary.startedAt
        finishedAt = summary.updatedAt
        parentID = summary.parentID
        parentPosition = entry.parentPosition
        failure = summary.status == .failed ? (summary.failure ?? WorkflowFailure(errorType: "Error", message: "")) : nil
        output = summary.status == .completed ? (entry.output ?? []) : []
        input = entry.input
        events = entry.events.sorted { $0.key < $1.key }
    }

    /// Decodes a ``EventKind/workflowSummary`` event; nil when it is not one or its payload is malformed.
    package init?(_ event: Event) {
        guard event.kind == .workflowSummary, let number = event.number else { return nil }
        var r = PayloadReader(bytes: event.payload)
        guard let result = r.field(), let input = r.field(), let count = r.varint(), count <= UInt64(event.payload.count)
        else { return nil }
        var events: [EventValue] = []
        for _ in 0..<count {
            guard let key = r.field(), let value = r.field() else { return nil }
            events.append(EventValue(key: String(decoding: key, as: UTF8.self), value: value))
        }
        guard r.atEnd else { return nil }
        workflowID = event.workflowID
        name = event.name
        startedAt = Int64(bitPattern: number)
        finishedAt = event.time
        parentID = event.target
        parentPosition = event.parentPosition
        if let errorType = event.errorType {
            status = .failed
            failure = WorkflowFailure(errorType: errorType, recordedPayload: result, flags: event.flags)
            output = []
        } else {
            status = .completed
            failure = nil
            output = result
        }
        self.input = input
        self.events = events
    }

    /// The event to append.
    package var event: Event {
        var w = EnvelopeWriter(capacity: 16 + output.count + (failure?.value?.count ?? 0) + input.count + events.reduce(0) { $0 + $1.key.utf8.count + $1.value.count + 8 })
        let result = failure.map(\.recordedPayload) ?? output
        w.varint(UInt64(result.count))
        w.bytes.append(contentsOf: result)
        w.varint(UInt64(input.count))
        w.bytes.append(contentsOf: input)
        w.varint(UInt64(events.count))
        for e in events {
            w.string(e.key)
            w.varint(UInt64(e.value.count))
            w.bytes.append(contentsOf: e.value)
        }
        return Event(
            kind: .workflowSummary, workflowID: workflowID, name: name, time: finishedAt,
            target: parentID, number: UInt64(bitPattern: startedAt), errorType: failure?.errorType,
            parentPosition: parentPosition, flags: failure?.recordedFlags ?? [], payload: w.bytes)
    }

    /// The result bytes shown for the workflow: its output, or its error's message.
    package var result: [UInt8] { failure.map { Array($0.message.utf8) } ?? output }
}

extension Projection {
    /// Forgets workflows a compaction dropped: their state, their events' values, their inboxes and the
    /// idempotency keys of messages sent to them.
    mutating func forget(_ ids: Set<String>) {
        guard !ids.isEmpty else { return }
        for id in ids { workflows[id] = nil }
        events = events.filter { !ids.contains($0.key.workflowID) }
        inboxes = inboxes.filter { !ids.contains($0.key.workflowID) }
        idempotencyKeys = idempotencyKeys.filter { !ids.contains($0.workflowID) }
    }
}

/// Reads the length-prefixed fields of a summary payload.
struct PayloadReader {
    let bytes: [UInt8]
    var offset = 0

    var atEnd: Bool { offset == bytes.count }

    mutating func varint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count {
            let b = bytes[offset]
            offset += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift >= 64 { return nil }
        }
        return nil
    }

    mutating func field() -> [UInt8]? {
        guard let n = varint(), n <= UInt64(bytes.count - offset) else { return nil }
        defer { offset += Int(n) }
        return Array(bytes[offset..<offset + Int(n)])
    }
}
