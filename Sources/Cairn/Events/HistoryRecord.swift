package import CairnLog

/// One event of a workflow's history with the LSN it has in the log: what the engine reads for
/// ``WorkflowEngine/history(of:after:)``, before it becomes the public ``HistoryEvent`` view.
package struct HistoryRecord: Sendable, Hashable {
    /// Where the event is in the log.
    package var lsn: LSN
    /// The event.
    package var event: Event

    /// A record of `event` at `lsn`.
    package init(lsn: LSN, event: Event) {
        self.lsn = lsn
        self.event = event
    }
}
