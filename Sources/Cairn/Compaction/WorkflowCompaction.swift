package import CairnLog
import Synchronization

/// The compaction of a workflow log, shared by ``WorkflowEngine/compact(policy:)`` (a running service) and
/// `cairn compact` (a log nobody has open).
///
/// 1. Plan from one pass over the log (``CompactionPlanner``): which finished workflows are retained as a summary
///    and which are dropped, which messages are still undelivered.
/// 2. Append a ``EventKind/workflowSummary`` record for each retained finished workflow whose history is still in
///    the log. Its application is a no-op while that history is there, so a crash here changes nothing visible.
/// 3. Rewrite the sealed segments (``CairnLog/Log/compact(through:keeping:)``) without the records the plan drops:
///    crash-safe in the log layer (temporary file, sync, rename, directory sync; finished or discarded at the next
///    open). The active segment is never touched.
///
/// After any crash, the log rebuilds to the same projection for every retained workflow: either the history or
/// the summary (or both) is there.
package enum WorkflowCompaction {
    /// Where a test makes `cairn compact` stop as a crash would.
    package enum Stop: String, CaseIterable, Sendable {
        case appendedSummaries, wroteOutput, syncedOutput, renamedOutput, syncedDirectory, removedFirstInput, removedInputs

        var logStep: CompactionStep? {
            switch self {
            case .appendedSummaries: nil
            case .wroteOutput: .wroteOutput
            case .syncedOutput: .syncedOutput
            case .renamedOutput: .renamedOutput
            case .syncedDirectory: .syncedDirectory
            case .removedFirstInput: .removedFirstInput
            case .removedInputs: .removedInputs
            }
        }
    }

    /// Raised at a ``Stop``.
    package struct Interrupted: Error, CustomStringConvertible {
        package var stop: Stop
        package var description: String { "compaction stopped after \(stop.rawValue)" }
    }

    /// The last LSN of the sealed segments: everything below the active (last) segment's base.
    package static func sealedBoundary(_ segments: [SegmentDescriptor]) -> LSN? {
        guard segments.count >= 2, segments.last!.base.rawValue > 1 else { return nil }
        return LSN(segments.last!.base.rawValue - 1)
    }

    /// On-disk sizes: the sealed segments (all but the last) and the whole log.
    package static func sizes(
        _ segments: [SegmentDescriptor], in fileSystem: any FileSystem = PosixFileSystem()
    ) -> (sealedSegments: Int, sealed: Int64, total: Int64) {
        var sealed: Int64 = 0
        var total: Int64 = 0
        for (i, segment) in segments.enumerated() {
            let size = (try? fileSystem.status(atPath: segment.path))?.size ?? 0
            total += size
            if i < segments.count - 1 { sealed += size }
        }
        return (max(0, segments.count - 1), sealed, total)
    }

    /// Plans and runs a compaction of an open `log` from a finished planner (`cairn compact`).
    package static func run(
        log: Log, planner: CompactionPlanner, policy: CompactionPolicy, now: Int64, stopAfter: Stop? = nil,
        progress: CompactionProgress? = nil, append: ([Event]) async throws -> Void
    ) async throws -> (report: WorkflowCompactionReport, dropped: Set<String>) {
        try await run(
            store: LogStore(opened: log), planner: planner, policy: policy, now: now, stopAfter: stopAfter,
            progress: progress, append: append)
    }

    /// Plans and runs a compaction of `store` from a finished planner.
    /// - Parameters:
    ///   - append: appends summary events durably (the engine commits them so its projection sees them).
    ///   - progress: counts records as the rewrite goes.
    package static func run(
        store: any WorkflowStore, planner: CompactionPlanner, policy: CompactionPolicy, now: Int64, stopAfter: Stop? = nil,
        progress: CompactionProgress? = nil, append: ([Event]) async throws -> Void
    ) async throws -> (report: WorkflowCompactionReport, dropped: Set<String>) {
        let scope = try store.compactionScope()
        let (plan, summaries, decision) = planner.plan(
            policy: policy, now: now, maxRecordSize: scope.maxRecordSize,
            sealedSegments: scope.sealedUnits, sealedBytes: scope.sealedBytes, logBytes: scope.totalBytes)
        var report = WorkflowCompactionReport(plan: plan)
        report.bytesBefore = scope.totalBytes
        progress?.begin(total: plan.sealedRecords)
        guard !plan.isEmpty, let through = plan.through else {
            report.bytesAfter = scope.totalBytes
            return (report, [])
        }
        // 2: summaries first, in frames of a few MiB.
        var batch: [Event] = []
        var batchBytes = 0
        for event in summaries {
            batch.append(event)
            batchBytes += event.payload.count + 64
            if batchBytes >= 4 << 20 {
                try await append(batch)
                batch.removeAll(keepingCapacity: true)
                batchBytes = 0
            }
        }
        if !batch.isEmpty { try await append(batch) }
        report.summariesWritten = summaries.count
        if stopAfter == .appendedSummaries { throw Interrupted(stop: .appendedSummaries) }
        // 3: the sealed segments, without what the plan drops.
        let counter = progress
        let keep: @Sendable (LogRecordView) -> Bool = { record in
            counter?.advance()
            return decision.keep(record)
        }
        do {
            report.log = try await store.compact(through: through, interruptAfter: stopAfter?.logStep, keeping: keep)
        } catch is CompactionInterrupted {
            throw Interrupted(stop: stopAfter!)
        }
        report.bytesAfter = try store.compactionScope().totalBytes
        return (report, Set(plan.dropped.map(\.id)))
    }
}

/// How far a compaction has got, for progress bars: records of the sealed segments examined so far.
package final class CompactionProgress: Sendable {
    private let doneCount = Atomic<Int>(0)
    private let totalCount = Atomic<Int>(0)

    package init() {}

    package func begin(total: Int) { totalCount.store(total, ordering: .relaxed) }
    package func advance() { doneCount.add(1, ordering: .relaxed) }
    package var done: Int { doneCount.load(ordering: .relaxed) }
    package var total: Int { totalCount.load(ordering: .relaxed) }
}
