import ArgumentParser
import Cairn
import CairnLog

/// `cairn verify DIR [--repair]`: every frame, every event, and the invariants the projection relies on.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every frame's checksum and structure, every event's encoding, and the projection's invariants.",
        discussion: """
            Exits 0 when the log is clean and 1 when it found problems, each named by file and byte offset (and LSN \
            when known). Checks: segment headers; each frame's CRC-32C, header, LZ4 block and record structure; LSNs \
            strictly increasing; each record an event envelope this Cairn reads (summary records included); every \
            event but sends belonging to a workflow started (or summarized) before it; no workflow started twice.

            An incomplete last frame is a torn tail when no engine holds the lock (a crash mid-write; the next open \
            cuts it, or --repair now), and a write in progress when one does. --repair cuts a torn tail of the last \
            segment only, and only when no engine holds the lock; damage anywhere else is never cut.

            Examples:
              cairn verify /var/lib/orders/cairn
              cairn verify /var/lib/orders/cairn --repair
              cairn verify /var/lib/orders/cairn --json | jq '.problems[]'
            """)

    @OptionGroup var options: LogOptions

    @Flag(help: "Cut a torn tail off the last segment (refused while an engine holds the lock).")
    var repair = false

    func run() async throws {
        let directory = options.directory
        let json = options.json
        let repair = self.repair
        try await reportingErrors(directory: directory) {
            let access = try LogAccess(directory)
            var result = try Verification(access: access)
            await result.checkSegments()
            var repaired: RecoveryReport?
            if repair, !result.problems.isEmpty {
                guard result.problems.allSatisfy(\.repairable) else {
                    result.print(json: json, repaired: nil)
                    printError("cairn: not repaired: the damage is not a torn tail of the last segment; restore the damaged segment from a backup")
                    throw ExitCode(ExitStatus.problems)
                }
                if let holder = access.lockHolder() {
                    throw CLIError(
                        "refusing to repair: an engine (process \(holder)) holds the log's lock; stop it (its next open cuts the torn tail too)",
                        status: ExitStatus.locked)
                }
                var configuration = LogConfiguration()
                configuration.preallocationStep = 0  // change nothing but the cut
                let log = try Log.openBlocking(at: directory, configuration: configuration)
                repaired = log.recovery
                try await log.close()
                result = try Verification(access: access)
                await result.checkSegments()
            }
            result.print(json: json, repaired: repaired)
            if !result.problems.isEmpty { throw ExitCode(ExitStatus.problems) }
        }
    }
}

/// One pass over every segment of a log, read-only.
struct Verification {
    struct Problem {
        var file: String
        var offset: Int64?
        var lsn: LSN?
        var message: String
        /// A torn tail of the last segment, which `--repair` may cut.
        var repairable = false
    }

    var problems: [Problem] = []
    /// Problems beyond the listed ones (the list is capped).
    var unlisted = 0
    var notes: [String] = []
    var segments = 0
    var frames = 0
    var records = 0
    var bytes: Int64 = 0
    var workflows = 0
    var firstLSN: LSN?
    var lastLSN: LSN?
    static let maxListed = 1000

    init(access: LogAccess) throws {
        let dir = LogDirectory(path: access.directory)
        let listing = try dir.list()
        let holder = access.lockHolder()
        // Headers first: which segments are current, which an interrupted compaction left behind.
        var current: [(name: String, path: String, descriptor: SegmentDescriptor)] = []
        var coveredUntil: UInt64 = 0
        for (name, base) in listing.segments {
            let path = dir.file(name)
            do {
                let reader = try SegmentReader(path: path)
                if reader.header.baseLSN != base {
                    add(Problem(file: name, offset: 16, message: "the header says base LSN \(reader.header.baseLSN) but the file is named for \(base)"))
                    continue
                }
                if base.rawValue < coveredUntil {
                    notes.append("\(name) was replaced by an interrupted compaction's output; the next open removes it")
                    continue
                }
                coveredUntil = max(coveredUntil, reader.header.replacesUntil)
                current.append((name, path, SegmentDescriptor(
                    name: name, path: path, base: base, replacesUntil: reader.header.replacesUntil)))
            } catch {
                add(Problem(file: name, offset: error.offset ?? 0, message: error.message))
            }
        }
        for name in listing.temporaries {
            notes.append("\(name) is a leftover of an interrupted segment creation or compaction; the next open removes it")
        }
        segments = current.count

        self.current = current
        self.holder = holder
    }

    private var current: [(name: String, path: String, descriptor: SegmentDescriptor)] = []
    private var holder: Int32?

    /// What one segment holds, read on a thread of its own: its problems, and the workflow IDs (hashed) its events
    /// start and use, in order, for the checks that need the segments before it.
    struct SegmentPass: Sendable {
        enum Use: UInt8, Sendable { case start, summary, other }
        struct Item: Sendable {
            var use: Use
            var kind: UInt8
            var hash: IDHash
            var lsn: LSN
            var offset: Int64
        }

        var problems: [Problem] = []
        var notes: [String] = []
        var items: [Item] = []
        var frames = 0
        var records = 0
        var firstLSN: LSN?
        var lastLSN: LSN?
        /// The base its seal names for the next segment, if it ends in one.
        var sealedNextBase: LSN?
        /// Records could not be read (the rest of the log cannot say "never started").
        var damaged = false
        var bytes: Int64 = 0
    }

    static func pass(name: String, path: String, isLast: Bool, holder: Int32?) -> SegmentPass {
        var pass = SegmentPass()
        let reader: SegmentReader
        do { reader = try SegmentReader(path: path) } catch {
            pass.problems.append(Problem(file: name, offset: error.offset, message: error.message))
            pass.damaged = true
            return pass
        }
        pass.bytes = fileSize(path)
        pass.items.reserveCapacity(Int(pass.bytes / 24))
        var end = SegmentReader.End.endOfFile
        do {
            frames: while true {
                let step = try reader.next { lsn, tag, record in
                    if pass.firstLSN == nil { pass.firstLSN = lsn }
                    pass.lastLSN = lsn
                    let peek: EnvelopePeek
                    do { peek = try EnvelopePeek(tag: tag, bytes: record) } catch {
                        pass.problems.append(Problem(file: name, offset: reader.offset, lsn: lsn, message: "the event cannot be decoded: \(error)"))
                        return
                    }
                    let use: SegmentPass.Use
                    switch peek.kind {
                    case .messageSent, .engineStopped:
                        return
                    case .workflowStarted:
                        use = .start
                    case .workflowSummary:
                        use = .summary
                        let event = try Event(lsn: lsn, tag: tag, bytes: record)
                        if WorkflowSummaryRecord(event) == nil {
                            pass.problems.append(Problem(
                                file: name, offset: reader.offset, lsn: lsn,
                                message: "the summary record of workflow '\(event.workflowID)' is malformed"))
                        }
                    default:
                        if peek.workflowID.isEmpty {
                            pass.problems.append(Problem(
                                file: name, offset: reader.offset, lsn: lsn, message: "a \(peek.kind.displayName) event without a workflow ID"))
                            return
                        }
                        use = .other
                    }
                    pass.items.append(SegmentPass.Item(
                        use: use, kind: tag, hash: EnvelopePeek.hash(peek.workflowID, in: record), lsn: lsn, offset: reader.offset))
                }
                if case .end(let why) = step {
                    end = why
                    break frames
                }
            }
        } catch {
            pass.problems.append(Problem(file: name, offset: reader.offset, message: "\(error)"))
            pass.damaged = true
            return pass
        }
        pass.frames = reader.frameCount
        pass.records = reader.recordCount
        pass.sealedNextBase = reader.sealedNextBase
        // The last segment's end is judged by the rule recovery applies (SegmentReader.tailVerdict).
        let verdict: SegmentReader.TailVerdict
        if isLast {
            do { verdict = try reader.tailVerdict(end) } catch {
                pass.problems.append(Problem(file: name, offset: reader.offset, message: "\(error)"))
                pass.damaged = true
                return pass
            }
        } else {
            // A sealed segment ends at its last frame, its seal, or a seal a power loss tore (as recovery judges).
            let tornSeal = (try? reader.endsInTornSeal(end)) ?? false
            verdict = end == .endOfFile || tornSeal ? .clean : .torn(end.explanation)
        }
        switch (isLast, verdict) {
        case (_, .clean):
            break
        case (true, .damaged(let valid)):
            pass.problems.append(Problem(
                file: name, offset: reader.offset, lsn: reader.lastLSN,
                message: "damaged (\(end.explanation)), and a later commit's frame follows at offset \(valid): acknowledged records lie beyond the damage"))
        case (true, .torn(let reason)):
            if let holder {
                pass.notes.append("\(name) ends in an incomplete frame at offset \(reader.offset): a write in progress by the engine (process \(holder))")
            } else {
                pass.problems.append(Problem(
                    file: name, offset: reader.offset, lsn: reader.lastLSN,
                    message: "torn tail (\(reason)): \(fileSize(path) - reader.offset) bytes after the last good frame; the next open cuts them, or `cairn verify --repair` now",
                    repairable: true))
            }
        default:
            pass.problems.append(Problem(file: name, offset: reader.offset, lsn: reader.lastLSN, message: "sealed segment damaged: \(end.explanation)"))
            pass.damaged = true
        }
        return pass
    }

    /// Reads every segment, two at a time on the cooperative pool's threads, and checks what needs the order of
    /// the whole log (LSNs across segments, starts before uses, one start per workflow) as their passes arrive.
    mutating func checkSegments() async {
        let current = self.current
        let holder = self.holder
        let estimate = current.reduce(Int64(0)) { $0 + fileSize($1.path) } / 256
        var started = IDHashSet(minimumCapacity: Int(min(estimate, 50_000_000)))
        // Once records are missing (a damaged segment), "never started" can no longer be told from "started in
        // what could not be read": that check stops there.
        var skipped = false
        var previous: LSN?
        // Contiguity (the rule recovery applies): where the next segment must start, while it can be known.
        var expectedBase: LSN?
        var contiguityKnown = true
        // Listed problems whose message is to begin with their workflow's ID, read back once the pass is over.
        var needIDs: [(segment: Int, problem: Int)] = []
        await withTaskGroup(of: (Int, SegmentPass).self) { group in
            var next = 0
            func launch() {
                guard next < current.count else { return }
                let i = next
                let segment = current[i]
                let isLast = i == current.count - 1
                group.addTask { (i, Verification.pass(name: segment.name, path: segment.path, isLast: isLast, holder: holder)) }
                next += 1
            }
            launch()
            launch()
            var ready: [Int: SegmentPass] = [:]
            var consumed = 0
            while consumed < current.count, let (i, pass) = await group.next() {
                ready[i] = pass
                launch()
                while let pass = ready.removeValue(forKey: consumed) {
                    let name = current[consumed].name
                    let descriptor = current[consumed].descriptor
                    if contiguityKnown {
                        do throws(LogError) {
                            try descriptor.checkContiguity(after: expectedBase)
                            if consumed == current.count - 1 { try descriptor.checkIsLast(sealedNextBase: pass.sealedNextBase) }
                        } catch {
                            add(Problem(file: name, offset: error.offset, lsn: error.lsn, message: error.message))
                        }
                    }
                    contiguityKnown = contiguityKnown && !pass.damaged
                    expectedBase = descriptor.successorBase(lastLSN: pass.lastLSN, sealedNextBase: pass.sealedNextBase)
                    if let previous, let first = pass.firstLSN, first <= previous {
                        add(Problem(file: name, offset: Int64(SegmentHeader.size), lsn: first, message: "LSN \(first) does not follow \(previous), the last of the segment before"))
                    }
                    for problem in pass.problems { add(problem) }
                    notes += pass.notes
                    let check = !skipped
                    for item in pass.items {
                        switch item.use {
                        case .start:
                            if !started.insert(item.hash) {
                                if problems.count < Self.maxListed { needIDs.append((consumed, problems.count)) }
                                add(Problem(file: name, offset: item.offset, lsn: item.lsn, message: "is started a second time"))
                            }
                        case .summary:
                            started.insert(item.hash)
                        case .other:
                            if check && !started.contains(item.hash) {
                                let kind = EventKind(rawValue: item.kind)?.displayName ?? "\(item.kind)"
                                if problems.count < Self.maxListed { needIDs.append((consumed, problems.count)) }
                                add(Problem(file: name, offset: item.offset, lsn: item.lsn, message: "has a \(kind) event but was never started"))
                            }
                        }
                    }
                    if pass.damaged { skipped = true }
                    frames += pass.frames
                    records += pass.records
                    bytes += pass.bytes
                    if firstLSN == nil { firstLSN = pass.firstLSN }
                    lastLSN = pass.lastLSN ?? lastLSN
                    previous = pass.lastLSN ?? previous
                    consumed += 1
                }
            }
        }
        workflows = started.count
        // The listed problems that name a workflow: read the IDs back, one pass per segment concerned (at most
        // `maxListed` problems are listed, so this costs little however many there are).
        for (segment, indices) in Dictionary(grouping: needIDs, by: \.segment) {
            let lsns = Set(indices.map { problems[$0.problem].lsn! })
            let ids = Self.workflowIDs(path: current[segment].path, lsns: lsns)
            for need in indices {
                let id = ids[problems[need.problem].lsn!] ?? "?"
                problems[need.problem].message = "workflow '\(id)' \(problems[need.problem].message)"
            }
        }
    }

    /// The workflow IDs of the records at `lsns` in a segment, in one pass over it.
    static func workflowIDs(path: String, lsns: Set<LSN>) -> [LSN: String] {
        guard let reader = try? SegmentReader(path: path) else { return [:] }
        var found: [LSN: String] = [:]
        while found.count < lsns.count {
            guard let step = try? reader.next({ lsn, _, record in
                if lsns.contains(lsn), let range = EnvelopePeek.workflowID(in: record) {
                    found[lsn] = EnvelopePeek.string(range, in: record)
                }
            }), case .frame = step else { break }
        }
        return found
    }

    private mutating func add(_ problem: Problem) {
        if problems.count < Self.maxListed { problems.append(problem) } else { unlisted += 1 }
    }

    func print(json: Bool, repaired: RecoveryReport?) {
        var out = Output()
        if json {
            var w = JSONWriter()
            w.beginObject()
            w.key("ok")
            w.bool(problems.isEmpty)
            w.field("segments", segments)
            w.field("frames", frames)
            w.field("records", records)
            w.field("bytes", Int(bytes))
            w.field("workflows", workflows)
            w.key("problems")
            w.beginArray()
            for p in problems {
                w.beginObject()
                w.field("file", p.file)
                w.field("offset", p.offset)
                w.key("lsn")
                if let lsn = p.lsn { w.number(lsn.rawValue) } else { w.null() }
                w.field("message", p.message)
                w.key("repairable")
                w.bool(p.repairable)
                w.endObject()
            }
            w.endArray()
            w.field("unlistedProblems", unlisted)
            w.key("notes")
            w.beginArray()
            for n in notes { w.string(n) }
            w.endArray()
            w.key("repaired")
            if let tail = repaired?.truncatedTail {
                w.beginObject()
                w.field("file", tail.file)
                w.field("offset", tail.offset)
                w.field("droppedBytes", tail.droppedBytes)
                w.endObject()
            } else {
                w.null()
            }
            w.endObject()
            out.bytes(w.bytes)
            out.line()
        } else {
            if let tail = repaired?.truncatedTail {
                out.line(Style.yellow.apply("repaired: cut \(tail.file) back to offset \(tail.offset) (\(tail.droppedBytes) bytes dropped: \(tail.reason))"))
            }
            if !problems.isEmpty {
                var table = Table([
                    .init(title: "FILE"), .init(title: "OFFSET", alignment: .right), .init(title: "LSN", alignment: .right),
                    .init(title: "PROBLEM"),
                ])
                for p in problems {
                    table.add([
                        (p.file, nil), (p.offset.map { String($0) } ?? "-", nil), (p.lsn.map { String($0.rawValue) } ?? "-", nil),
                        (p.message, .red),
                    ])
                }
                table.render(into: &out)
                if unlisted > 0 { out.line("… and \(Format.count(unlisted)) more problems") }
            }
            for note in notes { out.line(Style.dim.apply("note: " + note)) }
            let what = "\(segments) segments, \(Format.count(frames)) frames, \(Format.count(records)) events, \(Format.count(workflows)) workflows"
            if problems.isEmpty {
                out.line(Style.green.apply("ok") + ": " + what + " verified")
            } else {
                out.line(Style.red.apply("\(Format.count(problems.count + unlisted)) problems") + " in " + what)
            }
        }
        out.flush()
    }
}
