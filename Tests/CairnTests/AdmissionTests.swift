import Cairn
import Synchronization
import Testing

/// A gate step bodies wait at until the test opens it, counting how many are inside at once.
private final class Gate: Sendable {
    private struct State {
        var inside = 0
        var mostInside = 0
        var isOpen = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private static let gates = Mutex([String: Gate]())

    static func named(_ name: String) -> Gate {
        gates.withLock { gates in
            if let gate = gates[name] { return gate }
            let gate = Gate()
            gates[name] = gate
            return gate
        }
    }

    var inside: Int { state.withLock { $0.inside } }
    var mostInside: Int { state.withLock { $0.mostInside } }

    func pass() async {
        state.withLock { s in
            s.inside += 1
            s.mostInside = max(s.mostInside, s.inside)
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.isOpen { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
        state.withLock { $0.inside -= 1 }
    }

    func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.isOpen = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// One step that waits at the gate named by the input.
private struct GatedStep: Workflow {
    static let name = "test-gated-step"
    static func run(_ context: WorkflowContext, input gate: String) async throws -> Int {
        try await context.step("at-the-gate") {
            await Gate.named(gate).pass()
            return 1
        }
    }
}

/// Waits for a message, then returns it.
private struct WaitsForMessage: Workflow {
    static let name = "test-waits-for-message"
    static func run(_ context: WorkflowContext, input: Int) async throws -> String {
        try await context.receive(String.self, topic: "go") ?? "none"
    }
}

/// Doubles its input in a child workflow.
private struct ChildDoubler: Workflow {
    static let name = "test-child-doubler"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.step("double") { input * 2 }
    }
}

/// Runs a child in each of several parallel branches and sums their results.
private struct FansOutToChildren: Workflow {
    static let name = "test-fans-out-to-children"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.map(Array(1...input)) { branch, i in
            try await branch.runChild(ChildDoubler.self, input: i)
        }.reduce(0, +)
    }
}

private struct FirstAttemptFails: Error {}

/// A step that fails its first attempt, then pauses an hour before the next.
private struct RetriesSlowly: Workflow {
    static let name = "test-retries-slowly"
    static let attempts = Mutex(0)
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.step("flaky", retry: RetryPolicy(maxAttempts: 2, initialInterval: .seconds(3600))) {
            let attempt = attempts.withLock { n in
                n += 1
                return n
            }
            if attempt == 1 { throw FirstAttemptFails() }
            return input
        }
    }
}

@Suite("Admission: at most maxRunningWorkflows run their code at once")
struct AdmissionTests {
    @Test("workflows beyond the limit stay pending, and start as running ones finish")
    func limitRunningWorkflows() async throws {
        let name = "limit-\(UInt64.random(in: 0 ... .max))"
        let gate = Gate.named(name)
        var configuration = testConfiguration()
        configuration.maxRunningWorkflows = 2
        try await withDirectory { dir in
            try await withEngine(dir, [GatedStep.self], configuration: configuration) { engine in
                // Opened on the way out even when an expectation fails: the engine's shutdown waits for the bodies.
                defer { gate.open() }
                var handles: [WorkflowHandle<GatedStep>] = []
                for i in 0..<6 { handles.append(try await engine.start(GatedStep.self, input: name, id: "w\(i)")) }
                try await eventually("two step bodies at the gate") { gate.inside == 2 }
                #expect(engine.list(status: [.running]).map(\.id).sorted() == ["w0", "w1"])
                #expect(engine.list(status: [.pending]).count == 4)
                gate.open()
                var total = 0
                for handle in handles { total += try await result(handle) }
                #expect(total == 6)
                #expect(gate.mostInside == 2)
            }
        }
    }

    @Test("a workflow in a durable wait does not count: any number wait while the limit is 1")
    func waitsDoNotCount() async throws {
        var configuration = testConfiguration()
        configuration.maxRunningWorkflows = 1
        try await withDirectory { dir in
            try await withEngine(dir, [WaitsForMessage.self], configuration: configuration) { engine in
                var handles: [WorkflowHandle<WaitsForMessage>] = []
                for i in 0..<5 { handles.append(try await engine.start(WaitsForMessage.self, input: i, id: "r\(i)")) }
                // Each is running (waiting in its receive) only if the one before gave its slot up to wait.
                try await eventually("all five waiting in their receive") { engine.list(status: [.running]).count == 5 }
                for i in 0..<5 { try await engine.send("go \(i)", to: "r\(i)", topic: "go") }
                for (i, handle) in handles.enumerated() { #expect(try await result(handle) == "go \(i)") }
            }
        }
    }

    @Test("branches waiting for children give the slot up once every task of the workflow waits: no starvation")
    func branchesWaitingForChildren() async throws {
        var configuration = testConfiguration()
        configuration.maxRunningWorkflows = 1
        try await withDirectory { dir in
            try await withEngine(dir, [FansOutToChildren.self, ChildDoubler.self], configuration: configuration) { engine in
                // With one slot, the parent holds it until all its branches wait for their children; only then can
                // the children (behind it in the backlog) run.
                let handle = try await engine.start(FansOutToChildren.self, input: 3, id: "parent")
                #expect(try await result(handle) == 12)
                #expect(engine.list(status: [.completed]).count == 4)
            }
        }
    }

    @Test("a step pausing between retries gives the slot up: another workflow runs meanwhile")
    func retryPauseDoesNotCount() async throws {
        var configuration = testConfiguration()
        configuration.maxRunningWorkflows = 1
        try await withDirectory { dir in
            try await withEngine(dir, [RetriesSlowly.self, ChildDoubler.self], configuration: configuration) { engine in
                _ = try await engine.start(RetriesSlowly.self, input: 1, id: "slow")
                try await eventually("the first attempt to fail") { RetriesSlowly.attempts.withLock { $0 } == 1 }
                // With the slot still held this would wait an hour behind the slow workflow's pause.
                #expect(try await result(try await engine.start(ChildDoubler.self, input: 21, id: "quick")) == 42)
                try await engine.cancel("slow")
            }
        }
    }
}
