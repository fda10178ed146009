import Cairn
import CairnLog
import Testing

/// `cairn list`'s lightweight index must say exactly what the engine's projection says about every summary.
@Suite struct WorkflowIndexTests {
    func summaries(_ directory: String) throws -> (index: [String: WorkflowSummary], projection: [String: WorkflowSummary]) {
        var index = WorkflowIndex()
        var projection = LogProjection()
        try LogReader(directory: directory).scan { record in
            try index.apply(record)
            try projection.apply(record)
            return true
        }
        var a: [String: WorkflowSummary] = [:]
        index.forEach { a[$0.id] = $0 }
        var b: [String: WorkflowSummary] = [:]
        projection.forEachSummary { s in
            var s = s
            s.historyCount = 0
            b[s.id] = s
        }
        return (a, b)
    }

    @Test func indexAgreesWithTheProjection() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        // Park one workflow, cancel another, so every lifecycle kind is there.
        let running = try await RunningEngine.open(log.directory)
        try await running.engine.cancel(log.waiting[0])
        try await running.stop()
        var (index, projection) = try summaries(log.directory)
        #expect(index.count == log.workflowCount)
        #expect(index == projection)
        #expect(index[log.waiting[0]]?.status == .cancelled)
        // And after a compaction, from summary records.
        #expect(try cairn(["compact", log.directory, "--keep-finished", "7d"]).status == 0)
        (index, projection) = try summaries(log.directory)
        #expect(index == projection)
        #expect(index["greet-3"]?.status == .completed)
    }

    @Test func copiedAndRepeatedSendsAreNotUndelivered() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let log = try await Log.open(at: directory)
        func send(_ topic: String, key: String? = nil, flags: Event.Flags = []) -> LogRecord {
            Event(
                kind: .messageSent, workflowID: "", name: topic, time: 1, target: "receiver", idempotencyKey: key,
                flags: flags, payload: Array("\"hello\"".utf8)
            ).record()
        }
        _ = try await log.append(contentsOf: [
            send("plain"),
            send("keyed", key: "k1"),
            send("keyed", key: "k1"),  // a repeat: ignored by the projection
            send("keyed", key: "k2"),
            send("copied", flags: .copied),  // copied into a fork: delivered to the original already
        ])
        try await log.close()
        var index = WorkflowIndex(mailbox: true)
        try LogReader(directory: directory).scan { record in
            try index.apply(record)
            return true
        }
        #expect(index.undeliveredCount == 3)
    }
}
