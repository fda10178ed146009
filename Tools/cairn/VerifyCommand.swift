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
        var current: [(name: String, path: String)] = []
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
                current.append((name, path))
            } catch {
                add(Problem(file: name, offset: error.offset ?? 0, message: error.message))
            }
        }
        for name in listing.temporaries {
            notes.append("\(name) is a leftover of an interrupted segment creation or compaction; the next open removes it")
        }
        segments = current.count

        // Once records are missing (a damaged frame), "never started" can no longer be told from "started in
        // what could not be read": that check stops there.
        var skipped = false
        let estimate = listing.segments.reduce(Int64(0)) { $0 + fileSize(dir.file($1.name)) } / 256
        var started = IDHashSet(minimumCapacity: Int(min(estimate, 50_000_000)))
        var previous: LSN?
        var first: LSN?
        var last: LSN?
        var found: [Problem] = []
        for (index, segment) in current.enumerated() {
            let isLast = index == current.count - 1
            let reader: SegmentReader
            do { reader = try SegmentReader(path: segment.path, following: previous) } catch {
                add(Problem(file: segment.name, offset: error.offset, message: error.message))
                skipped = true
                continue
            }
            bytes += fileSize(segment.path)
            var end = SegmentReader.End.endOfFile
            let name = segment.name
            let checkUse = !skipped
            do {
                frames: while true {
                    let step = try reader.next { lsn, tag, record in
                        if first == nil { first = lsn }
                        last = lsn
                        let peek: EnvelopePeek
                        do { peek = try EnvelopePeek(tag: tag, bytes: record) } catch {
                            found.append(Problem(file: name, offset: reader.offset, lsn: lsn, message: "the event cannot be decoded: \(error)"))
                            return
                        }
                        switch peek.kind {
                        case .messageSent, .engineStopped:
                            return
                        case .workflowStarted:
                            if !started.insert(EnvelopePeek.hash(peek.workflowID, in: record)) {
                                let id = EnvelopePeek.string(peek.workflowID, in: record)
                                found.append(Problem(file: name, offset: reader.offset, lsn: lsn, message: "workflow '\(id)' is started a second time"))
                            }
                        case .workflowSummary:
                            let event = try Event(lsn: lsn, tag: tag, bytes: record)
                            if WorkflowSummaryRecord(event) == nil {
                                found.append(Problem(file: name, offset: reader.offset, lsn: lsn, message: "the summary record of workflow '\(event.workflowID)' is malformed"))
                            }
                            started.insert(EnvelopePeek.hash(peek.workflowID, in: record))
                        default:
                            if peek.workflowID.isEmpty || (checkUse && !started.contains(EnvelopePeek.hash(peek.workflowID, in: record))) {
                                let id = EnvelopePeek.string(peek.workflowID, in: record)
                                found.append(Problem(
                                    file: name, offset: reader.offset, lsn: lsn,
                                    message: "a \(peek.kind.displayName) event of workflow '\(id)', which was never started"))
                            }
                        }
                    }
                    if !found.isEmpty {
                        for p in found { add(p) }
                        found.removeAll()
                    }
                    if case .end(let why) = step {
                        end = why
                        break frames
                    }
                }
            } catch let error as LogError {
                add(Problem(file: segment.name, offset: reader.offset, message: error.message))
                skipped = true
                continue
            }
            frames += reader.frameCount
            records += reader.recordCount
            previous = reader.lastLSN ?? previous
            switch (isLast, end) {
            case (_, .endOfFile), (true, .zeroes):
                break
            case (true, .invalid(let reason)):
                if let valid = try reader.findValidFrame(after: reader.offset) {
                    add(Problem(
                        file: segment.name, offset: reader.offset, lsn: reader.lastLSN,
                        message: "damaged (\(reason)), and a valid frame follows at offset \(valid): acknowledged records lie beyond the damage"))
                } else if let holder {
                    notes.append("\(segment.name) ends in an incomplete frame at offset \(reader.offset): a write in progress by the engine (process \(holder))")
                } else {
                    let size = fileSize(segment.path)
                    add(Problem(
                        file: segment.name, offset: reader.offset, lsn: reader.lastLSN,
                        message: "torn tail (\(reason)): \(size - reader.offset) bytes after the last good frame; the next open cuts them, or `cairn verify --repair` now",
                        repairable: true))
                }
            default:
                add(Problem(file: segment.name, offset: reader.offset, lsn: reader.lastLSN, message: "sealed segment damaged: \(end.explanation)"))
                skipped = true
            }
        }
        workflows = started.count
        firstLSN = first
        lastLSN = last
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
