import Cairn
import Foundation
import Synchronization

// The workflows whose recorded histories live under Fixtures/replay. Their names and the operations they make
// are frozen: CI replays the fixtures against them. Change one only together with a `patched(_:)` marker (as
// `Versioned` does) — that is the point of the fixtures.

struct Order: Codable, Sendable, Hashable {
    var id: String
    var amount: Int
}

/// Steps, with and without explicit inputs.
enum FxSteps: Workflow {
    static let name = "fx-steps"
    static func run(_ context: WorkflowContext, input: Order) async throws -> String {
        let reserved = try await context.step("reserve", input: input) { "reserved-\(input.id)" }
        let charged = try await context.step("charge", input: input.amount) { input.amount * 100 }
        return try await context.step("ship") { "\(reserved) \(charged)" }
    }
}

struct Declined: Error, CustomStringConvertible {
    var description: String { "card declined" }
}

/// A step that fails after retries; the workflow catches the failure and compensates.
enum FxStepFailure: Workflow {
    static let name = "fx-step-failure"
    static func run(_ context: WorkflowContext, input: Order) async throws -> String {
        do {
            _ = try await context.step("charge", retry: RetryPolicy(maxAttempts: 3, initialInterval: .milliseconds(1))) { () -> Int in
                throw Declined()
            }
            return "charged"
        } catch let failure as StepFailure {
            return try await context.step("release", input: failure.message) { "released after: \(failure.message)" }
        }
    }
}

struct Unavailable: Error, CustomStringConvertible {
    var attempt: Int
    var description: String { "the payment service is unavailable (attempt \(attempt))" }
}

/// A step that fails twice and succeeds at its third attempt, an hour (less up to 20 % jitter) after each failure:
/// its history records two retry waits before the step's result.
enum FxRetry: Workflow {
    static let name = "fx-retry"
    /// Attempts made, by workflow ID: replay must not run any.
    static let attempts = Mutex<[String: Int]>([:])
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let id = context.workflowID
        let policy = RetryPolicy(maxAttempts: 5, initialInterval: .seconds(3600), maxInterval: .seconds(4 * 3600), jitter: 0.2)
        let charged = try await context.step("charge", input: input, retry: policy) {
            let attempt = attempts.withLock { a in
                a[id, default: 0] += 1
                return a[id]!
            }
            if attempt < 3 { throw Unavailable(attempt: attempt) }
            return input * 10
        }
        return try await context.step("receipt") { charged + 1 }
    }
}

/// A durable sleep of a week, then a step.
enum FxSleep: Workflow {
    static let name = "fx-sleep"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.sleep(for: .seconds(7 * 24 * 3600))
        return try await context.step("after-sleep") { input + 1 }
    }
}

/// Receives a message sent before it waited, then times out waiting for another.
enum FxReceive: Workflow {
    static let name = "fx-receive"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        let first = try await context.receive(String.self, topic: "approval") ?? "none"
        let second = try await context.receive(String.self, topic: "late", timeout: .seconds(60)) ?? "timed out"
        return "\(first), \(second)"
    }
}

/// Sends messages to another workflow (which need not exist).
enum FxSend: Workflow {
    static let name = "fx-send"
    static func run(_ context: WorkflowContext, input: String) async throws -> Int {
        try await context.send("hello", to: input, topic: "greetings")
        try await context.send(Order(id: "o-1", amount: 5), to: input, topic: "orders")
        return 2
    }
}

/// Publishes an event and reads another workflow's.
enum FxEvents: Workflow {
    static let name = "fx-events"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        try await context.setEvent("status", "started")
        let other = try await context.event(String.self, key: "color", of: input, timeout: .seconds(5)) ?? "unset"
        try await context.setEvent("status", "done")
        return other
    }
}

/// Sets the event FxEvents reads.
enum FxEventOwner: Workflow {
    static let name = "fx-event-owner"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        try await context.setEvent("color", input)
        return input
    }
}

/// Starts a child workflow and awaits its result; a second child fails.
enum FxChild: Workflow {
    static let name = "fx-child"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let doubled = try await context.runChild(FxChildWorker.self, input: input)
        do {
            _ = try await context.runChild(FxChildWorker.self, input: -1)
        } catch is WorkflowFailure {
            return doubled
        }
        return -1
    }
}

struct NegativeInput: Error {}

enum FxChildWorker: Workflow {
    static let name = "fx-child-worker"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        guard input >= 0 else { throw NegativeInput() }
        return try await context.step("double") { input * 2 }
    }
}

/// Recorded values: time, UUID, random numbers, an arbitrary value.
enum FxRecorded: Workflow {
    static let name = "fx-recorded"
    static func run(_ context: WorkflowContext, input: Int) async throws -> String {
        let now = try await context.now()
        let id = try await context.uuid()
        let dice = try await context.random(in: 1..<7)
        let region = try await context.record("region") { "eu-west" }
        return try await context.step("summarise", input: "\(now.timeIntervalSince1970) \(id) \(dice) \(region)") {
            "\(id.uuidString.prefix(8)) rolled \(dice) in \(region)"
        }
    }
}

/// Fan-out of steps and a DAG of branches.
enum FxParallel: Workflow {
    static let name = "fx-parallel"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let squares = try await context.map(Array(1...input)) { c, n in
            try await c.step("square", input: n) { n * n }
        }
        let total = try await context.parallel("pricing") { branches in
            let base = branches.start { c in try await c.step("base") { squares.reduce(0, +) } }
            let bonus = branches.start { c in
                let b = try await base.value
                return try await c.step("bonus", input: b) { b / 10 }
            }
            return try await base.value + bonus.value
        }
        return total
    }
}

/// A workflow that fails.
enum FxFailure: Workflow {
    static let name = "fx-failure"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        _ = try await context.step("validate") { input }
        throw Declined()
    }
}

/// Waits for a message that never comes: its fixture is an unfinished history.
enum FxUnfinished: Workflow {
    static let name = "fx-unfinished"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("prepare") { input + 1 }
        let b = try await context.receive(Int.self, topic: "go") ?? 0
        return a + b
    }
}

/// Version 2 of a workflow whose fixture was recorded by version 1 (which had only "charge"): a new step behind a
/// patch marker, so the old history still replays.
enum Versioned: Workflow {
    static let name = "fx-versioned"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        if try await context.patched("add-fraud-check") {
            _ = try await context.step("fraud-check", input: input) { true }
        }
        return try await context.step("charge", input: input) { input * 2 }
    }
}

/// Version 1 of `Versioned`, as it was when its fixture was recorded.
enum VersionedV1: Workflow {
    static let name = "fx-versioned"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.step("charge", input: input) { input * 2 }
    }
}

/// Writes two streams: "progress" (closed when done) and "tokens" (left open: the workflow's end ends it).
enum FxStreams: Workflow {
    static let name = "fx-streams"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        try await context.writeStream("progress", 0)
        let words = try await context.step("split") { input.split(separator: " ").map(String.init) }
        for word in words { try await context.writeStream("tokens", word) }
        try await context.writeStream("progress", 100)
        try await context.closeStream("progress")
        return words.joined(separator: "-")
    }
}

/// Every workflow of today's code whose histories are in Fixtures/replay.
let fixtureWorkflows: [any Workflow.Type] = [
    FxSteps.self, FxStepFailure.self, FxSleep.self, FxReceive.self, FxSend.self, FxEvents.self, FxEventOwner.self,
    FxChild.self, FxChildWorker.self, FxRecorded.self, FxParallel.self, FxFailure.self, FxUnfinished.self,
    Versioned.self, FxStreams.self, FxRetry.self, FxTick.self,
]

/// Started by a schedule's tick, with the tick as input.
enum FxTick: Workflow {
    static let name = "fx-tick"
    static func run(_ context: WorkflowContext, input: ScheduleTick) async throws -> String {
        try await context.step("report") { "\(input.schedule) ticked at \(input.scheduledAt.timeIntervalSince1970)" }
    }
}

/// The package root, from this file's location.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
let replayFixtures = packageRoot + "/Fixtures/replay"
