import Cairn
import CairnLog
import Foundation
import Testing

/// The engine-level verification `cairn verify` formats lives in the library: what it finds is asserted here
/// directly, and the tool's output formats for payloads and times are pinned.
@Suite struct LogVerificationTests {
    @Test func aHealthyLogIsCleanAndFullyCounted() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let report = try LogReader(directory: log.directory).verify()
        let result = try await LogVerification.run(directory: log.directory, lockHolder: nil)
        #expect(result.isClean, "\(result.findings)")
        #expect(result.records == report.recordCount)
        #expect(result.frames == report.frameCount)
        #expect(result.segments == report.segmentCount)
        #expect(result.lastLSN == report.lastLSN)
        #expect(result.workflows == projectionStatesCount(log.directory))
    }

    /// The checks that need the whole log: a use before the start, a second start, a malformed summary, and an
    /// unknown record, each located (file, frame offset, LSN) and naming its workflow.
    @Test func findsWhatTheEngineWouldRefuse() async throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        let log = try await Log.open(at: path)
        let events = [
            Event(kind: .workflowStarted, workflowID: "a", name: "greet", time: 1, payload: Array("1".utf8)),
            Event(kind: .stepCompleted, workflowID: "ghost", position: Position([0]), name: "s", time: 3, payload: []),
            Event(kind: .workflowStarted, workflowID: "a", name: "greet", time: 4, payload: Array("1".utf8)),
            Event(kind: .workflowSummary, workflowID: "b", name: "greet", time: 5, number: 1, payload: [9, 9]),
            Event(kind: .messageSent, workflowID: "", name: "t", time: 6, target: "nobody", payload: []),
        ]
        _ = try await log.append(contentsOf: events.map { $0.record() } + [LogRecord(tag: 200, payload: [1])])
        try await log.close()
        let result = try await LogVerification.run(directory: path, lockHolder: nil)
        let messages = result.findings.map(\.message)
        #expect(messages.count == 4, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("workflow 'ghost' has a") && $0.hasSuffix("event but was never started") })
        #expect(messages.contains("workflow 'a' is started a second time"))
        #expect(messages.contains("the summary record of workflow 'b' is malformed"))
        #expect(messages.contains { $0.hasPrefix("the event cannot be decoded") })
        #expect(result.findings.allSatisfy { $0.lsn != nil && ($0.offset ?? 0) >= 40 && !$0.repairable })
        #expect(result.workflows == 2)  // a, and b's summary
    }

    /// A stream's records may precede their workflow's summary (compaction keeps them, and drops the start before
    /// them); one that no summary follows is a workflow that was never started.
    @Test func streamRecordsNeedAStartBeforeOrASummaryAfter() async throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        let log = try await Log.open(at: path)
        let site = CallSite(file: "F.swift", line: 1)
        let events = [
            Event(kind: .streamWritten, workflowID: "kept", position: Position([0]), name: "s", callSite: site, time: 1, payload: Array("1".utf8)),
            Event(kind: .streamWritten, workflowID: "lost", position: Position([0]), name: "s", callSite: site, time: 2, payload: Array("1".utf8)),
            Event(kind: .streamClosed, workflowID: "kept", position: Position([1]), name: "s", callSite: site, time: 3),
            Event(kind: .workflowSummary, workflowID: "kept", name: "greet", time: 4, number: 1, payload: [9, 9]),
        ]
        _ = try await log.append(contentsOf: events.map { $0.record() })
        try await log.close()
        let result = try await LogVerification.run(directory: path, lockHolder: nil)
        let messages = result.findings.map(\.message)
        #expect(messages.count == 2, "\(messages)")
        #expect(messages.contains("workflow 'lost' has a stream write event but was never started, nor summarized after it"))
        #expect(messages.contains("the summary record of workflow 'kept' is malformed"))
        #expect(result.findings.first { $0.message.contains("'lost'") }?.lsn == LSN(2))
    }

    /// Payloads go into JSON as they are only when they are RFC 8259 JSON in UTF-8: bytes Foundation would read as
    /// UTF-16, with a byte-order mark or a trailing comma become a string, and other bytes base64; times are UTC with
    /// milliseconds, rounded down.
    @Test func exportFormatsPayloadsAndTimes() async throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        let log = try await Log.open(at: path)
        let payloads: [[UInt8]] = [
            Array("{\"a\":[1,2.5e3,\"x\"]}".utf8), Array("1\0".utf8), [0xEF, 0xBB, 0xBF] + Array("{}".utf8), [0xFF, 0x00, 0x80],
            Array("01".utf8), Array("\"t\"".utf8), Array("[1,]".utf8),
        ]
        let times: [Int64] = [1_738_332_309_123_999_999, -1, 0, 5, 6, 7, 8]
        var events: [Event] = []
        for (i, payload) in payloads.enumerated() {
            events.append(Event(kind: .workflowStarted, workflowID: "w\(i)", name: "n", time: times[i], payload: payload))
        }
        _ = try await log.append(contentsOf: events.map { $0.record() })
        try await log.close()
        let result = try cairn(["export", path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try result.jsonLines()
        try #require(lines.count == payloads.count)
        #expect((lines[0]["payload"] as? [String: Any])?["a"] != nil)
        #expect(lines[1]["payload"] as? String == "1\0")
        #expect(lines[2]["payload"] is String)
        #expect((lines[3]["payload"] as? [String: Any])?["base64"] as? String == "/wCA")
        #expect(lines[4]["payload"] as? String == "01")
        #expect(lines[5]["payload"] as? String == "t")
        #expect(lines[6]["payload"] as? String == "[1,]")  // a trailing comma is not JSON (Foundation's parser takes it)
        #expect(lines[0]["time"] as? String == "2025-01-31T14:05:09.123Z")
        #expect(lines[1]["time"] as? String == "1969-12-31T23:59:59.999Z")
        #expect(lines[2]["time"] as? String == "1970-01-01T00:00:00.000Z")
    }

    private func projectionStatesCount(_ directory: String) -> Int {
        (try? projectionStates(directory).count) ?? -1
    }
}
