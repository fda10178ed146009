package import CairnLog

/// A group of batches a store has committed, as its ``CommitSink`` sees them: valid only during the call.
package protocol CommittedBatch {
    /// Calls `body` with each committed record and its position, in the authoritative order (batch after batch,
    /// each batch's records in the order they were appended).
    func forEachRecord(_ body: (_ record: LogRecord, _ position: LSN) throws -> Void) rethrows
}

/// Where a store hands each committed batch to the engine (``WorkflowEngine/applyCommitted(_:)``), before the
/// batch's appenders resume. Made before the store opens (the store needs it from its first commit on); the
/// engine is set once it exists.
///
/// Weak, so that the engine → store → sink chain does not keep the engine alive.
package final class CommitSink: @unchecked Sendable {
    // @unchecked: `engine` is set once, in `WorkflowEngine.open`, before the engine is returned and so before anything
    // is appended; a store reads it only while delivering a commit, which happens after an append was queued — after
    // the assignment (the log's writer takes appends from its queue under the queue's mutex).
    weak var engine: WorkflowEngine?

    package init() {}

    /// Applies `batch` to the engine's projection and wakes whoever waits on what it changes. Generic, so that a
    /// store calling it with its own batch type pays no existential per record.
    package func deliver<Batch: CommittedBatch>(_ batch: Batch) {
        engine?.applyCommitted(batch)
    }
}

extension LogAcknowledgement: CommittedBatch {
    package func forEachRecord(_ body: (LogRecord, LSN) throws -> Void) rethrows {
        try forEach { records, first in
            var lsn = first
            for record in records {
                try body(record, lsn)
                lsn = lsn.next
            }
        }
    }
}
