import ArgumentParser
import Cairn
import CairnCLIArguments
import CairnLog
import Foundation

/// `cairn inspect DIR`: segments, sizes, LSN range, frames, compression ratio, workflows by status, queues.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a log's segments, sizes, LSN range, frames, compression ratio, workflows by status and queues.",
        discussion: """
            Reads the whole log without taking its lock (works while an engine runs).

            Examples:
              cairn inspect /var/lib/orders/cairn
              cairn inspect /var/lib/orders/cairn --json | jq .workflows
            """)

    @OptionGroup var options: LogOptions

    func run() async throws {
        let directory = options.directory
        try await reportingErrors(directory: directory) {
            let access = try LogAccess(directory)
            let catalog = try access.catalog()
            var index = WorkflowIndex(expectedWorkflows: access.expectedWorkflows, mailbox: true)
            var starts = ScheduledStarts()
            let report = try access.reader.verify { record in
                try index.apply(record)
                try starts.apply(record)
            }
            var counts: [WorkflowStatus: Int] = [:]
            index.forEach { counts[$0.status, default: 0] += 1 }
            let holder = access.lockHolder()
            let queues = index.queueStates(now: nowNanoseconds())
            var segments: [(name: String, base: LSN, size: Int64, compacted: Bool)] = []
            for s in catalog.segments {
                segments.append((s.name, s.base, fileSize(s.path), s.replacesUntil != 0))
            }
            let total = segments.reduce(Int64(0)) { $0 + $1.size }
            let ratio = report.storedBytes > 0 ? Double(report.rawBytes) / Double(report.storedBytes) : 0
            var out = Output()
            if options.json {
                var w = JSONWriter()
                w.beginObject()
                w.field("directory", directory)
                w.key("lockedBy")
                if let holder { w.number(Int(holder)) } else { w.null() }
                w.key("segments")
                w.beginArray()
                for (i, s) in segments.enumerated() {
                    w.beginObject()
                    w.field("name", s.name)
                    w.key("baseLSN")
                    w.number(s.base.rawValue)
                    w.field("bytes", Int(s.size))
                    w.field("state", i == segments.count - 1 ? "active" : "sealed")
                    w.key("compacted")
                    w.bool(s.compacted)
                    w.endObject()
                }
                w.endArray()
                w.field("bytes", Int(total))
                w.key("firstLSN")
                if let l = report.firstLSN { w.number(l.rawValue) } else { w.null() }
                w.key("lastLSN")
                if let l = report.lastLSN { w.number(l.rawValue) } else { w.null() }
                w.field("records", report.recordCount)
                w.field("frames", report.frameCount)
                w.field("rawBytes", report.rawBytes)
                w.field("storedBytes", report.storedBytes)
                w.key("compressionRatio")
                w.double((ratio * 100).rounded() / 100)
                w.key("workflows")
                w.beginObject()
                w.field("total", index.count)
                for status in WorkflowStatus.allCases { w.field(status.rawValue, counts[status] ?? 0) }
                w.endObject()
                w.key("queues")
                w.beginArray()
                for q in queues { QueueFormat.json(q, into: &w) }
                w.endArray()
                w.field("undeliveredMessages", index.undeliveredCount)
                w.field("eventValues", index.eventValueCount)
                Self.writeScheduledStarts(starts, to: &w)
                w.key("incompleteTail")
                if let tail = report.truncatedTail {
                    w.beginObject()
                    w.field("file", tail.file)
                    w.field("offset", tail.offset)
                    w.field("reason", tail.reason)
                    w.endObject()
                } else {
                    w.null()
                }
                w.endObject()
                out.bytes(w.bytes)
                out.line()
            } else {
                func row(_ label: String, _ value: String) { out.line(Style.bold.apply(label.padding(13)) + value) }
                row("Log", directory)
                row("Lock", holder.map { "held by process \($0) (an engine is running)" } ?? "free (no engine has the log open)")
                row("Segments", "\(segments.count), \(Format.bytes(total)) on disk")
                var table = Table([
                    .init(title: "SEGMENT"), .init(title: "BASE LSN", alignment: .right), .init(title: "SIZE", alignment: .right),
                    .init(title: "STATE"),
                ])
                for (i, s) in segments.enumerated() {
                    let state = (i == segments.count - 1 ? "active" : "sealed") + (s.compacted ? ", compacted" : "")
                    table.add([(s.name, nil), (Format.count(Int(s.base.rawValue)), nil), (Format.bytes(s.size), nil), (state, .dim)])
                }
                for line in table.lines() { out.line("  " + line) }
                if let first = report.firstLSN, let last = report.lastLSN {
                    row("LSN range", "\(Format.count(Int(first.rawValue))) … \(Format.count(Int(last.rawValue)))")
                } else {
                    row("LSN range", "empty")
                }
                row("Records", "\(Format.count(report.recordCount)) in \(Format.count(report.frameCount)) frames")
                row("Compression", "\(Format.bytes(Int64(report.rawBytes))) raw → \(Format.bytes(Int64(report.storedBytes))) stored, ratio \(String(format: "%.2f", ratio))")
                var parts: [String] = []
                for status in WorkflowStatus.allCases where (counts[status] ?? 0) > 0 {
                    parts.append(Style.status(status).apply("\(status) \(Format.count(counts[status]!))"))
                }
                row("Workflows", Format.count(index.count) + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", ")))
                row("Queues", queues.isEmpty ? "none" : "\(queues.count)")
                if !queues.isEmpty { for line in QueueFormat.table(queues).lines() { out.line("  " + line) } }
                row("Messages", "\(Format.count(index.undeliveredCount)) undelivered")
                row("Events", "\(Format.count(index.eventValueCount)) values set")
                for (label, value, table) in Self.scheduledStartRows(starts) {
                    row(label, value)
                    for line in table { out.line("  " + line) }
                }
                if let tail = report.truncatedTail {
                    let why = holder != nil ? "a frame being written" : "a torn tail the next open cuts; `cairn verify --repair` cuts it now"
                    row("Tail", Style.yellow.apply("incomplete frame in \(tail.file) at offset \(tail.offset) (\(tail.reason)): \(why)"))
                } else {
                    row("Tail", "clean")
                }
                if !catalog.temporaries.isEmpty || !catalog.superseded.isEmpty {
                    row("Leftovers", (catalog.temporaries + catalog.superseded).joined(separator: ", ") + " (an interrupted compaction or roll; the next open removes them)")
                }
            }
            out.flush()
            exitWithoutTeardown(index)
        }
    }
}

func fileSize(_ path: String) -> Int64 {
    var st = stat()
    return stat(path, &st) == 0 ? Int64(st.st_size) : 0
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
