import ArgumentParser
import Cairn
import CairnCLIArguments
import CairnLog
import Synchronization

/// `cairn compact DIR`: drop finished workflows beyond retention and replace the other finished histories by
/// summaries.
struct CompactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Compact a log: drop finished workflows beyond retention, keep a summary of the others.",
        discussion: """
            Finished (completed or failed) workflows that finished longer than --keep-finished ago, or are not among \
            the --keep-last most recently finished, are dropped entirely. Every other finished workflow keeps a \
            summary record (status, result or error, times, input, event values) instead of its history, so \
            results, status and idempotent starts keep working. Unfinished workflows keep their whole history; \
            undelivered messages and the latest value of each retained workflow's events survive.

            Summaries are appended first; then the sealed segments are rewritten into a new one, which is swapped \
            in crash-safely (a crash at any point leaves a log that opens to the same state). The active segment \
            is never touched: workflows with records in it wait for a later compaction.

            Refused while an engine holds the log's lock: a running service compacts with \
            WorkflowEngine.compact(policy:) or a CompactionService. Without --keep-finished or --keep-last nothing \
            is dropped; histories are only summarized.

            Examples:
              cairn compact /var/lib/orders/cairn --keep-finished 7d --dry-run
              cairn compact /var/lib/orders/cairn --keep-finished 7d
              cairn compact /var/lib/orders/cairn --keep-last 100000 --json
            """)

    @OptionGroup var options: LogOptions

    @Option(help: "Drop finished workflows that finished longer ago than this (7d, 12h, 30m, 1w2d).")
    var keepFinished: DurationArgument?

    @Option(help: "Keep only this many of the most recently finished workflows.")
    var keepLast: Int?

    @Flag(help: "Print what would be dropped and the expected size; change nothing (takes no lock).")
    var dryRun = false

    @Flag(help: "No progress output.")
    var quiet = false

    @Option(help: .hidden)
    var crashAfter: StopArgument?

    func validate() throws {
        if let keepLast, keepLast < 0 { throw ValidationError("--keep-last must be 0 or more") }
    }

    var policy: CompactionPolicy { CompactionPolicy(keepFinished: keepFinished?.duration, keepLast: keepLast) }

    func run() async throws {
        let directory = options.directory
        try await reportingErrors(directory: directory) {
            let access = try LogAccess(directory)
            let segments = try access.catalog().segments
            let now = nowNanoseconds()
            if dryRun {
                var planner = CompactionPlanner(
                    through: WorkflowCompaction.sealedBoundary(segments), expectedWorkflows: access.expectedWorkflows)
                let size = WorkflowCompaction.sizes(segments)
                try access.scan { record in
                    try planner.add(record)
                    return true
                }
                let plan = planner.plan(
                    policy: policy, now: now, maxRecordSize: LogConfiguration().maxRecordSize,
                    sealedSegments: size.sealedSegments, sealedBytes: size.sealed, logBytes: size.total
                ).plan
                printPlan(plan, report: nil)
                exitWithoutTeardown(planner)
            }
            if let holder = access.lockHolder() {
                throw CLIError(
                    "the log at \(directory) is locked by a running engine (process \(holder)); stop it first, or compact from the service with WorkflowEngine.compact(policy:)",
                    status: ExitStatus.locked)
            }
            let progress = CompactionProgress()
            let display = ProgressDisplay(enabled: !quiet)
            display.start(progress)
            let result: (report: WorkflowCompactionReport, planner: CompactionPlanner)
            do {
                result = try await OfflineCompaction.run(
                    directory: directory, policy: policy, now: now, expectedWorkflows: access.expectedWorkflows,
                    stopAfter: crashAfter?.stop, progress: progress, reading: display.reading)
            } catch let interrupted as WorkflowCompaction.Interrupted {
                // Test hook: stop as a crash would (no close, no sync beyond what the step did).
                await display.stop()
                printError("cairn: \(interrupted)")
                _exit(70)
            } catch let changed as OfflineCompaction.SegmentsChanged {
                await display.stop()
                throw CLIError("\(changed)")
            } catch {
                await display.stop()
                throw error
            }
            await display.stop()
            printPlan(result.report.plan, report: result.report)
            exitWithoutTeardown(result.planner)
        }
    }

    private func printPlan(_ plan: CompactionPlan, report: WorkflowCompactionReport?) {
        var out = Output()
        if options.json {
            var w = JSONWriter()
            w.beginObject()
            w.key("dryRun")
            w.bool(report == nil)
            w.key("policy")
            w.beginObject()
            w.field("keepFinishedSeconds", keepFinished.map { $0.nanoseconds / 1_000_000_000 })
            w.key("keepLast")
            if let keepLast { w.number(keepLast) } else { w.null() }
            w.endObject()
            w.key("through")
            if let through = plan.through { w.number(through.rawValue) } else { w.null() }
            w.field("sealedSegments", plan.sealedSegments)
            w.field("records", plan.records)
            w.field("sealedRecords", plan.sealedRecords)
            w.field("recordsToDrop", plan.recordsToDrop)
            w.field("summariesToWrite", plan.summariesToWrite)
            w.field("retainedFinished", plan.retainedFinished)
            w.field("alreadySummarized", plan.alreadySummarized)
            w.field("dropped", plan.dropped.count)
            w.field("unfinished", plan.unfinished)
            w.field("notYetSealed", plan.notYetSealed)
            w.field("messagesKept", plan.messagesKept)
            w.field("messagesDropped", plan.messagesDropped)
            w.field("bytesBefore", Int(report?.bytesBefore ?? plan.logBytes))
            w.field("expectedBytesAfter", Int(plan.expectedLogBytes))
            w.field("bytesAfter", report.map { Int64($0.bytesAfter) })
            w.key("droppedWorkflows")
            w.beginArray()
            for d in plan.dropped {
                w.beginObject()
                w.field("id", d.id)
                w.field("name", d.name)
                w.field("status", d.status.rawValue)
                w.field("finishedAt", Format.time(d.finishedAt, iso: true))
                w.endObject()
                out.drain(&w)
            }
            w.endArray()
            w.endObject()
            out.bytes(w.bytes)
            out.line()
            out.flush()
            return
        }
        func row(_ label: String, _ value: String) { out.line(Style.bold.apply(label.padding(18)) + value) }
        if report == nil { out.line(Style.yellow.apply("dry run: nothing was changed")) }
        if plan.through == nil {
            row("Sealed segments", "none: every record is in the active segment, which compaction never rewrites")
        } else {
            row("Sealed segments", "\(plan.sealedSegments) (\(Format.bytes(plan.sealedBytes))), LSNs through \(Format.count(Int(plan.through!.rawValue)))")
        }
        row("Records", "\(Format.count(plan.sealedRecords)) sealed of \(Format.count(plan.records)); \(Format.count(plan.recordsToDrop)) \(report == nil ? "would go" : "dropped")")
        row("Dropped", "\(Format.count(plan.dropped.count)) finished workflows beyond retention")
        row("Summarized", "\(Format.count(plan.summariesToWrite)) finished workflows (\(Format.count(plan.alreadySummarized)) already were)")
        row("Kept whole", "\(Format.count(plan.unfinished)) unfinished workflows")
        if plan.notYetSealed > 0 { row("Not yet sealed", "\(Format.count(plan.notYetSealed)) finished workflows with records in the active segment") }
        row("Messages", "\(Format.count(plan.messagesKept)) kept (undelivered or deduplicating), \(Format.count(plan.messagesDropped)) dropped")
        if let report {
            row("Size", "\(Format.bytes(report.bytesBefore)) → \(Format.bytes(report.bytesAfter))" + (report.bytesBefore > 0 ? " (\(Int((Double(report.bytesAfter) / Double(report.bytesBefore) * 100).rounded()))%)" : ""))
        } else {
            row("Size", "\(Format.bytes(plan.logBytes)) → about \(Format.bytes(plan.expectedLogBytes)) expected")
        }
        if report == nil && !plan.dropped.isEmpty {
            out.line()
            var table = Table([.init(title: "WOULD DROP"), .init(title: "NAME"), .init(title: "STATUS"), .init(title: "FINISHED (UTC)")])
            for d in plan.dropped.suffix(20) {
                table.add([(d.id, nil), (d.name, nil), (d.status.rawValue, Style.status(d.status)), (Format.time(d.finishedAt), nil)])
            }
            table.render(into: &out)
            if plan.dropped.count > 20 { out.line(Style.dim.apply("… and \(Format.count(plan.dropped.count - 20)) more (--json lists all)")) }
        }
        if report != nil && plan.isEmpty { out.line("nothing to compact") }
        out.flush()
    }
}


/// Progress on standard error: a bar on a terminal, a plain line every 10% otherwise; only for runs longer than
/// half a second.
final class ProgressDisplay: Sendable {
    private let enabled: Bool
    private let readCount = Atomic<Int>(0)
    private let running = Atomic<Bool>(false)
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(enabled: Bool) { self.enabled = enabled }

    func reading(_ count: Int) { readCount.store(count, ordering: .relaxed) }

    func start(_ progress: CompactionProgress) {
        guard enabled else { return }
        running.store(true, ordering: .relaxed)
        let tty = Terminal.stderrIsTTY
        let drawing = Task.detached { [self] in
            let started = ContinuousClock.now
            var lastDecile = -1
            var drew = false
            while self.running.load(ordering: .relaxed) {
                try? await Task.sleep(for: .milliseconds(100))
                guard ContinuousClock.now - started > .milliseconds(500), self.running.load(ordering: .relaxed) else { continue }
                let total = progress.total
                let done = min(progress.done, total)
                if total == 0 {
                    if tty {
                        printErrorRaw("reading the log: \(Format.count(self.readCount.load(ordering: .relaxed))) records", control: "\r\u{1B}[K")
                        drew = true
                    }
                    continue
                }
                let fraction = Double(done) / Double(total)
                if tty {
                    let width = 30
                    let filled = Int(fraction * Double(width))
                    let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
                    printErrorRaw("compacting \(bar) \(Int(fraction * 100))%  \(Format.count(done)) / \(Format.count(total)) records", control: "\r\u{1B}[K")
                    drew = true
                } else {
                    let decile = Int(fraction * 10)
                    if decile > lastDecile {
                        lastDecile = decile
                        printError("compacting: \(decile * 10)% (\(Format.count(done)) of \(Format.count(total)) records)")
                    }
                }
            }
            if drew { printErrorRaw("", control: "\r\u{1B}[K") }
        }
        task.withLock { $0 = drawing }
    }

    /// Stops the display and waits until it has cleared its line, so what is printed next starts on a line of its
    /// own.
    func stop() async {
        running.store(false, ordering: .relaxed)
        await task.withLock { $0 }?.value
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
