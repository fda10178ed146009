package import CairnLog

/// Everything `cairn verify` checks, read-only: the log's own rules (``LogVerifier``: headers, frames, what each
/// segment's end means, contiguity) and the engine's on top — every record an event envelope this Cairn reads
/// (summary records included), every event but sends belonging to a workflow started (or summarized) before it,
/// no workflow started twice.
///
/// Findings are listed, not thrown, up to ``maxListed``; the tool only formats them. Memory: one 16-byte hash per
/// workflow and one small item per record of the two segments in flight.
package struct LogVerification: Sendable {
    /// At most this many findings are listed; the rest are counted in ``unlisted``.
    package static let maxListed = 1000

    /// The problems found, in log order within each check.
    package private(set) var findings: [LogVerifier.Finding] = []
    /// Problems beyond the listed ones.
    package private(set) var unlisted = 0
    /// What is not a problem but worth saying (leftovers the next open removes, a write in progress).
    package private(set) var notes: [String] = []
    /// Segments read (superseded ones aside).
    package private(set) var segments = 0
    /// Frames read and verified.
    package private(set) var frames = 0
    /// Records read.
    package private(set) var records = 0
    /// Bytes of the segment files read.
    package private(set) var bytes: Int64 = 0
    /// Workflows started or summarized.
    package private(set) var workflows = 0
    /// The LSN of the first record read, if any.
    package private(set) var firstLSN: LSN?
    /// The LSN of the last record read, if any.
    package private(set) var lastLSN: LSN?

    /// Whether the log is clean.
    package var isClean: Bool { findings.isEmpty && unlisted == 0 }

    /// Verifies the log in `directory`. `lockHolder` is the process holding its lock (an engine), if any: a bad
    /// tail of the last segment is then a write in progress, not a torn tail.
    /// - Throws: ``LogError`` when the directory cannot be listed; every problem after that is a finding.
    package static func run(directory: String, lockHolder: Int32?) async throws -> LogVerification {
        // Every file is read on dedicated threads, never on the cooperative pool.
        let (verifier, estimate) = try await DedicatedThread.run(name: "cairn-verify") {
            let verifier = try LogVerifier(directory: LogDirectory(path: directory), lockHolder: lockHolder)
            return (verifier, verifier.segments.reduce(Int64(0)) { $0 + fileSize($1.path) } / 256)
        }
        var result = LogVerification()
        for finding in verifier.headerFindings { result.add(finding) }
        result.notes = verifier.notes
        result.segments = verifier.segments.count
        var workflows = WorkflowChecks(expected: Int(min(estimate, 50_000_000)))
        var sequence = LogVerifier.Sequence()
        /// Listed findings whose message is to begin with their workflow's ID, read back once the pass is over.
        var needIDs: [(segment: Int, finding: Int)] = []
        let segments = verifier.segments
        // Items sized up front (one per 24 stored bytes, about what a record takes): growing an array of millions
        // copies it, a cost that showed in the profile of the `verify` benchmark.
        let makeVisitor: @Sendable (Int) -> EnvelopeChecks = { index in
            EnvelopeChecks(capacity: Int(fileSize(segments[index].path) / 24))
        }
        await verifier.checkAll(makeVisitor: makeVisitor) { index, check, visitor in
            let segment = segments[index]
            for finding in sequence.findings(after: check, of: segment, isLast: index == segments.count - 1) {
                result.add(finding)
            }
            for finding in check.findings { result.add(finding) }
            result.notes += check.notes
            for item in visitor.items {
                guard let message = workflows.check(item, in: index) else { continue }
                if result.findings.count < maxListed { needIDs.append((index, result.findings.count)) }
                result.add(LogVerifier.Finding(file: segment.name, offset: item.offset, lsn: item.lsn, message: message))
            }
            if check.damaged { workflows.recordsMissing = true }
            result.frames += check.frames
            result.records += check.records
            result.bytes += check.bytes
            if result.firstLSN == nil { result.firstLSN = check.firstLSN }
            result.lastLSN = check.lastLSN ?? result.lastLSN
        }
        for (item, index) in workflows.neverSummarized() {
            if result.findings.count < maxListed { needIDs.append((index, result.findings.count)) }
            let kind = EventKind(rawValue: item.kind)?.displayName ?? "\(item.kind)"
            result.add(LogVerifier.Finding(
                file: segments[index].name, offset: item.offset, lsn: item.lsn,
                message: "has a \(kind) event but was never started, nor summarized after it"))
        }
        result.workflows = workflows.started.count
        // The listed findings that name a workflow: read the IDs back, one pass per segment concerned (at most
        // `maxListed` are listed, so this costs little however many there are).
        let wanted = Dictionary(grouping: needIDs, by: \.segment).mapValues { needs in
            Set(needs.compactMap { result.findings[$0.finding].lsn })
        }
        let found = await withCheckedContinuation { continuation in
            DedicatedThread.start(name: "cairn-verify") {
                var ids: [Int: [LSN: String]] = [:]
                for (segment, lsns) in wanted { ids[segment] = workflowIDs(path: segments[segment].path, lsns: lsns) }
                continuation.resume(returning: ids)
            }.detach()
        }
        for need in needIDs {
            let id = result.findings[need.finding].lsn.flatMap { found[need.segment]?[$0] } ?? "?"
            result.findings[need.finding].message = "workflow '\(id)' \(result.findings[need.finding].message)"
        }
        return result
    }

    private mutating func add(_ finding: LogVerifier.Finding) {
        if findings.count < Self.maxListed { findings.append(finding) } else { unlisted += 1 }
    }

    /// The workflow IDs of the records at `lsns` in a segment, in one pass over it.
    private static func workflowIDs(path: String, lsns: Set<LSN>) -> [LSN: String] {
        guard let reader = try? SegmentReader(path: path) else { return [:] }
        var found: [LSN: String] = [:]
        while found.count < lsns.count {
            guard
                let step = try? reader.next({ lsn, _, record in
                    if lsns.contains(lsn), let range = EnvelopePeek.workflowID(in: record) {
                        found[lsn] = EnvelopePeek.string(range, in: record)
                    }
                }), case .frame = step
            else { break }
        }
        return found
    }

    private static func fileSize(_ path: String) -> Int64 {
        (try? File.open(path, 0, in: PosixFileSystem()).size()) ?? 0
    }
}

/// What a segment's records say about workflows: checked per record on the segment's thread (each an envelope
/// this Cairn reads), kept as small items for the checks that need the whole log before it (``WorkflowChecks``).
struct EnvelopeChecks: SegmentVisitor, Sendable {
    /// How a record relates to its workflow. `kept`: a record compaction keeps with a finished workflow's summary
    /// (``EventKind/Declaration/keptWithSummary``), which may come before the summary with no start before it.
    enum Use: UInt8, Sendable { case start, summary, kept, other }

    /// One record that starts, summarizes or uses a workflow.
    struct Item: Sendable {
        var use: Use
        var kind: UInt8
        var hash: IDHash
        var lsn: LSN
        var offset: Int64
    }

    var items: [Item] = []

    init(capacity: Int) { items.reserveCapacity(capacity) }

    mutating func visit(lsn: LSN, tag: UInt8, record: UnsafeRawBufferPointer, frameOffset: Int64) -> String? {
        let peek: EnvelopePeek
        do { peek = try EnvelopePeek(tag: tag, bytes: record) } catch {
            return "the event cannot be decoded: \(error)"
        }
        let use: Use
        var finding: String?
        switch peek.kind {
        case .messageSent, .engineStopped, .scheduleChanged, .scheduleTicked, .debounceRequested, .queueDeclared:
            // Sends from outside and the engine's own records belong to no started workflow; a debounce's records
            // come before the start of the workflow they name (``ScheduledStarts``).
            return nil
        case .workflowStarted:
            use = .start
        case .workflowSummary:
            use = .summary
            do {
                let event = try Event(lsn: lsn, tag: tag, bytes: record)
                if WorkflowSummaryRecord(event) == nil {
                    finding = "the summary record of workflow '\(event.workflowID)' is malformed"
                }
            } catch {
                return "the event cannot be decoded: \(error)"
            }
        default:
            if peek.workflowID.isEmpty { return "a \(peek.kind.displayName) event without a workflow ID" }
            use = peek.kind.declaration.keptWithSummary ? .kept : .other
        }
        items.append(Item(
            use: use, kind: tag, hash: EnvelopePeek.hash(peek.workflowID, in: record), lsn: lsn, offset: frameOffset))
        return finding
    }
}

/// The checks that need every record before one: a workflow is started once, and used only once started — or, for a
/// record compaction keeps with a summary, summarized later.
struct WorkflowChecks {
    /// Workflows started or summarized so far.
    var started: IDHashSet
    /// Workflows neither started nor summarized yet with a record kept with a summary (a stream's, left by a
    /// compaction before the summary that follows): the first such record, and the segment it lies in.
    private var awaitingSummary: [IDHash: (item: EnvelopeChecks.Item, segment: Int)] = [:]
    /// Set once a segment could not be read: "never started" can no longer be told from "started in what could not
    /// be read", so that check stops there.
    var recordsMissing = false

    init(expected: Int) { started = IDHashSet(minimumCapacity: expected) }

    /// The problem with `item`, of segment `segment`, if any (its message is to be prefixed with the workflow's ID).
    mutating func check(_ item: EnvelopeChecks.Item, in segment: Int) -> String? {
        switch item.use {
        case .start:
            return started.insert(item.hash) ? nil : "is started a second time"
        case .summary:
            _ = started.insert(item.hash)
            awaitingSummary[item.hash] = nil
            return nil
        case .kept:
            if !recordsMissing, !started.contains(item.hash), awaitingSummary[item.hash] == nil {
                awaitingSummary[item.hash] = (item, segment)
            }
            return nil
        case .other:
            guard !recordsMissing, !started.contains(item.hash) else { return nil }
            let kind = EventKind(rawValue: item.kind)?.displayName ?? "\(item.kind)"
            return "has a \(kind) event but was never started"
        }
    }

    /// The records kept with a summary whose workflow was never started before them nor summarized after them, in
    /// log order, with their segments (none once records are missing: the summary may lie in what was not read).
    func neverSummarized() -> [(item: EnvelopeChecks.Item, segment: Int)] {
        recordsMissing ? [] : awaitingSummary.values.sorted { $0.item.lsn < $1.item.lsn }
    }
}
