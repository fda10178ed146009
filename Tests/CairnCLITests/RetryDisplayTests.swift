import Cairn
import CairnLog
import Foundation
import Testing

/// A step that always fails, tried up to 5 times an hour apart: it stays in its first retry wait.
private struct RetriesHourly: Workflow {
    static let name = "retries-hourly"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        let policy = RetryPolicy(maxAttempts: 5, initialInterval: .seconds(3600), maxInterval: .seconds(3600))
        return try await context.step("charge", retry: policy) { () -> String in
            throw TestFailure(description: "gateway \(input) timed out")
        }
    }
}

/// How the CLI shows a workflow waiting for its step's next attempt.
@Suite struct RetryDisplayTests {
    /// A log holding one workflow, "r", in its first retry wait; returns the wait's deadline.
    private static func logInRetryWait(_ directory: String) async throws -> Int64 {
        var configuration = EngineConfiguration()
        configuration.log.durability = .never
        configuration.log.preallocationStep = 0
        let engine = try await WorkflowEngine.open(directory: directory, configuration: configuration, workflows: [RetriesHourly.self])
        let task = Task { try await engine.run() }
        _ = try await engine.start(RetriesHourly.self, input: "eu-1", id: "r")
        let limit = ContinuousClock.now + .seconds(30)
        var deadline: Int64?
        while deadline == nil, ContinuousClock.now < limit {
            for event in try await engine.history(of: "r").collect() {
                if case .retrying(_, _, let next, _) = event.details { deadline = Int64(next.timeIntervalSince1970 * 1e9) }
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        await engine.shutdown()
        _ = try? await task.value
        return try #require(deadline, "no retry wait recorded")
    }

    @Test func showSaysWhenTheNextAttemptRuns() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        _ = try await Self.logInRetryWait(directory)
        let json = try #require(try cairn(["show", directory, "r", "--json"]).json() as? [String: Any])
        let events = try #require(json["events"] as? [[String: Any]])
        let wait = try #require(events.first { $0["kind"] as? String == "retryWaitStarted" }, "\(events)")
        let at = try #require(wait["deadline"] as? String)
        #expect(wait["attempt"] as? Int == 1 && wait["maxAttempts"] as? Int == 5)
        #expect(wait["errorType"] as? String == "CairnCLITests.TestFailure")
        #expect(wait["payload"] as? String == "gateway eu-1 timed out")
        let retrying = try #require((json["workflow"] as? [String: Any])?["retrying"] as? [String: Any])
        #expect(retrying["at"] as? String == at && retrying["attempt"] as? Int == 1)

        let table = try cairn(["show", directory, "r"])
        #expect(table.status == 0, "\(table.stderr)")
        let line = "retrying at \(at) (attempt 1 of 5 failed: CairnCLITests.TestFailure: gateway eu-1 timed out)"
        #expect(table.stdout.contains(line), "\(table.stdout)")
        #expect(table.stdout.contains("retrying "), "the history names the kind")

        // Export and tail show the kind by its declaration.
        let exported = try cairn(["export", directory]).jsonLines()
        #expect(exported.contains { $0["kind"] as? String == "retryWaitStarted" && $0["attempt"] as? Int == 1 })
        let tail = try cairn(["tail", directory, "--workflow", "r"])
        #expect(tail.stdout.contains("retrying") && tail.stdout.contains("attempt 1 of 5 failed"), "\(tail.stdout)")
    }

    @Test func showOfAFinishedRetrySaysNothingOfAWait() async throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/replay/retry").path
        let table = try cairn(["show", fixture, "retry-1"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("completed"))
        #expect(table.stdout.contains("attempt 2 of 5 failed"), "the history shows each failed attempt")
        #expect(!table.stdout.contains("retrying at"), "a finished workflow waits for nothing")
    }
}
