package import CairnLog
import DequeModule

/// The engine's projection, rebuilt from a log by a process that does not run the engine: `cairn show` and the
/// tests read workflows through it (`cairn list` and `cairn inspect` use the lighter ``WorkflowIndex``).
///
/// It applies events with the engine's own ``Projection/apply(_:)``, so the tool can never disagree with the
/// engine about a workflow's state.
package struct LogProjection: Sendable {
    var projection = Projection()

    package init() {}

    /// Applies one event read from the log.
    package mutating func apply(_ event: Event, lsn: LSN) {
        projection.apply(event.record(), lsn: lsn)
    }

    /// Decodes and applies a record.
    package mutating func apply(_ record: LogRecordView) throws {
        projection.apply(try EventEnvelope(lsn: record.lsn, tag: record.tag, bytes: record.bytes))
    }

    /// Forgets workflows, as the engine does for those a compaction dropped.
    package mutating func forget(_ ids: Set<String>) {
        projection.forget(ids)
    }

    /// How many workflows there are.
    package var workflowCount: Int { projection.workflows.count }

    /// Calls `body` with every workflow's summary, in no particular order.
    package func forEachSummary(_ body: (WorkflowSummary) throws -> Void) rethrows {
        for w in projection.workflows.values { try body(w.summary) }
    }

    /// A workflow's summary.
    package func summary(of id: String) -> WorkflowSummary? { projection.querySummary(of: id) }
    /// A completed workflow's output bytes.
    package func output(of id: String) -> [UInt8]? { projection.workflows[id]?.output }
    /// A workflow's input bytes.
    package func input(of id: String) -> [UInt8]? { projection.workflows[id]?.input }

    /// Messages waiting in inboxes.
    package var undeliveredMessages: Int { projection.inboxes.values.reduce(0) { $0 + $1.count } }
    /// Event values set (by workflow and key).
    package var eventValues: Int { projection.events.count }

    /// Everything the projection holds about one workflow, comparable: what must survive a compaction unchanged
    /// for every retained workflow.
    package struct WorkflowState: Hashable, Sendable, CustomStringConvertible {
        package var summary: WorkflowSummary
        package var input: [UInt8]
        package var output: [UInt8]?
        package var parentPosition: Position?
        /// Position, the outcome event, the wait-started event and the LSN of each recorded operation.
        package var history: [HistoryItem]
        /// Undelivered messages to the workflow: topic, message ID, payload.
        package var inbox: [Message]
        /// The workflow's event values by key.
        package var events: [String: [UInt8]]
        /// Idempotency keys of messages sent to it.
        package var idempotencyKeys: Set<String>

        package struct HistoryItem: Hashable, Sendable {
            package var position: Position
            package var event: Event?
            package var waitStarted: Event?
            package var lsn: LSN
        }

        package struct Message: Hashable, Sendable {
            package var topic: String
            package var id: UInt64
            package var payload: [UInt8]
        }

        package var description: String {
            "\(summary.id) \(summary.status) history \(history.count) inbox \(inbox.count) events \(events.count)"
        }
    }

    /// The state of workflow `id`, or nil when there is none.
    package func state(of id: String) -> WorkflowState? {
        guard let w = projection.workflows[id] else { return nil }
        let history = w.history.map {
            WorkflowState.HistoryItem(position: $0.key, event: $0.value.event, waitStarted: $0.value.waitStarted, lsn: $0.value.lsn)
        }.sorted { $0.position < $1.position }
        var inbox: [WorkflowState.Message] = []
        for (key, messages) in projection.inboxes where key.workflowID == id {
            for m in messages { inbox.append(.init(topic: key.name, id: m.id, payload: m.payload)) }
        }
        inbox.sort { $0.id < $1.id }
        var events: [String: [UInt8]] = [:]
        for (key, value) in projection.events where key.workflowID == id { events[key.name] = value }
        let keys = Set(projection.idempotencyKeys.filter { $0.workflowID == id }.map(\.name))
        return WorkflowState(
            summary: w.summary, input: w.input, output: w.output, parentPosition: w.parentPosition, history: history,
            inbox: inbox, events: events, idempotencyKeys: keys)
    }

    /// Every workflow ID.
    package var workflowIDs: [String] { Array(projection.workflows.keys) }
}
