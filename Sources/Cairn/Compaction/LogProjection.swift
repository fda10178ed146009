package import CairnLog
import DequeModule

/// The engine's projection, rebuilt from a log by a process that does not run the engine: `cairn list`,
/// `cairn inspect` and the compaction tests read workflows through it.
///
/// It applies events with the engine's own ``Projection/apply(_:lsn:)``, so the tool can never disagree with
/// the engine about a workflow's state. Status comes from lifecycle events only: a tool that needs no histories
/// decodes only those (``isLifecycle(tag:)``), which keeps `cairn list` fast on millions of events.
package struct LogProjection: Sendable {
    var projection = Projection()

    package init() {}

    /// A projection with room for about `workflows` workflows (growing a dictionary of millions of workflows
    /// costs more than filling it).
    package init(expectedWorkflows workflows: Int) {
        projection.workflows.reserveCapacity(workflows)
    }

    /// Whether events of this tag can change a workflow's status or summary.
    package static func isLifecycle(tag: UInt8) -> Bool {
        switch EventKind(rawValue: tag) {
        case .workflowStarted, .workflowCompleted, .workflowFailed, .workflowCancelled, .workflowResumed,
            .workflowParked, .workflowSummary:
            true
        default:
            false
        }
    }

    /// Whether events of this tag change inboxes or event values (sends, receives, set events).
    package static func isMailbox(tag: UInt8) -> Bool {
        switch EventKind(rawValue: tag) {
        case .messageSent, .messageReceived, .eventSet: true
        default: false
        }
    }

    /// Applies one event read from the log.
    package mutating func apply(_ event: Event, lsn: LSN) {
        projection.apply(event.record(), lsn: lsn)
    }

    /// Applies a record without its payload when the payload is only a workflow's input or output: what
    /// `cairn list` needs (status, times, errors and park reasons), without copying every input and output.
    package mutating func applySummaryOnly(_ record: LogRecordView) throws {
        if record.tag == EventKind.workflowStarted.rawValue || record.tag == EventKind.workflowCompleted.rawValue,
            let peek = try? EnvelopePeek(tag: record.tag, bytes: record.bytes)
        {
            let envelope = UnsafeRawBufferPointer(rebasing: record.bytes[..<peek.payload.lowerBound])
            projection.apply(try EventEnvelope(lsn: record.lsn, tag: record.tag, bytes: envelope))
        } else {
            try apply(record)
        }
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
    package func summary(of id: String) -> WorkflowSummary? { projection.workflows[id]?.summary }
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
