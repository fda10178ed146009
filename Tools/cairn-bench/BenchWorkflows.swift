import Cairn
import Synchronization

/// The workflows the engine workloads run: the peer benchmarks' (`shared/bench/dbos_bench.py`), one for one.
enum BenchWorkflows {
    /// Every bench workflow, registered with every engine the bench opens.
    static let all: [any Workflow.Type] = [
        ThreeSteps.self, FanOut.self, ParkInReceive.self, OneSleep.self, WaitInSleep.self, WaitInReceive.self,
    ]
}

/// `sequential` and `concurrent`: three steps, x + 1, × 2, − 3. Four syncs: the start, each of the first two
/// outcomes, the last outcome with the completion.
struct ThreeSteps: Workflow {
    static let name = "bench-three-steps"

    static func expected(_ x: Int) -> Int { (x + 1) * 2 - 3 }

    static func run(_ context: WorkflowContext, input x: Int) async throws -> Int {
        let a = try await context.step("add-one") { x + 1 }
        let b = try await context.step("double") { a * 2 }
        return try await context.step("minus-three") { b - 3 }
    }
}

/// `fanout`: `input` parallel steps (`context.map`, started in list order), each returning its index, then their sum.
struct FanOut: Workflow {
    static let name = "bench-fanout"

    static func expected(_ width: Int) -> Int { width * (width - 1) / 2 }

    static func run(_ context: WorkflowContext, input width: Int) async throws -> Int {
        let values = try await context.map(Array(0..<width)) { branch, i in
            try await branch.step("fan-step") { i }
        }
        return values.reduce(0, +)
    }
}

/// `recovery`: one step, then a receive on topic "go" with a 600 s timeout (as DBOS's `recv(timeout_seconds=600)`,
/// so the wait's deadline is recorded before the workflow parks). Returns the step's x + 1 once "go" arrives.
///
/// The body reports through ``BenchProbe`` when its step runs live.
struct ParkInReceive: Workflow {
    static let name = "bench-park-in-receive"
    static let topic = "go"

    static func run(_ context: WorkflowContext, input x: Int) async throws -> Int {
        let v = try await context.step("park-step") {
            BenchProbe.stepRan()
            return x + 1
        }
        let message = try await context.receive(String.self, topic: topic, timeout: .seconds(600))
        return message == "go" ? v : -1
    }
}

/// `sleep`: one durable 100 ms sleep, then returns its input.
struct OneSleep: Workflow {
    static let name = "bench-sleep"
    static let duration = Duration.milliseconds(100)

    static func run(_ context: WorkflowContext, input x: Int) async throws -> Int {
        try await context.sleep(for: duration)
        return x
    }
}

/// `waiting`, half of the workflows: one durable sleep of ``duration`` (far longer than a run, so only the
/// bench's clock jump ends it), then returns its input.
struct WaitInSleep: Workflow {
    static let name = "bench-wait-in-sleep"
    static let duration = Duration.seconds(3_600)

    static func run(_ context: WorkflowContext, input x: Int) async throws -> Int {
        try await context.sleep(for: duration)
        return x
    }
}

/// `waiting`, the other half: one receive on ``topic`` without a timeout, then returns its input (−1 for another
/// message).
struct WaitInReceive: Workflow {
    static let name = "bench-wait-in-receive"
    static let topic = "wake"

    static func run(_ context: WorkflowContext, input x: Int) async throws -> Int {
        let message = try await context.receive(String.self, topic: topic)
        return message == topic ? x : -1
    }
}

/// What the bench workflows' bodies report: how many step bodies ran live in this process (0 after a recovery
/// that replayed every recorded outcome).
enum BenchProbe {
    struct Counts: Sendable {
        /// Step bodies executed (live) in this process.
        var stepRuns = 0
    }

    private static let counts = Mutex(Counts())

    static func reset() { counts.withLock { $0 = Counts() } }

    static var snapshot: Counts { counts.withLock { $0 } }

    static func stepRan() { counts.withLock { $0.stepRuns += 1 } }
}
