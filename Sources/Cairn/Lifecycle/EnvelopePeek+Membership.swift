/// Which records belong to a workflow, decided in one place for every reader: ``WorkflowEngine/history(of:after:)`` and
/// `cairn show` (a workflow's records), the ``WorkflowIndex``'s count of a workflow's own records and compaction's
/// planner (what goes with a workflow, what is a message between two).
///
/// A record is a workflow's **own** when its workflow ID is that workflow's: the operations it recorded (including
/// the messages it sent) and its lifecycle events. A message **sent from outside** any workflow has no workflow ID
/// and no position; it concerns the workflow it is addressed to. A message one workflow sends to another is its
/// sender's own record only: the receiver's history has the receive.
extension EnvelopePeek {
    /// The bytes of the workflow whose own record this is; nil for a record of no workflow (a message sent from
    /// outside any workflow, the engine's stop).
    package var owner: Range<Int>? { workflowID.isEmpty ? nil : workflowID }

    /// The bytes of the workflow a message is addressed to; nil for any record but a send with a destination.
    package var addressee: Range<Int>? { kind == .messageSent ? target : nil }

    /// Whether this is a message sent from outside any workflow (``WorkflowEngine/send(_:to:topic:idempotencyKey:)``)
    /// to a workflow.
    package var isSentFromOutside: Bool { kind == .messageSent && !hasPosition && target != nil }

    /// Whether the record counts among its owner's own records where records are accounted per workflow
    /// (``WorkflowIndex``, compaction): all but a send with a destination, which compaction keeps or drops by the
    /// rules for messages, the workflow's summary record, accounted apart, and the records compaction keeps with
    /// the summary (``EventKind/Declaration/keptWithSummary``: a stream's), which stay as long as the workflow.
    package var isOwnRecord: Bool {
        addressee == nil && kind != .workflowSummary && kind != .engineStopped && !kind.declaration.keptWithSummary
    }

    /// The workflows whose history lists this record, for an index of histories by workflow: its owner, and for a
    /// message sent from outside any workflow, the workflow it is addressed to. ``concerns(_:in:)`` is true exactly
    /// for these.
    package var concernedWorkflows: (owner: Range<Int>?, sentTo: Range<Int>?) {
        (owner, isSentFromOutside ? target : nil)
    }

    /// Whether the record is one of workflow `id`'s own (`id` as UTF-8 bytes).
    package func isOwn(of id: [UInt8], in bytes: UnsafeRawBufferPointer) -> Bool {
        Self.equals(workflowID, in: bytes, id)
    }

    /// Whether the record is a message sent from outside any workflow to workflow `id` (UTF-8 bytes).
    package func isSentFromOutside(to id: [UInt8], in bytes: UnsafeRawBufferPointer) -> Bool {
        isSentFromOutside && target.map { Self.equals($0, in: bytes, id) } == true
    }

    /// Whether the record concerns workflow `id` (UTF-8 bytes): its own, or a message sent to it from outside any
    /// workflow. What a workflow's history lists (``WorkflowEngine/history(of:after:)``, `cairn show`).
    package func concerns(_ id: [UInt8], in bytes: UnsafeRawBufferPointer) -> Bool {
        isOwn(of: id, in: bytes) || isSentFromOutside(to: id, in: bytes)
    }
}

extension Event {
    /// Whether this event concerns workflow `id`: its own, or a message sent to it from outside any workflow —
    /// ``EnvelopePeek/concerns(_:in:)`` for a decoded event (the two agree, as the tests check).
    package func concerns(_ id: String) -> Bool {
        workflowID == id || (kind == .messageSent && position == nil && target == id)
    }
}
