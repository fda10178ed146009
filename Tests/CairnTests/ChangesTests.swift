import Cairn
import CairnLog
import Foundation
import Testing

// MARK: Workflows that change

/// Waits for a message on "start", sets event "progress" to 1 … n, waits for a message on "go", sets "progress" to
/// n + 1 and returns its label followed by the "go" message. Both receives are durable waits (evictable).
private struct Reporter: Workflow {
    static let name = "changes-reporter"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        _ = try await context.receive(String.self, topic: "start")
        for i in 0..<input.n { try await context.setEvent("progress", i + 1) }
        let go = try await context.receive(String.self, topic: "go") ?? "<none>"
        try await context.setEvent("progress", input.n + 1)
        return input.label + go
    }
}

/// Sets event "i" to 1 … n, each time waiting for a message on "ack" before going on: a consumer that acknowledges
/// what it reads keeps its buffer nearly empty, whatever the scheduling.
private struct Acknowledged: Workflow {
    static let name = "changes-acknowledged"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        for i in 0..<input.n {
            try await context.setEvent("i", i + 1)
            _ = try await context.receive(String.self, topic: "ack")
        }
        return input.n
    }
}

/// Returns at once.
private struct Quick: Workflow {
    static let name = "changes-quick"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String { input.label }
}

// MARK: Reading changes

/// A change as text to compare: "<id> <status>" or "<id> <key>=<value JSON>".
private func text(_ change: WorkflowChange) -> String {
    switch change {
    case .status(let summary): "\(summary.id) \(summary.status)"
    case .event(let event): "\(event.workflowID) \(event.key)=\(String(decoding: event.value, as: UTF8.self))"
    }
}

/// Reads `changes` until `last` holds for the change just read, or the sequence ends; fails after 30 s.
private func collect(
    _ changes: WorkflowChanges, sourceLocation: SourceLocation = #_sourceLocation,
    until last: @escaping @Sendable (WorkflowChange) -> Bool = { _ in false }
) async throws -> [WorkflowChange] {
    try await within(.seconds(30), "changes", sourceLocation: sourceLocation) {
        var read: [WorkflowChange] = []
        for try await change in changes {
            read.append(change)
            if last(change) { break }
        }
        return read
    }
}

/// Reads `changes` until the sequence ends or throws; returns what was read and the error.
private func drain(
    _ changes: WorkflowChanges, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> (read: [String], error: (any Error)?) {
    try await within(.seconds(30), "changes to end", sourceLocation: sourceLocation) {
        var read: [String] = []
        do {
            for try await change in changes { read.append(text(change)) }
            return (read, nil)
        } catch {
            return (read, error)
        }
    }
}

/// Whether `change` is workflow `id` reaching `status`.
private func isStatus(_ change: WorkflowChange, _ id: String, _ status: WorkflowStatus) -> Bool {
    if case .status(let summary) = change { return summary.id == id && summary.status == status }
    return false
}

@Suite("Following changes: engine.changes(), handle.updates(), handle.eventValues")
struct ChangesTests {
    @Test("a workflow's changes come in commit order, from its start to its completion, with its result")
    func statusesInOrder() async throws {
        let probe = Probe()
        try await withDirectory("changes") { dir in
            try await withEngine(dir, [Reporter.self]) { engine in
                let changes = engine.changes(id: "r")
                let handle = try await engine.start(Reporter.self, input: ProbeInput(probe: probe.key, n: 2, label: "L "), id: "r")
                try await handle.send("now", topic: "start")
                try await handle.send("go", topic: "go")
                let read = try await collect(changes) { isStatus($0, "r", .completed) }
                #expect(read.map(text) == ["r pending", "r progress=1", "r progress=2", "r progress=3", "r completed"])
                guard case .status(let completed) = read.last else { return }
                #expect(try completed.output(as: String.self) == "L go")
                #expect(completed == engine.summary(of: "r"))
                guard case .event(let event) = read[1] else { return }
                #expect(try event.value(as: Int.self) == 1)
            }
        }
    }

    @Test("updates() gives the current status first, then each change, and ends once the workflow completes")
    func updatesStartWithTheCurrentStatus() async throws {
        let probe = Probe()
        try await withDirectory("changes") { dir in
            try await withEngine(dir, [Reporter.self]) { engine in
                let handle = try await engine.start(Reporter.self, input: ProbeInput(probe: probe.key, n: 1), id: "r")
                try await handle.send("now", topic: "start")
                #expect(try await handle.event(Int.self, key: "progress", timeout: .seconds(30)) == 1)
                // Subscribed after the start and the first event: the current status comes first, then what follows.
                let updates = handle.updates()
                try await handle.send("go", topic: "go")
                let (read, error) = try await drain(updates)
                #expect(error == nil)
                #expect(read.count == 3)
                #expect(["r pending", "r running"].contains(read.first))
                #expect(Array(read.dropFirst()) == ["r progress=2", "r completed"])
                #expect(engine._changeSubscriberCount == 0)

                // Subscribed after the end: its final status, then the end.
                let (after, afterError) = try await drain(handle.updates())
                #expect(after == ["r completed"])
                #expect(afterError == nil)
                #expect(engine._changeSubscriberCount == 0)
            }
        }
    }

    @Test("updates() ends after a cancellation; a resumed workflow is followed by a new call")
    func updatesEndOnCancellation() async throws {
        let probe = Probe()
        try await withDirectory("changes") { dir in
            try await withEngine(dir, [Reporter.self]) { engine in
                let handle = try await engine.start(Reporter.self, input: ProbeInput(probe: probe.key, n: 1), id: "r")
                let updates = handle.updates()
                try await handle.cancel()
                let (read, error) = try await drain(updates)
                #expect(error == nil)
                #expect(read.count == 2)
                #expect(read.last == "r cancelled")
                #expect(engine._changeSubscriberCount == 0)

                // Subscribed before the resume, it would give `cancelled` and end: subscribe after it.
                try await engine.resume("r")
                let resumed = handle.updates()
                try await handle.send("now", topic: "start")
                try await handle.send("go", topic: "go")
                let (after, afterError) = try await drain(resumed)
                #expect(afterError == nil)
                #expect(["r pending", "r running"].contains(after.first))
                #expect(Array(after.dropFirst()) == ["r progress=1", "r progress=2", "r completed"])
            }
        }
    }

    @Test("updates() of an unknown ID throws notFound")
    func updatesOfUnknownWorkflow() async throws {
        try await withDirectory("changes") { dir in
            try await withEngine(dir, [Reporter.self]) { engine in
                let (read, error) = try await drain(engine.handle(for: "nobody", of: Reporter.self).updates())
                #expect(read.isEmpty)
                #expect(code(error) == .notFound)
                #expect(engine._changeSubscriberCount == 0)
            }
        }
    }

    @Test("eventValues gives an event's values typed, in order, the current one first, and ends with the workflow")
    func typedEventValues() async throws {
        let probe = Probe()
        try await withDirectory("changes") { dir in
            try await withEngine(dir, [Reporter.self]) { engine in
                let handle = try await engine.start(Reporter.self, input: ProbeInput(probe: probe.key, n: 3), id: "r")
                let values = handle.eventValues(Int.self, key: "progress")
                let other = handle.eventValues(Int.self, key: "other")
                try await handle.send("now", topic: "start")
                try await handle.send("go", topic: "go")
                let read = try await within { try await values.reduce(into: [Int]()) { $0.append($1) } }
                #expect(read == [1, 2, 3, 4])
                #expect(try await within { try await other.reduce(into: [Int]()) { $0.append($1) } } == [])
                // Subscribed after the end: the last value, then the end.
                let last = handle.eventValues(Int.self, key: "progress")
                #expect(try await within { try await last.reduce(into: [Int]()) { $0.append($1) } } == [4])
                // A value of another type is a named error.
                let error = await caught {
                    for try await _ in handle.eventValues(String.self, key: "progress") {}
                }
                #expect(code(error) == .undecodablePayload)
            }
        }
    }

    @Test("several subscribers each see every change; a name filter keeps its workflows only")
    func severalSubscribers() async throws {
        let probe = Probe()
        try await withDirectory("changes") { dir in
            let unmatched = try await withEngine(dir, [Reporter.self, Quick.self]) { engine in
                let first = engine.changes()
                let second = engine.changes()
                let reporters = engine.changes(name: Reporter.name)
                let unmatched = engine.changes(name: Quick.name, id: "r")
                #expect(engine._changeSubscriberCount == 4)
                _ = try await result(try await engine.start(Quick.self, input: ProbeInput(probe: probe.key, label: "q"), id: "q"))
                let handle = try await engine.start(Reporter.self, input: ProbeInput(probe: probe.key, n: 1), id: "r")
                let updates = handle.updates()
                try await handle.send("now", topic: "start")
                try await handle.send("go", topic: "go")
                let done: @Sendable (WorkflowChange) -> Bool = { isStatus($0, "r", .completed) }
                let expected = ["q pending", "q completed", "r pending", "r progress=1", "r progress=2", "r completed"]
                #expect(try await collect(first, until: done).map(text) == expected)
                #expect(try await collect(second, until: done).map(text) == expected)
                #expect(try await collect(reporters, until: done).map(text) == expected.filter { $0.hasPrefix("r ") })
                let (read, error) = try await drain(updates)
                #expect(error == nil)
                #expect(read.suffix(3) == ["r progress=1", "r progress=2", "r completed"])
                return unmatched
            }
            // Nothing matched both filters; the engine's shutdown ended the sequence.
            let (read, error) = try await drain(unmatched)
            #expect(read.isEmpty)
            #expect(code(error) == .shuttingDown)
        }
    }

    @Test("a consumer that falls behind the bound gets fellBehind after what it buffered; the others go on")
    func slowConsumer() async throws {
        let probe = Probe()
        var configuration = testConfiguration()
        configuration.maxBufferedChanges = 3
        try await withDirectory("changes") { dir in
            try await withEngine(dir, [Acknowledged.self, Quick.self], configuration: configuration) { engine in
                let slow = engine.changes()
                let fast = engine.changes()
                let reader = Task {
                    var read: [String] = []
                    for try await change in fast {
                        read.append(text(change))
                        if case .event(let event) = change {
                            try await engine.send("ack", to: event.workflowID, topic: "ack")
                        }
                        if isStatus(change, "q", .completed) { break }
                    }
                    return read
                }
                let handle = try await engine.start(Acknowledged.self, input: ProbeInput(probe: probe.key, n: 5), id: "a")
                #expect(try await result(handle) == 5)
                // The slow one was unsubscribed when its buffer overflowed; the fast one is still there.
                try await eventually("the slow subscriber removed") { engine._changeSubscriberCount == 1 }
                // The engine goes on, and so does the fast consumer.
                _ = try await result(try await engine.start(Quick.self, input: ProbeInput(probe: probe.key, label: "q"), id: "q"))
                let fastRead = try await within { try await reader.value }
                #expect(fastRead == ["a pending"] + (1...5).map { "a i=\($0)" } + ["a completed", "q pending", "q completed"])

                let (slowRead, error) = try await drain(slow)
                #expect(slowRead == ["a pending", "a i=1", "a i=2"])
                let failure = try #require(error as? WorkflowError)
                #expect(failure.code == .fellBehind)
                #expect(failure.message.contains("maxBufferedChanges"))
                #expect(engine._changeSubscriberCount == 1)  // the fast one: its sequence is still held here
            }
        }
    }

    @Test("cancelling the consumer's task, or dropping the sequence, unsubscribes")
    func cancellingUnsubscribes() async throws {
        try await withDirectory("changes") { dir in
            try await withEngine(dir, [Reporter.self]) { engine in
                let changes = engine.changes()
                #expect(engine._changeSubscriberCount == 1)
                let consumer = Task {
                    var read = 0
                    for try await _ in changes { read += 1 }
                    return read
                }
                consumer.cancel()
                let consumed = try await within { try await consumer.value }
                #expect(consumed == 0)
                #expect(engine._changeSubscriberCount == 0)

                // Dropped without being read, and dropped while being read from.
                do {
                    let unread = engine.changes()
                    #expect(engine._changeSubscriberCount == 1)
                    _ = unread
                }
                #expect(engine._changeSubscriberCount == 0)
                do {
                    var iterator = engine.changes().makeAsyncIterator()
                    #expect(engine._changeSubscriberCount == 1)
                    _ = iterator
                    iterator = engine.changes(name: "other").makeAsyncIterator()
                    #expect(engine._changeSubscriberCount == 1)
                    _ = iterator
                }
                #expect(engine._changeSubscriberCount == 0)
            }
        }
    }

    @Test("shutdown ends every sequence with shuttingDown; a subscription after it ends at once")
    func shutdownEndsSequences() async throws {
        let probe = Probe()
        try await withDirectory("changes") { dir in
            let running = try await RunningEngine.start(dir, [Reporter.self])
            let engine = running.engine
            let handle = try await engine.start(Reporter.self, input: ProbeInput(probe: probe.key), id: "r")
            let changes = engine.changes()
            let updates = handle.updates()
            let values = handle.eventValues(Int.self, key: "progress")
            #expect(engine._changeSubscriberCount == 3)
            try await running.shutdown()
            #expect(engine._changeSubscriberCount == 0)

            let (read, error) = try await drain(changes)
            #expect(read.isEmpty)
            #expect(code(error) == .shuttingDown)
            let (updated, updatesError) = try await drain(updates)
            #expect(updated.count == 1)  // the current status
            #expect(code(updatesError) == .shuttingDown)
            let valuesError = await caught { for try await _ in values {} }
            #expect(code(valuesError) == .shuttingDown)

            let (late, lateError) = try await drain(engine.changes())
            #expect(late.isEmpty)
            #expect(code(lateError) == .shuttingDown)
            let (lateUpdates, lateUpdatesError) = try await drain(handle.updates())
            #expect(lateUpdates == ["r pending"])
            #expect(code(lateUpdatesError) == .shuttingDown)
            #expect(engine._changeSubscriberCount == 0)
        }
    }

    @Test("a workflow evicted from memory while it waits changes as one that stays cached", arguments: [false, true])
    func evictedWorkflow(evicting: Bool) async throws {
        let probe = Probe()
        var configuration = testConfiguration()
        if evicting { configuration.maxCachedWorkflows = 0 }
        try await withDirectory("changes") { dir in
            try await withEngine(dir, [Reporter.self], configuration: configuration) { engine in
                let changes = engine.changes(id: "r")
                let handle = try await engine.start(Reporter.self, input: ProbeInput(probe: probe.key, n: 2, label: "L "), id: "r")
                func waits() async throws {
                    try await eventually("r waiting (\(engine.activity))", timeout: .seconds(15)) {
                        evicting
                            ? engine.activity.waiting == 1 && engine.activity.cached == 0
                            : engine.activity.cached == 1
                    }
                }
                try await waits()
                try await handle.send("now", topic: "start")
                try await within(.seconds(30), "progress 2") {
                    while try await handle.event(Int.self, key: "progress") != 2 { try await Task.sleep(for: .milliseconds(1)) }
                }
                try await waits()
                try await handle.send("go", topic: "go")
                let read = try await collect(changes) { isStatus($0, "r", .completed) }
                #expect(read.map(text) == ["r pending", "r progress=1", "r progress=2", "r progress=3", "r completed"])
                #expect(try await result(handle) == "L go")
            }
        }
    }
}
