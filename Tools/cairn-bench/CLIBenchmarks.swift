import Cairn
import CairnLog

/// The CLI's workloads: `verify`, `list` and `compact` on a generated log of n workflows (``WorkflowLog``), each
/// timing the library code the `cairn` command runs (the command only formats what it returns). The files are in
/// the page cache, as when a log was just written. `cpu_s` is the process's CPU time during the timed call: on a
/// shared machine it varies less than the wall time (`verify` reads two segments at once, so it may exceed it).
///
/// `verify` and `list` read the same log, made once per run and n; `compact` rewrites a log of its own.
enum CLIBenchmarks {
    /// `verify`: ``LogVerification/run(directory:lockHolder:)``, every frame and envelope and the workflow checks;
    /// per_sec = events/s.
    static let verifyTarget = 5_000_000.0
    /// `compact`: ``OfflineCompaction/run(directory:policy:now:expectedWorkflows:stopAfter:progress:reading:)``,
    /// keeping the newest half of the finished workflows as summaries; per_sec = events/s of the log before.
    static let compactTarget = 1_000_000.0
    /// `list`: ``WorkflowIndex/init(reading:expectedWorkflows:)`` and the newest 100; seconds for n workflows.
    static let listTargetSeconds = 2.0

    static func verify(_ context: BenchContext) async throws {
        let (directory, written) = try await sharedLog(context)
        let start = Stopwatch.now()
        let cpuStart = CPUClock.now()
        let result = try await LogVerification.run(directory: directory, lockHolder: nil)
        let seconds = Stopwatch.now() - start
        let cpu = CPUClock.now() - cpuStart
        guard result.isClean, result.records == written.events, result.workflows == written.workflows else {
            throw BenchError(
                "verify: wrote \(written.events) events of \(written.workflows) workflows; verify read \(result.records) "
                    + "of \(result.workflows) with \(result.findings.count) problems: \(result.findings.first?.message ?? "")")
        }
        var line = eventsLine(context, "verify", events: result.records, seconds: seconds, written: written)
        line["cpu_s"] = .number(cpu)
        line["segments"] = .int(result.segments)
        line["stored_mb"] = .number(Double(result.bytes) / 1e6, places: 1)
        line["target_per_sec"] = .number(verifyTarget, places: 0)
        context.emit(line)
    }

    static func list(_ context: BenchContext) async throws {
        let (directory, written) = try await sharedLog(context)
        let start = Stopwatch.now()
        let cpuStart = CPUClock.now()
        let index = try WorkflowIndex(
            reading: try LogReader(directory: directory), expectedWorkflows: expectedWorkflows(directory))
        let (newest, matched) = index.newest(limit: 100) { _, _, _ in true }
        let seconds = Stopwatch.now() - start
        let cpu = CPUClock.now() - cpuStart
        guard matched == written.workflows, newest.count == min(100, matched) else {
            throw BenchError("list: wrote \(written.workflows) workflows, the index has \(matched)")
        }
        var line = context.line("list", seconds: seconds)
        line["unit"] = "workflows/s"
        line["cpu_s"] = .number(cpu)
        line["events"] = .int(written.events)
        line["unfinished"] = .int(written.unfinished)
        line["fill_s"] = .number(written.seconds)
        line["target_s"] = .number(listTargetSeconds, places: 1)
        context.emit(line)
        withExtendedLifetime(index) {}
    }

    static func compact(_ context: BenchContext) async throws {
        let directory = context.path("compact")
        defer { context.remove(directory) }
        let written = try await WorkflowLog.fill(directory, workflows: context.n)
        // Half the finished workflows dropped, the other half summarized: every path of the rewrite taken.
        let policy = CompactionPolicy(keepLast: (written.workflows - written.unfinished) / 2)
        let start = Stopwatch.now()
        let cpuStart = CPUClock.now()
        let (report, planner) = try await OfflineCompaction.run(
            directory: directory, policy: policy, now: 1_800_000_000_000_000_000,
            expectedWorkflows: expectedWorkflows(directory))
        let seconds = Stopwatch.now() - start
        let cpu = CPUClock.now() - cpuStart
        // A log that fits in one segment has nothing sealed to compact (small n).
        let compacted = report.plan.through == nil || (report.summariesWritten > 0 && !report.plan.dropped.isEmpty)
        guard report.plan.records == written.events, compacted else {
            throw BenchError(
                "compact: wrote \(written.events) events, the plan saw \(report.plan.records), summarized "
                    + "\(report.summariesWritten), dropped \(report.plan.dropped.count)")
        }
        var line = eventsLine(context, "compact", events: report.plan.records, seconds: seconds, written: written)
        line["cpu_s"] = .number(cpu)
        line["sealed_segments"] = .int(report.plan.sealedSegments)
        line["sealed_records"] = .int(report.plan.sealedRecords)
        line["summaries"] = .int(report.summariesWritten)
        line["dropped"] = .int(report.plan.dropped.count)
        line["mb_before"] = .number(Double(report.bytesBefore) / 1e6, places: 1)
        line["mb_after"] = .number(Double(report.bytesAfter) / 1e6, places: 1)
        line["target_per_sec"] = .number(compactTarget, places: 0)
        context.emit(line)
        withExtendedLifetime(planner) {}
    }

    /// A result line whose per_sec counts events (n stays the workflows).
    private static func eventsLine(
        _ context: BenchContext, _ workload: String, events: Int, seconds: Double, written: WorkflowLog.Written
    ) -> JSONLine {
        var line = context.line(workload, seconds: seconds)
        line["per_sec"] = seconds > 0 ? .number(Double(events) / seconds, places: 2) : .null
        line["unit"] = "events/s"
        line["events"] = .int(events)
        line["workflows_per_sec"] = seconds > 0 ? .number(Double(context.n) / seconds, places: 2) : .null
        line["unfinished"] = .int(written.unfinished)
        line["fill_s"] = .number(written.seconds)
        return line
    }

    /// The guess `cairn` makes from the log's size (``WorkflowIndex`` and the planner size their tables by it).
    private static func expectedWorkflows(_ directory: String) -> Int {
        let segments = (try? LogDirectory(path: directory).catalog().segments) ?? []
        let bytes = WorkflowCompaction.sizes(segments).total
        return Int(bytes / 120)
    }

    /// The log `verify` and `list` read: written on first use for this n, kept until the run's scratch directory
    /// goes.
    private static func sharedLog(_ context: BenchContext) async throws -> (String, WorkflowLog.Written) {
        let directory = context.path("cli-\(context.n)")
        if let written = SharedLog.written.withLock({ $0[directory] }) { return (directory, written) }
        let written = try await WorkflowLog.fill(directory, workflows: context.n)
        SharedLog.written.withLock { $0[directory] = written }
        return (directory, written)
    }
}

import Synchronization

/// The logs ``CLIBenchmarks`` made in this run, by directory.
private enum SharedLog {
    static let written = Mutex<[String: WorkflowLog.Written]>([:])
}
