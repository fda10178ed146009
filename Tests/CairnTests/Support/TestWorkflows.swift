import Cairn
import Foundation

/// The input of most test workflows: the key of the test's ``Probe`` and a number or label to vary behaviour.
struct ProbeInput: Codable, Sendable {
    var probe: String
    var n: Int = 0
    var label: String = ""
}

/// A step body that counts its runs, waits at its gate, and returns a value no rerun could reproduce (so a result
/// shows whether a recorded value was reused or the step ran again).
func countedStep(_ probe: Probe, _ name: String) -> @Sendable () async throws -> Int {
    {
        probe.hit(name)
        try await probe.pass(name)
        return Int.random(in: 0..<1_000_000_000)
    }
}

/// `n` steps `s0`, `s1`, …, each counted and gated; returns their values.
struct CountedSteps: Workflow {
    static let name = "test-counted-steps"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> [Int] {
        let probe = Probe.get(input.probe)
        var values: [Int] = []
        for k in 0..<input.n {
            values.append(try await context.step("s\(k)", countedStep(probe, "s\(k)")))
        }
        return values
    }
}

/// Returns its input's number doubled, in one step.
struct Doubler: Workflow {
    static let name = "test-double"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        return try await context.step("double") {
            probe.hit("double")
            try await probe.pass("double")
            return input.n * 2
        }
    }
}

/// An error that workflow code throws on purpose.
struct TestFailure: Error, CustomStringConvertible {
    var text: String
    var description: String { text }
}

/// Fails with ``TestFailure`` after one step.
struct Failing: Workflow {
    static let name = "test-failing"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        _ = try await context.step("before") { probe.hit("before") }
        throw TestFailure(text: "failed on purpose: \(input.label)")
    }
}
