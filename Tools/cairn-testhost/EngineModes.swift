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
// The tests register a workflow of the same name and input (HostSteps in Tests/CairnTests/ProcessCrashTests.swift)
// to finish the work in-process after the kill.
import Cairn
import CairnLog
import Foundation
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

/// Runs an `engine-*` command; never returns.
func engineMain(_ arguments: [String]) async -> Never {
    func usage() -> Never {
        FileHandle.standardError.write(Data("usage: cairn-testhost engine-run DIR PREFIX COUNT STEPS [HANG]\n".utf8))
        exit(2)
    }
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
            var handles: [WorkflowHandle<[Int]>] = []
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
