// Engine commands of cairn-testhost, for CairnTests' crash tests (a real process, SIGKILLed at chosen points):
//
//   cairn-testhost engine-run DIR PREFIX COUNT STEPS [HANG]
//       Opens a workflow engine on DIR (durability .always), starts workflows PREFIX-0 ... PREFIX-(COUNT-1) of
//       `host-steps` with STEPS steps each (idempotent: on a reused DIR the existing ones go on), and runs them.
//       Step K of workflow ID prints "enter ID K" when its body starts and "done ID K VALUE" just before it
//       returns VALUE, a random number. With HANG, step HANG of every workflow prints "hang ID HANG" instead and
//       never returns. Prints "started" once every start is durable, "all done" when every workflow finished, then
//       waits to be killed.
//
//   cairn-testhost engine-soak DIR FIRST COUNT STEPS MESSAGES [WINDOW [pairs]]
//       The kill soak's child (Tools/cairn-soak): opens a workflow engine on DIR (durability .always) and works
//       through workflows w-FIRST ... w-(COUNT-1) of `soak-worker` (those before FIRST are done), at most WINDOW (default 32) at a time: starts each
//       (idempotent), sends it MESSAGES messages "w-I/J" with idempotency key "w-I/J" (all of them again in every
//       life: a repeated key is never delivered twice; with `pairs`, each time as two concurrent sends of "w-I/J"
//       and "w-I/J*" with that one key, of which one only may be delivered), and awaits its result. Each acknowledgement is one line,
//       written with one write(2): "opened", "started ID", "sent ID J", "ran ID K VALUE" (step K's body, about to
//       return VALUE), "ack ID K VALUE" (step K's durable result as the workflow saw it: printed by the body of the
//       next step, which starts only once it is durable), "result ID V0,V1,...|M0,M1,..." (the completed
//       workflow's step values and the messages it received, in order), "error ID TEXT", and "all done".
//
//   cairn-testhost engine-retry DIR ID ATTEMPTS
//       Opens a workflow engine on DIR (durability .always) and starts ID of `host-retries`, whose step fails every
//       attempt (printing "attempt ID" as each begins), ATTEMPTS at most, an hour apart. Prints "waiting ID" once
//       its first retry wait is durable, then waits to be killed.
//
// The tests register a workflow of the same name and input (HostSteps in Tests/CairnTests/ProcessCrashTests.swift)
// to finish the work in-process after the kill.
import Cairn
import CairnLog
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The step this process never finishes (`HANG`), if any.
let hangingStep = Atomic<Int>(-1)

/// `host-steps`: STEPS steps, each returning a random number; the output is the numbers in order.
struct HostSteps: Workflow {
    static let name = "host-steps"

    struct Input: Codable, Sendable {
        var steps: Int
    }

    static func run(_ context: WorkflowContext, input: Input) async throws -> [Int] {
        let id = context.workflowID
        var values: [Int] = []
        for k in 0..<input.steps {
            values.append(try await context.step("step-\(k)") {
                emit("enter \(id) \(k)")
                if hangingStep.load(ordering: .relaxed) == k {
                    emit("hang \(id) \(k)")
                    while true { try await Task.sleep(for: .seconds(3600)) }
                }
                let value = Int.random(in: 0..<1_000_000_000)
                emit("done \(id) \(k) \(value)")
                return value
            })
        }
        return values
    }
}

/// `host-retries`: a step "call" that fails every attempt, `input` attempts at most, an hour apart; -1 once it failed
/// for good.
struct HostRetries: Workflow {
    static let name = "host-retries"

    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let id = context.workflowID
        let policy = RetryPolicy(maxAttempts: input, initialInterval: .seconds(3600), backoffRate: 1, maxInterval: .seconds(3600))
        do {
            return try await context.step("call", retry: policy) { () -> Int in
                emit("attempt \(id)")
                throw HostUnavailable()
            }
        } catch is StepFailure {
            return -1
        }
    }
}

struct HostUnavailable: Error, CustomStringConvertible {
    var description: String { "the service is unavailable" }
}

/// The `engine-retry` child: starts one `host-retries` workflow and says when its first retry wait is durable.
func retryMain(_ arguments: [String]) async -> Never {
    guard arguments.count >= 5, let attempts = Int(arguments[4]) else {
        FileHandle.standardError.write(Data("usage: cairn-testhost engine-retry DIR ID ATTEMPTS\n".utf8))
        exit(2)
    }
    let id = arguments[3]
    do {
        var configuration = EngineConfiguration()
        configuration.log.durability = .always
        let engine = try await WorkflowEngine.open(directory: arguments[2], configuration: configuration, workflows: [HostRetries.self])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            _ = try await engine.start(HostRetries.self, input: attempts, id: id)
            while true {
                // Read from the log: what a restart will find.
                for event in try await engine.history(of: id).collect() {
                    if case .retrying = event.details {
                        emit("waiting \(id)")
                        waitForever()
                    }
                }
                try await Task.sleep(for: .milliseconds(2))
            }
        }
    } catch {
        emit("error \(error)")
        exit(1)
    }
    exit(1)
}

/// `soak-worker`: STEPS steps returning random numbers, with a receive of one message on topic "k" after each of
/// the first MESSAGES steps. Every step's body first acknowledges the step before it (its outcome is durable by
/// the time this body starts, the commit rule).
struct SoakWorker: Workflow {
    static let name = "soak-worker"

    struct Input: Codable, Sendable {
        var steps: Int
        var messages: Int
    }

    struct Output: Codable, Sendable {
        var values: [Int]
        var messages: [String]
    }

    static func run(_ context: WorkflowContext, input: Input) async throws -> Output {
        let id = context.workflowID
        var values: [Int] = []
        var messages: [String] = []
        for k in 0..<max(input.steps, input.messages) {
            let previous = values.last
            values.append(try await context.step("s\(k)") {
                if let previous { emit("ack \(id) \(k - 1) \(previous)") }
                let value = Int.random(in: 0..<1_000_000_000)
                emit("ran \(id) \(k) \(value)")
                return value
            })
            if k < input.messages {
                messages.append(try await context.receive(String.self, topic: "k") ?? "<timed out>")
            }
        }
        return Output(values: values, messages: messages)
    }
}

/// The soak child: works through COUNT workflows, WINDOW at a time, acknowledging everything on stdout.
func soakMain(_ arguments: [String]) async -> Never {
    guard arguments.count >= 7, let first = Int(arguments[3]), let count = Int(arguments[4]),
        let steps = Int(arguments[5]), let messages = Int(arguments[6]), steps >= 1, first >= 0
    else {
        FileHandle.standardError.write(Data("usage: cairn-testhost engine-soak DIR FIRST COUNT STEPS MESSAGES [WINDOW [pairs]]\n".utf8))
        exit(2)
    }
    let window = arguments.count >= 8 ? max(1, Int(arguments[7]) ?? 32) : 32
    let pairs = arguments.count >= 9 && arguments[8] == "pairs"
    do {
        var configuration = EngineConfiguration()
        configuration.log.durability = .always
        configuration.logger.logLevel = .warning  // a thousand lives: only what goes wrong
        let engine = try await WorkflowEngine.open(
            directory: arguments[2], configuration: configuration, workflows: [SoakWorker.self])
        emit("opened")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            try await withThrowingTaskGroup(of: Void.self) { workers in
                for i in first..<max(first, count) {
                    if i - first >= window { try await workers.next() }
                    workers.addTask {
                        let id = "w-\(i)"
                        let handle = try await engine.start(
                            SoakWorker.self, input: SoakWorker.Input(steps: steps, messages: messages), id: id)
                        emit("started \(id)")
                        for j in 0..<messages {
                            let key = "\(id)/\(j)"
                            if pairs {
                                async let first: Void = engine.send(key, to: id, topic: "k", idempotencyKey: key)
                                async let second: Void = engine.send(key + "*", to: id, topic: "k", idempotencyKey: key)
                                _ = try await (first, second)
                            } else {
                                try await engine.send(key, to: id, topic: "k", idempotencyKey: key)
                            }
                            emit("sent \(id) \(j)")
                        }
                        do {
                            let output = try await handle.result()
                            emit("result \(id) \(output.values.map(String.init).joined(separator: ","))|\(output.messages.joined(separator: ","))")
                        } catch {
                            emit("error \(id) \(String(describing: error).split(separator: "\n").joined(separator: " "))")
                        }
                    }
                }
                try await workers.waitForAll()
            }
            emit("all done")
            waitForever()
        }
    } catch {
        emit("fatal \(error)")
        exit(1)
    }
    exit(1)
}

/// Runs an `engine-*` command; never returns.
func engineMain(_ arguments: [String]) async -> Never {
    func usage() -> Never {
        FileHandle.standardError.write(
            Data("usage: cairn-testhost engine-run DIR PREFIX COUNT STEPS [HANG] | engine-soak DIR FIRST COUNT STEPS MESSAGES [WINDOW [pairs]] | engine-retry DIR ID ATTEMPTS\n".utf8))
        exit(2)
    }
    if arguments[1] == "engine-soak" { await soakMain(arguments) }
    if arguments[1] == "engine-retry" { await retryMain(arguments) }
    guard arguments.count >= 6, arguments[1] == "engine-run", let count = Int(arguments[4]), let steps = Int(arguments[5])
    else { usage() }
    let directory = arguments[2]
    let prefix = arguments[3]
    if arguments.count >= 7 {
        guard let hang = Int(arguments[6]) else { usage() }
        hangingStep.store(hang, ordering: .relaxed)
    }
    do {
        var configuration = EngineConfiguration()
        configuration.log.durability = .always
        let engine = try await WorkflowEngine.open(directory: directory, configuration: configuration, workflows: [HostSteps.self])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            var handles: [WorkflowHandle<HostSteps>] = []
            for i in 0..<count {
                handles.append(try await engine.start(HostSteps.self, input: HostSteps.Input(steps: steps), id: "\(prefix)-\(i)"))
            }
            emit("started")
            for handle in handles { _ = try await handle.result() }
            emit("all done")
            waitForever()
        }
    } catch {
        emit("error \(error)")
        exit(1)
    }
    exit(1)
}
