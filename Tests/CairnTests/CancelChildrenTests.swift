import Cairn
import CairnLog
import Foundation
import Synchronization
import Testing

/// A workflow that starts a child of its own kind (`<id>-c`) while `depth` > 0, then returns the first message on
/// "go" — or, with `waits` false, returns at once and leaves its child running.
private struct Tree: Workflow {
    static let name = "test-cancel-tree"
    struct Input: Codable, Sendable {
        var depth: Int
        var waits = true
    }

    static func run(_ context: WorkflowContext, input: Input) async throws -> String {
        if input.depth > 0 {
            _ = try await context.startChild(Tree.self, input: Input(depth: input.depth - 1), id: "\(context.workflowID)-c")
        }
        guard input.waits else { return "left" }
        return try await context.receive(String.self, topic: "go") ?? "<none>"
    }
}

/// The size (in records) of every commit the log makes.
private final class Commits: Sendable {
    private let sizes = Mutex<[Int]>([])
    var all: [Int] { sizes.withLock { $0 } }
    func reset() { sizes.withLock { $0 = [] } }
    var observer: @Sendable (LogCommit) -> Void { { [self] commit in sizes.withLock { $0.append(commit.records) } } }
}

@Suite("Cancelling a workflow reaches its children")
struct CancelChildrenTests {
    private static let tree = ["root", "root-c", "root-c-c"]

    private static func startTree(_ engine: WorkflowEngine, waits: Bool = true) async throws -> WorkflowHandle<Tree> {
        let handle = try await engine.start(Tree.self, input: Tree.Input(depth: 2, waits: waits), id: "root")
        // Each waits in its receive (recorded as it begins), so nothing more is written until the test acts.
        try await eventually("the tree waiting") {
            engine.summary(of: "root-c-c")?.historyCount == 1 && engine.summary(of: "root-c")?.historyCount == 2
                && (!waits || engine.summary(of: "root")?.historyCount == 2)
        }
        return handle
    }

    @Test("cancel cancels the unfinished descendants in one commit; a restart finds them all cancelled; each resumes")
    func cancelReachesDescendantsDurably() async throws {
        try await withDirectory { dir in
            let commits = Commits()
            var configuration = testConfiguration()
            configuration.log.commitObserver = commits.observer
            let first = try await RunningEngine.start(dir, [Tree.self], configuration: configuration)
            let root = try await Self.startTree(first.engine)
            for id in Self.tree { try await waitForStatus(first.engine, id, .running) }
            commits.reset()
            try await root.cancel()
            // The observer may hear of the commit just after the appender resumed.
            try await eventually("the cancellations' commit observed") { !commits.all.isEmpty }
            #expect(commits.all == [3], "the three cancellations in one commit: \(commits.all)")
            for id in Self.tree { #expect(first.engine.summary(of: id)?.status == .cancelled, "\(id)") }
            try await first.crash()

            let second = try await RunningEngine.start(dir, [Tree.self])
            for id in Self.tree { #expect(second.engine.summary(of: id)?.status == .cancelled, "\(id) after the restart") }
            #expect(code(await caught { _ = try await root.result() }) == .cancelled)
            for id in Self.tree.reversed() {
                try await second.engine.resume(id)
                try await second.engine.send("go \(id)", to: id, topic: "go")
                #expect(try await result(second.engine.handle(for: id, of: Tree.self)) == "go \(id)")
            }
            try await second.shutdown()
        }
    }

    @Test("includingChildren: false cancels only the workflow; its children keep running and finish")
    func cancelKeepsChildren() async throws {
        try await withDirectory { dir in
            try await withEngine(dir, [Tree.self]) { engine in
                _ = try await Self.startTree(engine)
                try await engine.cancel("root", includingChildren: false)
                #expect(engine.summary(of: "root")?.status == .cancelled)
                for id in ["root-c", "root-c-c"] {
                    try await engine.send("go", to: id, topic: "go")
                    #expect(try await result(engine.handle(for: id, of: Tree.self)) == "go")
                }
            }
        }
    }

    @Test("cancelling a finished parent cancels the children it left running; finished ones stay finished")
    func finishedParentsChildren() async throws {
        try await withDirectory { dir in
            let first = try await RunningEngine.start(dir, [Tree.self])
            let root = try await Self.startTree(first.engine, waits: false)
            #expect(try await result(root) == "left")
            try await first.engine.send("go", to: "root-c-c", topic: "go")
            _ = try await result(first.engine.handle(for: "root-c-c", of: Tree.self))
            try await waitForStatus(first.engine, "root-c", .running)
            try await root.cancel()
            #expect(first.engine.summary(of: "root")?.status == .completed)
            #expect(first.engine.summary(of: "root-c")?.status == .cancelled)
            #expect(first.engine.summary(of: "root-c-c")?.status == .completed)
            try await first.crash()

            let second = try await RunningEngine.start(dir, [Tree.self])
            #expect(second.engine.list(status: [.cancelled]).map(\.id) == ["root-c"])
            try await second.shutdown()
        }
    }
}
