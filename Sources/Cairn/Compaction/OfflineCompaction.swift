package import CairnLog

/// The compaction of a log no engine has open (`cairn compact`, the `compact` benchmark): open it, which takes its
/// lock and verifies every frame, plan from that same pass on a second thread (``PlanFeed``), then run
/// ``WorkflowCompaction``.
package enum OfflineCompaction {
    /// The sealed segments changed between the listing that chose what to compact and the open (another process
    /// compacted or wrote meanwhile): nothing was done; run the compaction again.
    package struct SegmentsChanged: Error, CustomStringConvertible {
        package var description: String { "the log's segments changed while it was opened; run the compaction again" }
    }

    /// Compacts the log in `directory` by `policy`, as of `now` (nanoseconds since 1970).
    /// - Parameters:
    ///   - expectedWorkflows: a guess at how many workflows the log holds, to size the planner's tables.
    ///   - stopAfter: a test hook: stop at this step as a crash would, throwing ``WorkflowCompaction/Interrupted``
    ///     with the log left open (the caller exits).
    ///   - progress: counts the records the rewrite examines.
    ///   - reading: called with the number of records read so far, every 65,536, while the open reads (on the
    ///     open's thread).
    /// - Returns: the report, and the planner whose tables a tool about to exit may leave unfreed.
    /// - Throws: ``LogError`` (the log cannot be opened: locked, damaged), ``SegmentsChanged``, or what the
    ///   compaction throws.
    package static func run(
        directory: String, policy: CompactionPolicy, now: Int64, expectedWorkflows: Int,
        stopAfter: WorkflowCompaction.Stop? = nil, progress: CompactionProgress? = nil,
        reading: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> (report: WorkflowCompactionReport, planner: CompactionPlanner) {
        let through = WorkflowCompaction.sealedBoundary(try LogDirectory(path: directory).catalog().segments)
        let feed = PlanFeed(CompactionPlanner(through: through, expectedWorkflows: expectedWorkflows))
        feed.start()
        let log: Log
        do {
            var configuration = LogConfiguration()
            configuration.preallocationStep = 0  // no zero fill: the sizes reported are the data's
            // The open reads and verifies every segment: on a thread of its own, never on the cooperative pool.
            log = try await DedicatedThread.run(name: "cairn-compact-open") { [configuration] in
                var read = 0
                return try Log.openBlocking(at: directory, configuration: configuration) { record in
                    feed.add(record)
                    read += 1
                    if read & 0xFFFF == 0 { reading(read) }
                }
            }
        } catch {
            _ = try? feed.finish()
            throw error
        }
        let planner: CompactionPlanner
        do {
            planner = try feed.finish()
        } catch {
            try? await log.close()
            throw error
        }
        guard WorkflowCompaction.sealedBoundary(log.state.snapshot.segments) == through else {
            try await log.close()
            throw SegmentsChanged()
        }
        let report: WorkflowCompactionReport
        do {
            report = try await WorkflowCompaction.run(
                log: log, planner: planner, policy: policy, now: now, stopAfter: stopAfter, progress: progress
            ) { events in
                _ = try await log.append(contentsOf: events.map { $0.record() })
            }.report
        } catch let interrupted as WorkflowCompaction.Interrupted {
            throw interrupted  // as a crash would: no close, no sync beyond what the step did
        } catch {
            try? await log.close()
            throw error
        }
        try await log.close()
        return (report, planner)
    }
}
