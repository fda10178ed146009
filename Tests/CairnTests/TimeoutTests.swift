@testable import Cairn
import Foundation
import Testing

/// Starts a child of its own kind (`<id>-c`, with `childTimeout` if set) while `depth` > 0, then waits for a message
/// on "go" and returns it.
private struct Nested: Workflow {
    static let name = "test-timeout-nested"
    struct Input: Codable, Sendable {
        var depth: Int
        var childTimeoutSeconds: Int?
    }

    static func run(_ context: WorkflowContext, input: Input) async throws -> String {
        if input.depth > 0 {
            let child = Input(depth: input.depth - 1)
            let id = "\(context.workflowID)-c"
            if let seconds = input.childTimeoutSeconds {
                _ = try await context.startChild(Nested.self, input: child, id: id, options: StartOptions(timeout: .seconds(seconds)))
            } else {
                _ = try await context.startChild(Nested.self, input: child, id: id)
            }
        }
        return try await context.receive(String.self, topic: "go") ?? "<none>"
    }
}

/// A step that waits (in real time) until its task is cancelled, noting that it saw the cancellation.
private struct LongStep: Workflow {
    static let name = "test-timeout-long-step"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        try await context.step("long") { () async throws -> String in
            do {
                try await Task.sleep(for: .seconds(600))
            } catch is CancellationError {
                Probe.get(input).hit("cancelled")
                throw CancellationError()
            }
            return "finished"
        }
    }
}

@Suite("Workflow timeouts")
struct TimeoutTests {
    private static let tree = ["root", "root-c", "root-c-c"]

    @Test("a deadline cascades through two levels of children, and fires at open when it passed while down")
    func cascadeAcrossRestart() async throws {
        let clock = ManualClock()
        let configuration = testConfiguration(clock: clock)
        try await withDirectory { dir in
            let first = try await RunningEngine.start(dir, [Nested.self], configuration: configuration)
            let root = try await first.engine.start(
                Nested.self, input: .init(depth: 2), id: "root", options: StartOptions(timeout: .seconds(10)))
            for id in Self.tree { try await waitForStatus(first.engine, id, .running) }
            let deadline = try #require(first.engine.summary(of: "root")?.deadline)
            #expect(deadline == clock.now() + Duration.seconds(10).nanos)
            for id in Self.tree { #expect(first.engine.summary(of: id)?.deadline == deadline, "\(id) inherits the deadline") }
            try await first.crash()

            clock.advance(by: .seconds(11))
            let second = try await RunningEngine.start(dir, [Nested.self], configuration: configuration)
            for id in Self.tree {
                try await waitForStatus(second.engine, id, .cancelled)
                #expect(second.engine.summary(of: id)?.timedOut == true, "\(id)")
            }
            #expect(code(await caught { _ = try await second.engine.handle(for: root.id, of: Nested.self).result() }) == .timedOut)
            let kinds = try await second.engine.history(of: "root").collect().map(\.details)
            #expect(kinds.contains(.timedOut))
            try await second.shutdown()
        }
    }

    @Test("a deadline passing while the workflow runs cancels it and its children; resumed, it goes on without one")
    func liveDeadline() async throws {
        let clock = ManualClock()
        try await withDirectory { dir in
            try await withEngine(dir, [Nested.self], configuration: testConfiguration(clock: clock)) { engine in
                let root = try await engine.start(
                    Nested.self, input: .init(depth: 1, childTimeoutSeconds: 100), id: "root",
                    options: StartOptions(timeout: .seconds(10)))
                try await waitForStatus(engine, "root-c", .running)
                let rootDeadline = try #require(engine.summary(of: "root")?.deadline)
                #expect(engine.summary(of: "root-c")?.deadline == clock.now() + Duration.seconds(100).nanos, "its own deadline")
                #expect(engine.summary(of: "root-c")?.deadline != rootDeadline)
                clock.advance(by: .seconds(9))
                try await Task.sleep(for: .milliseconds(50))
                #expect(engine.summary(of: "root")?.status == .running)
                clock.advance(by: .seconds(1))
                try await waitForStatus(engine, "root", .cancelled)
                try await waitForStatus(engine, "root-c", .cancelled)
                let error = await caught { _ = try await root.result() }
                #expect(code(error) == .timedOut)
                // Resumed: no deadline any more, and it finishes.
                try await engine.resume("root")
                #expect(engine.summary(of: "root")?.deadline == nil)
                #expect(engine.summary(of: "root")?.timedOut == false)
                try await engine.send("late", to: "root", topic: "go")
                #expect(try await result(root) == "late")
            }
        }
    }

    @Test("the step in flight sees its task cancelled when the deadline passes")
    func stepSeesCancellation() async throws {
        let clock = ManualClock()
        let probe = Probe()
        try await withDirectory { dir in
            try await withEngine(dir, [LongStep.self], configuration: testConfiguration(clock: clock)) { engine in
                let handle = try await engine.start(LongStep.self, input: probe.key, id: "long", timeout: .seconds(5))
                try await waitForStatus(engine, "long", .running)
                clock.advance(by: .seconds(5))
                #expect(code(await caught { _ = try await result(handle) }) == .timedOut)
                try await eventually("the step saw the cancellation") { probe.count("cancelled") == 1 }
                #expect(engine.summary(of: "long")?.status == .cancelled)
            }
        }
    }

    @Test("a queued workflow's deadline counts while it waits in its queue")
    func queuedDeadline() async throws {
        let clock = ManualClock()
        var configuration = testConfiguration(clock: clock)
        configuration.queues = [WorkflowQueue("q", concurrency: 1)]
        try await withDirectory { dir in
            try await withEngine(dir, [Nested.self], configuration: configuration) { engine in
                _ = try await engine.start(Nested.self, input: .init(depth: 0), id: "holder", options: StartOptions(queue: "q"))
                try await waitForStatus(engine, "holder", .running)
                let queued = try await engine.start(
                    Nested.self, input: .init(depth: 0), id: "queued", options: StartOptions(queue: "q", timeout: .seconds(3)))
                #expect(engine.summary(of: "queued")?.status == .enqueued)
                clock.advance(by: .seconds(3))
                #expect(code(await caught { _ = try await result(queued) }) == .timedOut)
                try await engine.send("go", to: "holder", topic: "go")
                try await waitForStatus(engine, "holder", .completed)
                #expect(engine.summary(of: "queued")?.status == .cancelled, "a timed-out workflow is not dequeued")
            }
        }
    }
}
