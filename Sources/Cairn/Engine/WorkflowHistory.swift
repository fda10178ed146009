public import CairnLog

/// A workflow's recorded events, in log order, read from the store as they are iterated: an `AsyncSequence` of
/// ``HistoryEvent``s (``WorkflowEngine/history(of:after:)``).
///
/// The sequence is a snapshot: it holds the events recorded when it was made, not later ones (to follow a workflow
/// live, use ``WorkflowHandle/updates()`` or ``WorkflowEngine/changes(name:id:)``, and a history ``after`` the last
/// event read to catch up). It reads ``chunkSize`` events at a time, so a long history never sits in memory whole,
/// and reads only the stretches of the log its workflow's `RecordIndex` pages point to.
///
/// ```swift
/// for try await event in try engine.history(of: "order-17") {
///     print(event.lsn, event.kind, event.name)
/// }
/// let all = try await engine.history(of: "order-17").collect()
/// let newer = try await engine.history(of: "order-17", after: lastSeen).collect()
/// ```
public struct WorkflowHistory: AsyncSequence, Sendable {
    public typealias Element = HistoryEvent

    /// How many events an iterator reads from the store at a time.
    public static let chunkSize = 256

    let engine: WorkflowEngine
    /// The workflow.
    public let id: String
    /// What the workflow's index says to read, in order.
    let ranges: [ClosedRange<LSN>]

    public func makeAsyncIterator() -> Iterator {
        Iterator(history: self, remaining: ranges[...])
    }

    /// Every event of the sequence, in an array.
    public func collect() async throws -> [HistoryEvent] {
        var events: [HistoryEvent] = []
        for try await event in self { events.append(event) }
        return events
    }

    /// Reads the history a chunk at a time.
    public struct Iterator: AsyncIteratorProtocol {
        let history: WorkflowHistory
        var remaining: ArraySlice<ClosedRange<LSN>>
        var buffer: [HistoryEvent] = []
        var next = 0

        init(history: WorkflowHistory, remaining: ArraySlice<ClosedRange<LSN>>) {
            self.history = history
            self.remaining = remaining
        }

        /// The next event; nil after the last.
        /// - Throws: ``WorkflowError`` `.undecodableEvent` for a damaged record; the store's error when it cannot be read.
        public mutating func next() async throws -> HistoryEvent? {
            while next == buffer.count {
                guard !remaining.isEmpty else { return nil }
                let chunk = try await history.engine.historyChunk(of: history.id, in: Array(remaining), limit: WorkflowHistory.chunkSize)
                buffer = try chunk.records.map(HistoryEvent.init)
                next = 0
                remaining = chunk.rest
            }
            defer { next += 1 }
            return buffer[next]
        }
    }
}

extension WorkflowEngine {
    /// The records concerning workflow `id` in `ranges`, up to `limit` of them, and the ranges left to read.
    func historyChunk(
        of id: String, in ranges: [ClosedRange<LSN>], limit: Int
    ) async throws -> (records: [HistoryRecord], rest: ArraySlice<ClosedRange<LSN>>) {
        guard let store else { return ([], []) }
        let utf8 = Array(id.utf8)
        let records = try await store.records(of: id, in: ranges, into: [HistoryRecord]()) { records, record in
            let envelope = try EventEnvelope(lsn: record.lsn, tag: record.tag, bytes: record.bytes)
            if envelope.peek.concerns(utf8, in: envelope.bytes) {
                records.append(HistoryRecord(lsn: record.lsn, event: envelope.decoded()))
            }
            return records.count < limit
        }
        guard records.count >= limit, let last = records.last?.lsn else { return (records, []) }
        // Full: go on after the last record read, in its range.
        var rest = ranges[...].drop { $0.upperBound <= last }
        if let first = rest.first, first.lowerBound <= last {
            rest[rest.startIndex] = last.next...first.upperBound
        }
        return (records, rest)
    }
}
