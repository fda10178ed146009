import Cairn
import CairnLog
import Foundation
import Testing

/// `cairn list` says why queued and delayed workflows wait; `cairn inspect` shows each queue's depth and limits.
@Suite struct QueueDisplayTests {
    /// A log where queue "q" (concurrency 1) runs one `Waits` and holds two, and one start is delayed by a day.
    private static func queuedLog(_ directory: String) async throws {
        var configuration = EngineConfiguration()
        configuration.log.durability = .never
        configuration.log.preallocationStep = 0
        configuration.queues = [
            WorkflowQueue("q", concurrency: 1, rateLimit: .init(5, per: .seconds(60))),
            WorkflowQueue("r", rateLimit: .init(1, per: .seconds(3600))),
        ]
        let engine = try await WorkflowEngine.open(directory: directory, configuration: configuration, workflows: allWorkflows)
        let task = Task { try await engine.run() }
        for i in 0..<3 { _ = try await engine.start(Waits.self, input: "q\(i)", id: "q\(i)", options: StartOptions(queue: "q")) }
        _ = try await engine.start(Greet.self, input: "later", id: "later", options: StartOptions(delay: .seconds(86_400)))
        let first = try await engine.start(Greet.self, input: "r0", id: "r0", options: StartOptions(queue: "r"))
        _ = try await engine.start(Greet.self, input: "r1", id: "r1", options: StartOptions(queue: "r"))
        _ = try await first.result()
        for _ in 0..<200 where engine.summary(of: "q0")?.historyCount ?? 0 < 2 { try await Task.sleep(for: .milliseconds(10)) }
        await engine.shutdown()
        try await task.value
    }

    @Test func listSaysWhyEachWaitsAndInspectShowsQueues() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try await Self.queuedLog(directory)

        let enqueued = try #require(try cairn(["list", directory, "--json", "--status", "enqueued"]).json() as? [[String: Any]])
        let reasons = Dictionary(uniqueKeysWithValues: enqueued.map { ($0["id"] as! String, $0["waitingFor"] as? String ?? "") })
        #expect(Set(reasons.keys) == ["q1", "q2", "later", "r1"])
        #expect(reasons["r1"] == "queue 'r': 0 ahead, 0 running (at its rate limit of 1 per 3600.0 seconds)")
        #expect(reasons["q1"] == "queue 'q': 0 ahead, 1 running (at its concurrency limit)")
        #expect(reasons["q2"] == "queue 'q': 1 ahead, 1 running (at its concurrency limit)")
        #expect(reasons["later"]?.hasPrefix("delayed until ") == true)
        let table = try cairn(["list", directory])
        #expect(table.status == 0)
        #expect(table.stdout.contains("enqueued") && table.stdout.contains("1 ahead"))

        let json = try #require(try cairn(["inspect", directory, "--json"]).json() as? [String: Any])
        let queues = try #require(json["queues"] as? [[String: Any]])
        let q = try #require(queues.first { $0["name"] as? String == "q" })
        #expect(q["waiting"] as? Int == 2)
        #expect(q["running"] as? Int == 1)
        let limits = try #require(q["limits"] as? [String: Any])
        #expect(limits["concurrency"] as? Int == 1)
        #expect((limits["rateLimit"] as? [String: Any])?["count"] as? Int == 5)
        let delayed = try #require(queues.first { $0["name"] as? String == "" })
        #expect(delayed["delayed"] as? Int == 1)
        let text = try cairn(["inspect", directory])
        #expect(text.stdout.contains("QUEUE") && text.stdout.contains("concurrency 1"))
        let verify = try cairn(["verify", directory])
        #expect(verify.status == 0, "queue records are no finding: \(verify.stdout) \(verify.stderr)")
    }
}
