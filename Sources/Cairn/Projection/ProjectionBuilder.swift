import CairnLog

/// Rebuilds the projection while the log's recovery verifies each record: one pass over the log, envelopes only,
/// each checked in place (``EventEnvelope``) and a malformed one refused with `.undecodableEvent` and its LSN.
final class ProjectionBuilder: @unchecked Sendable {
    // @unchecked: used by the log's opening thread only, one record at a time; `take()` is called after `open`
    // returned, which happens-after every `apply`.
    private var projection = Projection()

    /// - Parameter rateWindows: how many recent dequeue times each queue keeps (its rate limit's count).
    init(keepsFinishedHistories: Bool = false, rateWindows: [String: Int] = [:]) {
        projection.keepsFinishedHistories = keepsFinishedHistories
        projection.queues.rateWindows = rateWindows
        projection.queues.configuredWindows = true
    }

    func apply(_ record: LogRecordView) throws {
        projection.apply(try EventEnvelope(lsn: record.lsn, tag: record.tag, bytes: record.bytes))
    }

    func take() -> Projection { projection }
}
