public import CairnLog

/// What a compaction of a workflow log would do (``WorkflowEngine/compactionPlan(policy:)``, `cairn compact
/// --dry-run`) or did (``WorkflowCompactionReport/plan``).
///
/// Only sealed segments are rewritten: records at or below ``through``. A finished workflow is compacted only
/// when all of its records lie there; one finished more recently waits for the next compaction.
public struct CompactionPlan: Sendable {
    /// The last LSN of the sealed segments the compaction rewrites; nil when there is no sealed segment.
    public var through: LSN?
    /// Sealed segments, and their size on disk.
    public var sealedSegments = 0
    /// Bytes of the sealed segments.
    public var sealedBytes: Int64 = 0
    /// Bytes of the whole log (sealed and active segments).
    public var logBytes: Int64 = 0
    /// Records in the log, and of them in the sealed segments.
    public var records = 0
    /// Records in the sealed segments.
    public var sealedRecords = 0
    /// Records of the sealed segments the compaction drops.
    public var recordsToDrop = 0
    /// Summary records to append (one per retained finished workflow whose history is dropped).
    public var summariesToWrite = 0
    /// Finished workflows kept as a summary: newly summarized plus already summarized.
    public var retainedFinished = 0
    /// Finished workflows that were already only a summary.
    public var alreadySummarized = 0
    /// Finished workflows dropped entirely (beyond retention).
    public var dropped: [DroppedWorkflow] = []
    /// Unfinished workflows, kept whole.
    public var unfinished = 0
    /// Finished workflows with records in the active segment: left as they are until a later compaction.
    public var notYetSealed = 0
    /// Messages kept because they are undelivered (or their idempotency key must still deduplicate).
    public var messagesKept = 0
    /// Messages dropped: delivered, or sent to a dropped workflow.
    public var messagesDropped = 0
    /// The expected size of the rewritten sealed segments, from the records kept and the log's compression ratio.
    public var expectedSealedBytes: Int64 = 0
    /// The expected size of the appended summaries on disk.
    public var expectedSummaryBytes: Int64 = 0

    /// The expected size of the log afterwards.
    public var expectedLogBytes: Int64 { logBytes - sealedBytes + expectedSealedBytes + expectedSummaryBytes }

    /// Whether the compaction would change nothing.
    public var isEmpty: Bool { recordsToDrop == 0 && summariesToWrite == 0 }

    /// Creates an empty plan.
    public init() {}

    /// A finished workflow a compaction drops.
    public struct DroppedWorkflow: Sendable, Hashable {
        /// Its ID.
        public var id: String
        /// Its workflow name.
        public var name: String
        /// ``WorkflowStatus/completed`` or ``WorkflowStatus/failed``.
        public var status: WorkflowStatus
        /// When it finished, nanoseconds since 1970.
        public var finishedAt: Int64
    }
}

/// What a compaction did: its plan, and what the log layer reported when it rewrote the sealed segments.
public struct WorkflowCompactionReport: Sendable {
    /// What was decided.
    public var plan: CompactionPlan
    /// Summary records appended before the sealed segments were rewritten.
    public var summariesWritten = 0
    /// The rewrite of the sealed segments (nil when nothing needed rewriting).
    public var log: CompactionReport?
    /// Bytes of the log before and after.
    public var bytesBefore: Int64 = 0
    /// Bytes of the log after.
    public var bytesAfter: Int64 = 0
}
