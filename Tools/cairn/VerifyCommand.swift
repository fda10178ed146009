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
            var result = try await LogVerification.run(directory: access.directory, lockHolder: access.lockHolder())
            var repaired: RecoveryReport?
            if repair, !result.isClean {
                guard result.findings.allSatisfy(\.repairable), result.unlisted == 0 else {
                    VerifyReport(result).print(json: json, repaired: nil)
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
                result = try await LogVerification.run(directory: access.directory, lockHolder: access.lockHolder())
            }
            VerifyReport(result).print(json: json, repaired: repaired)
            if !result.isClean { throw ExitCode(ExitStatus.problems) }
        }
    }
}

/// How `verify` shows a ``LogVerification``: a table of problems and a line of counts, or one JSON object.
struct VerifyReport {
    let result: LogVerification

    init(_ result: LogVerification) { self.result = result }

    func print(json: Bool, repaired: RecoveryReport?) {
        var out = Output()
        if json {
            var w = JSONWriter()
            w.beginObject()
            w.key("ok")
            w.bool(result.isClean)
            w.field("segments", result.segments)
            w.field("frames", result.frames)
            w.field("records", result.records)
            w.field("bytes", Int(result.bytes))
            w.field("workflows", result.workflows)
            w.key("problems")
            w.beginArray()
            for p in result.findings {
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
            w.field("unlistedProblems", result.unlisted)
            w.key("notes")
            w.beginArray()
            for n in result.notes { w.string(n) }
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
            if !result.findings.isEmpty {
                var table = Table([
                    .init(title: "FILE"), .init(title: "OFFSET", alignment: .right), .init(title: "LSN", alignment: .right),
                    .init(title: "PROBLEM"),
                ])
                for p in result.findings {
                    table.add([
                        (p.file, nil), (p.offset.map { String($0) } ?? "-", nil), (p.lsn.map { String($0.rawValue) } ?? "-", nil),
                        (p.message, .red),
                    ])
                }
                table.render(into: &out)
                if result.unlisted > 0 { out.line("… and \(Format.count(result.unlisted)) more problems") }
            }
            for note in result.notes { out.line(Style.dim.apply("note: " + note)) }
            let what = "\(result.segments) segments, \(Format.count(result.frames)) frames, \(Format.count(result.records)) events, \(Format.count(result.workflows)) workflows"
            if result.isClean {
                out.line(Style.green.apply("ok") + ": " + what + " verified")
            } else {
                out.line(Style.red.apply("\(Format.count(result.findings.count + result.unlisted)) problems") + " in " + what)
            }
        }
        out.flush()
    }
}
