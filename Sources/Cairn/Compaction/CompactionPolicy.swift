/// How long finished workflows are kept when a log is compacted (``WorkflowEngine/compact(policy:)``,
/// `cairn compact`).
///
/// Compaction always replaces the history of a finished (completed or failed) workflow by a summary record, keeping
/// only its streams' records (``WorkflowEngine/readStream(_:of:key:from:)`` reads them as before); the policy decides which finished workflows are dropped altogether. A finished workflow is dropped when it
/// finished longer than ``keepFinished`` ago, or when it is not among the ``keepLast`` most recently finished —
/// either rule suffices. Unfinished workflows (pending, running, cancelled, parked, diverged) are never dropped
/// and keep their whole history, and neither is a finished child whose parent is unfinished.
///
/// ```swift
/// // Keep a week of finished workflows, and at most 100,000 of them.
/// let policy = CompactionPolicy(keepFinished: .seconds(7 * 86_400), keepLast: 100_000)
/// ```
public struct CompactionPolicy: Sendable, Hashable {
    /// Finished workflows that finished longer ago than this are dropped; nil keeps them whatever their age.
    public var keepFinished: Duration?
    /// Only this many of the most recently finished workflows are kept; nil keeps any number.
    public var keepLast: Int?

    /// A policy. With neither limit, no workflow is dropped: finished histories are only replaced by summaries.
    public init(keepFinished: Duration? = nil, keepLast: Int? = nil) {
        self.keepFinished = keepFinished
        self.keepLast = keepLast.map { max(0, $0) }
    }
}
