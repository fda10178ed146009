@testable import Cairn
import CairnLog
import Foundation
import Synchronization
import Testing

/// Counts the queued workflows whose step is in progress, per group, and the most seen at once.
private final class Occupancy: Sendable {
    private struct State {
        var now: [String: Int] = [:]
        var most: [String: Int] = [:]
        var order: [String] = []
    }
    private let state = Mutex(State())
    private static let shared = Mutex<[String: Occupancy]>([:])

    /// The occupancy named `key`, made by the first to ask (atomically: concurrent workflows ask at once).
    static func named(_ key: String) -> Occupancy {
        shared.withLock { all in
            if let found = all[key] { return found }
            let made = Occupancy()
            all[key] = made
            return made
        }
    }

    func enter(_ groups: [String], id: String) {
        state.withLock { s in
            s.order.append(id)
            for g in groups {
                s.now[g, default: 0] += 1
                s.most[g] = max(s.most[g] ?? 0, s.now[g]!)
            }
        }
    }

    func leave(_ groups: [String]) { state.withLock { s in for g in groups { s.now[g]! -= 1 } } }
    func most(_ group: String) -> Int { state.withLock { $0.most[group] ?? 0 } }
    var order: [String] { state.withLock { $0.order } }
}

/// A queued workflow: records its start, holds "in progress" for a moment (or until a message on "go", which holds
/// its queue slot while it waits), and returns its ID.
private struct Queued: Workflow {
    static let name = "test-queued"
    struct Input: Codable, Sendable {
        var probe: String
        var partition = ""
        var waitForGo = false
    }

    static func run(_ context: WorkflowContext, input: Input) async throws -> String {
        let id = context.workflowID
        let groups = ["all", "partition-\(input.partition)"]
        _ = try await context.step("work") { () async throws -> Bool in
            let occupancy = Occupancy.named(input.probe)
            occupancy.enter(groups, id: id)
            defer { occupancy.leave(groups) }
            try await Task.sleep(for: .milliseconds(2))
            return true
        }
        if input.waitForGo { _ = try await context.receive(String.self, topic: "go") }
        return id
    }
}

/// Starts a queued child, then returns the child's result.
private struct QueuedParent: Workflow {
    static let name = "test-queued-parent"
    static let children: [any Workflow.Type] = [Queued.self]
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        let child = try await context.startChild(
            Queued.self, input: Queued.Input(probe: input), id: "\(context.workflowID)-child",
            options: StartOptions(queue: "one"))
        return try await child.result()
    }
}

private func configuration(_ queues: [WorkflowQueue], clock: (any WorkflowClock)? = nil) -> EngineConfiguration {
    var configuration = testConfiguration(clock: clock)
    configuration.queues = queues
    return configuration
}

private func statuses(_ engine: WorkflowEngine, _ ids: [String]) -> [WorkflowStatus: Int] {
    var counts: [WorkflowStatus: Int] = [:]
    for id in ids { counts[engine.summary(of: id)?.status ?? .failed, default: 0] += 1 }
    return counts
}

/// The number of records of `kind` for workflow `id` in the log.
private func records(_ engine: WorkflowEngine, _ id: String, _ kind: EventKind) async throws -> Int {
    try await engine.history(of: id).collect().filter { $0.kind == kind }.count
}

@Suite("Durable queues")
struct QueueTests {
    @Test("a queue's concurrency is never exceeded under load, and every workflow runs once", arguments: [false, true])
    func concurrencyUnderLoad(perWorker: Bool) async throws {
        let probe = UUID().uuidString
        let queue = perWorker ? WorkflowQueue("q", workerConcurrency: 3) : WorkflowQueue("q", concurrency: 3)
        try await withDirectory { dir in
            try await withEngine(dir, [Queued.self], configuration: configuration([queue])) { engine in
                let handles = try await withThrowingTaskGroup(of: WorkflowHandle<Queued>.self) { group in
                    for i in 0..<40 {
                        group.addTask {
                            try await engine.start(
                                Queued.self, input: .init(probe: probe), id: "w\(i)", options: StartOptions(queue: "q"))
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                for handle in handles { #expect(try await result(handle) == handle.id) }
                #expect(Occupancy.named(probe).most("all") == 3, "at most 3 at once, and the limit was reached")
                #expect(Occupancy.named(probe).order.count == 40, "each ran its step once")
                for handle in handles { #expect(try await records(engine, handle.id, .workflowDequeued) == 1) }
            }
        }
    }

    @Test(
        "slots are held through a crash: the restarted engine starts no more than the limit, and dequeues nothing twice",
        arguments: ["concurrency", "workerConcurrency", "partitionConcurrency"])
    func limitAcrossCrash(limit: String) async throws {
        let probe = UUID().uuidString
        let ids = (0..<6).map { "c\($0)" }
        let queue = switch limit {
        case "concurrency": WorkflowQueue("q", concurrency: 2)
        case "workerConcurrency": WorkflowQueue("q", workerConcurrency: 2)
        default: WorkflowQueue("q", partitionConcurrency: 2)
        }
        // One partition for all: the partition limit is the only one.
        let options = limit == "partitionConcurrency" ? StartOptions(queue: "q", partitionKey: "p") : StartOptions(queue: "q")
        try await withDirectory { dir in
            let config = configuration([queue])
            let first = try await RunningEngine.start(dir, [Queued.self], configuration: config)
            for id in ids {
                _ = try await first.engine.start(
                    Queued.self, input: .init(probe: probe, partition: "p", waitForGo: true), id: id, options: options)
            }
            try await eventually("two dequeued") { statuses(first.engine, ids)[.enqueued] == 4 }
            try await first.crash()

            let second = try await RunningEngine.start(dir, [Queued.self], configuration: config)
            #expect(statuses(second.engine, ids)[.enqueued] == 4, "still four waiting: \(statuses(second.engine, ids))")
            for round in 0..<6 {
                let active = ids.filter { [.pending, .running].contains(second.engine.summary(of: $0)?.status) }
                #expect(active.count <= 2, "round \(round): \(active)")
                guard let next = active.first else { break }
                try await second.engine.send("go", to: next, topic: "go")
                try await waitForStatus(second.engine, next, .completed)
                try await eventually("the freed slot taken") {
                    let s = statuses(second.engine, ids)
                    return (s[.enqueued] ?? 0) == 0 || (s[.pending] ?? 0) + (s[.running] ?? 0) == 2
                }
            }
            #expect(statuses(second.engine, ids)[.completed] == 6)
            for id in ids { #expect(try await records(second.engine, id, .workflowDequeued) == 1, "\(id)") }
            try await second.shutdown()
        }
    }

    @Test("order: priority first (lower first), then enqueue order")
    func priorityThenFIFO() async throws {
        let probe = UUID().uuidString
        try await withDirectory { dir in
            try await withEngine(dir, [Queued.self], configuration: configuration([WorkflowQueue("q", concurrency: 1)])) { engine in
                // The first holds the only slot until told to go, so the rest queue up behind it.
                _ = try await engine.start(
                    Queued.self, input: .init(probe: probe, waitForGo: true), id: "first", options: StartOptions(queue: "q"))
                try await waitForStatus(engine, "first", .running)
                let plan: [(String, Int)] = [("a", 5), ("b", 1), ("c", 5), ("d", 0), ("e", 1), ("f", -3)]
                var handles: [WorkflowHandle<Queued>] = []
                for (id, priority) in plan {
                    handles.append(try await engine.start(
                        Queued.self, input: .init(probe: probe), id: id, options: StartOptions(queue: "q", priority: priority)))
                }
                #expect(statuses(engine, plan.map(\.0))[.enqueued] == plan.count)
                try await engine.send("go", to: "first", topic: "go")
                for handle in handles { _ = try await result(handle) }
                #expect(Occupancy.named(probe).order == ["first", "f", "d", "b", "e", "a", "c"])
            }
        }
    }

    @Test("partition concurrency bounds each partition key, while partitions run side by side")
    func partitions() async throws {
        let probe = UUID().uuidString
        let queue = WorkflowQueue("q", concurrency: 10, partitionConcurrency: 1)
        try await withDirectory { dir in
            try await withEngine(dir, [Queued.self], configuration: configuration([queue])) { engine in
                var handles: [WorkflowHandle<Queued>] = []
                for i in 0..<12 {
                    let partition = ["red", "blue", "green"][i % 3]
                    handles.append(try await engine.start(
                        Queued.self, input: .init(probe: probe, partition: partition), id: "p\(i)",
                        options: StartOptions(queue: "q", partitionKey: partition)))
                }
                for handle in handles { _ = try await result(handle) }
                let occupancy = Occupancy.named(probe)
                for partition in ["red", "blue", "green"] { #expect(occupancy.most("partition-\(partition)") == 1, "\(partition)") }
                #expect(occupancy.most("all") <= 3)
            }
        }
    }

    @Test("a rate limit spaces dequeues, and its window survives a crash")
    func rateLimitAcrossRestart() async throws {
        let probe = UUID().uuidString
        let clock = ManualClock()
        let config = configuration([WorkflowQueue("q", rateLimit: .init(2, per: .seconds(10)))], clock: clock)
        let ids = (0..<5).map { "r\($0)" }
        try await withDirectory { dir in
            let first = try await RunningEngine.start(dir, [Queued.self], configuration: config)
            for id in ids {
                _ = try await first.engine.start(Queued.self, input: .init(probe: probe), id: id, options: StartOptions(queue: "q"))
            }
            try await eventually("two run") { statuses(first.engine, ids)[.completed] == 2 }
            #expect(statuses(first.engine, ids)[.enqueued] == 3)
            try await first.crash()

            let second = try await RunningEngine.start(dir, [Queued.self], configuration: config)
            clock.advance(by: .seconds(5))
            try await Task.sleep(for: .milliseconds(100))
            #expect(statuses(second.engine, ids)[.enqueued] == 3, "the window still holds two starts")
            clock.advance(by: .seconds(5))
            try await eventually("two more") { statuses(second.engine, ids)[.completed] == 4 }
            #expect(statuses(second.engine, ids)[.enqueued] == 1)
            clock.advance(by: .seconds(10))
            try await eventually("the last") { statuses(second.engine, ids)[.completed] == 5 }
            try await second.shutdown()
        }
    }

    @Test("deduplication: reject writes nothing; returnExisting returns the holder; the ID is free once it settles")
    func deduplication() async throws {
        let probe = UUID().uuidString
        try await withDirectory { dir in
            try await withEngine(dir, [Queued.self], configuration: configuration([WorkflowQueue("q", concurrency: 5)])) { engine in
                let options = StartOptions(queue: "q", deduplicationID: "order-7")
                let holder = try await engine.start(
                    Queued.self, input: .init(probe: probe, waitForGo: true), id: "d1", options: options)
                let before = engine.log?.lastLSN
                let refused = await caught {
                    _ = try await engine.start(Queued.self, input: .init(probe: probe), id: "d2", options: options)
                }
                #expect(code(refused) == .duplicate)
                #expect("\(refused!)".contains("d1"))
                #expect(engine.summary(of: "d2") == nil)
                #expect(engine.log?.lastLSN == before, "nothing written")
                var existing = options
                existing.onDuplicate = .returnExisting
                let returned = try await engine.start(Queued.self, input: .init(probe: probe), id: "d3", options: existing)
                #expect(returned.id == "d1")
                #expect(engine.summary(of: "d3") == nil)
                // Another queue, another scope.
                try await engine.send("go", to: holder.id, topic: "go")
                _ = try await result(holder)
                let after = try await engine.start(Queued.self, input: .init(probe: probe), id: "d4", options: options)
                #expect(try await result(after) == "d4")
            }
        }
    }

    @Test("concurrent starts with one deduplication ID write exactly one workflow")
    func concurrentDeduplication() async throws {
        let probe = UUID().uuidString
        try await withDirectory { dir in
            try await withEngine(dir, [Queued.self], configuration: configuration([WorkflowQueue("q")])) { engine in
                let options = StartOptions(queue: "q", deduplicationID: "k", onDuplicate: .returnExisting)
                let ids = try await withThrowingTaskGroup(of: String.self) { group in
                    for i in 0..<20 {
                        group.addTask {
                            try await engine.start(
                                Queued.self, input: .init(probe: probe, waitForGo: true), id: "k\(i)", options: options
                            ).id
                        }
                    }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(ids.count == 1, "\(ids)")
                let written = (0..<20).filter { engine.summary(of: "k\($0)") != nil }
                #expect(written.count == 1)
                try await engine.send("go", to: ids.first!, topic: "go")
            }
        }
    }

    @Test("a delayed start waits for its time, through a restart")
    func delayedStart() async throws {
        let probe = UUID().uuidString
        let clock = ManualClock()
        try await withDirectory { dir in
            let config = configuration([], clock: clock)
            let first = try await RunningEngine.start(dir, [Queued.self], configuration: config)
            let handle = try await first.engine.start(
                Queued.self, input: .init(probe: probe), id: "later", options: StartOptions(delay: .seconds(60)))
            #expect(first.engine.summary(of: "later")?.status == .enqueued)
            clock.advance(by: .seconds(30))
            try await Task.sleep(for: .milliseconds(50))
            #expect(first.engine.summary(of: "later")?.status == .enqueued)
            try await first.crash()

            let second = try await RunningEngine.start(dir, [Queued.self], configuration: config)
            #expect(second.engine.summary(of: "later")?.status == .enqueued)
            clock.advance(by: .seconds(29))
            try await Task.sleep(for: .milliseconds(50))
            #expect(second.engine.summary(of: "later")?.status == .enqueued)
            clock.advance(by: .seconds(1))
            #expect(try await result(second.engine.handle(for: handle.id, of: Queued.self)) == "later")
            #expect(Occupancy.named(probe).order == ["later"])
            try await second.shutdown()
        }
    }

    @Test("a workflow enqueues a child durably; it runs when its queue allows")
    func enqueueFromWorkflow() async throws {
        let probe = UUID().uuidString
        try await withDirectory { dir in
            try await withEngine(dir, [QueuedParent.self], configuration: configuration([WorkflowQueue("one", concurrency: 1)])) { engine in
                let handle = try await engine.start(QueuedParent.self, input: probe, id: "parent")
                #expect(try await result(handle) == "parent-child")
                let kinds = try await engine.history(of: "parent-child").collect().map(\.kind)
                #expect(kinds.prefix(3) == [.workflowStarted, .workflowEnqueued, .workflowDequeued])
            }
        }
    }

    @Test("a cancelled queued workflow leaves its queue; resumed, it waits in it again")
    func cancelAndResumeQueued() async throws {
        let probe = UUID().uuidString
        try await withDirectory { dir in
            try await withEngine(dir, [Queued.self], configuration: configuration([WorkflowQueue("q", concurrency: 1)])) { engine in
                let blocker = try await engine.start(
                    Queued.self, input: .init(probe: probe, waitForGo: true), id: "blocker", options: StartOptions(queue: "q"))
                try await waitForStatus(engine, "blocker", .running)
                let waiting = try await engine.start(Queued.self, input: .init(probe: probe), id: "waiting", options: StartOptions(queue: "q"))
                try await engine.cancel("waiting")
                #expect(engine.summary(of: "waiting")?.status == .cancelled)
                try await engine.resume("waiting")
                #expect(engine.summary(of: "waiting")?.status == .enqueued)
                try await engine.send("go", to: blocker.id, topic: "go")
                #expect(try await result(waiting) == "waiting")
            }
        }
    }

    @Test("bad input is refused before anything is written")
    func badInput() async throws {
        try await withDirectory { dir in
            try await withEngine(dir, [Queued.self], configuration: configuration([WorkflowQueue("q")])) { engine in
                let before = engine.log?.lastLSN
                let cases: [(StartOptions, WorkflowError.Code)] = [
                    (StartOptions(queue: "nope"), .unknownQueue),
                    (StartOptions(queue: "q", partitionKey: "p"), .invalidArgument),
                    (StartOptions(partitionKey: "p"), .invalidArgument),
                    (StartOptions(timeout: .zero), .invalidArgument),
                    (StartOptions(timeout: .seconds(-1)), .invalidArgument),
                    (StartOptions(delay: .seconds(-1)), .invalidArgument),
                    (StartOptions(queue: "q", deduplicationID: ""), .invalidArgument),
                ]
                for (options, expected) in cases {
                    let error = await caught {
                        _ = try await engine.start(Queued.self, input: .init(probe: "x"), id: "bad", options: options)
                    }
                    #expect(code(error) == expected, "\(options)")
                }
                #expect(engine.summary(of: "bad") == nil)
                #expect(engine.log?.lastLSN == before)
            }
            let invalid: [WorkflowQueue] = [
                WorkflowQueue("", concurrency: 1), WorkflowQueue("a", concurrency: 0), WorkflowQueue("a", workerConcurrency: -1),
                WorkflowQueue("a", partitionConcurrency: 0), WorkflowQueue("a", rateLimit: .init(-1, per: .seconds(1))),
                WorkflowQueue("a", rateLimit: .init(1, per: .zero)),
            ]
            for queue in invalid {
                let error = await caught { _ = try await WorkflowEngine.open(directory: dir, configuration: configuration([queue])) }
                #expect(code(error) == .invalidArgument, "\(queue)")
            }
            let twice = await caught {
                _ = try await WorkflowEngine.open(directory: dir, configuration: configuration([WorkflowQueue("a"), WorkflowQueue("a")]))
            }
            #expect(code(twice) == .invalidArgument)
        }
    }
}
