import Cairn
import CairnLog
import CairnTestSupport
import Foundation
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Three steps whose result shows that each ran on the recorded value of the one before.
struct IOFailureSteps: Workflow {
    static let name = "io-failure-steps"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("add") { input + 1 }
        let b = try await context.step("double") { a * 2 }
        return try await context.step("offset") { b + 7 }
    }
    static func expected(_ input: Int) -> Int { (input + 1) * 2 + 7 }
}

/// Fail the Nth I/O call under a running engine: a ``WorkflowEngine`` on a simulated disk (through
/// ``EngineConfiguration/log``) starts and runs a few workflows while one call — of every kind, at every N in the
/// long mode (`CAIRN_LONG=1`), a spread of Ns otherwise — fails with `EIO` or `ENOSPC`, is interrupted or does part
/// of its work. Every error must be a ``LogError`` or ``WorkflowError``, nothing may hang, `EINTR` and short I/O must
/// be invisible; and after a power loss the engine reopens with every acknowledged start and result intact, and
/// finishes every started workflow with the right result.
@Suite struct EngineIOFailureTests {
    static let path = "/srv/cairn/engine"
    static let inputs = [3, 10, 25, 40]

    static func configuration(_ disk: SimulatedFileSystem) -> EngineConfiguration {
        var configuration = EngineConfiguration()
        configuration.log.durability = .always
        configuration.log.segmentSize = 64 << 10
        configuration.log.preallocationStep = 8 << 10
        configuration.log._fileSystem = disk
        configuration.logger = Logger(label: "cairn.test") { _ in SwiftLogNoOpLogHandler() }
        configuration.shutdownGracePeriod = .seconds(2)
        return configuration
    }

    struct Outcome {
        var started: [String: Int] = [:]
        var results: [String: Int] = [:]
        var errors: [any Error] = []
        var hangs: [String] = []
        /// Errors from `result()` that are neither ``LogError`` nor ``WorkflowError``, and how many there were in all.
        var otherErrors: [String] = []
        var resultErrors = 0
    }

    struct Hang: Error {}

    /// Runs `operation`, giving up after `seconds` (a hang is reported by the caller, never waited out).
    static func bounded<T: Sendable>(_ seconds: Double, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await raceDeadline(.seconds(seconds), operation, expired: { Hang() })
    }

    static func workload(on disk: SimulatedFileSystem, resultDeadline: Double = 10) async -> Outcome {
        var outcome = Outcome()
        let engine: WorkflowEngine
        do {
            engine = try await WorkflowEngine.open(directory: path, configuration: configuration(disk), workflows: [IOFailureSteps.self])
        } catch {
            outcome.errors.append(error)
            return outcome
        }
        let runner = Task { try await engine.run() }
        var handles: [(String, WorkflowHandle<IOFailureSteps>)] = []
        for (i, input) in inputs.enumerated() {
            do {
                let handle = try await engine.start(IOFailureSteps.self, input: input, id: "wf-\(i)")
                outcome.started[handle.id] = input
                handles.append((handle.id, handle))
            } catch {
                outcome.errors.append(error)
            }
        }
        // One deadline for all results: a hang is reported once per run, not waited out per workflow.
        let pending = handles
        do {
            let (results, errors) = try await bounded(resultDeadline) { () async -> ([String: Int], [String]) in
                var results: [String: Int] = [:]
                var errors: [String] = []
                for (id, handle) in pending {
                    do { results[id] = try await handle.result() } catch {
                        errors.append(error is LogError || error is WorkflowError ? "" : "\(id): \(error)")
                    }
                }
                return (results, errors)
            }
            outcome.results = results
            outcome.otherErrors += errors.filter { !$0.isEmpty }
            outcome.resultErrors = errors.count
        } catch {
            outcome.hangs.append("the results")
        }
        do {
            try await bounded(10) {
                await engine.shutdown()
                _ = await runner.result
            }
        } catch {
            outcome.hangs.append("the shutdown")
            runner.cancel()
        }
        if case .failure(let error) = await runner.result, !(error is CancellationError) { outcome.errors.append(error) }
        return outcome
    }

    static func checkAfterReboot(_ disk: SimulatedFileSystem, _ outcome: Outcome, _ context: String) async {
        let engine: WorkflowEngine
        do {
            engine = try await WorkflowEngine.open(directory: path, configuration: configuration(disk), workflows: [IOFailureSteps.self])
        } catch {
            Issue.record("\(context): the engine did not open after the reboot: \(error)")
            return
        }
        let runner = Task { try await engine.run() }
        for (id, input) in outcome.started {
            if engine.summary(of: id) == nil {
                Issue.record("\(context): the acknowledged start of \(id) was lost")
                continue
            }
            do {
                let result = try await bounded(10) { try await engine.handle(for: id, of: IOFailureSteps.self).result() }
                #expect(result == IOFailureSteps.expected(input), "\(context): \(id)")
            } catch {
                Issue.record("\(context): \(id) did not finish after the reboot: \(error)")
            }
        }
        for (id, result) in outcome.results where engine.summary(of: id)?.status != .completed || result != IOFailureSteps.expected(outcome.started[id] ?? -1) {
            Issue.record("\(context): the acknowledged result of \(id) was lost or changed")
        }
        do {
            try await bounded(10) {
                await engine.shutdown()
                _ = await runner.result
            }
        } catch {
            Issue.record("\(context): the rebooted engine did not shut down")
        }
    }

    static func injections(for call: SimulatedFileSystem.Call) -> [SimulatedFileSystem.Injection] {
        call == .read || call == .write ? [.fail(EIO), .fail(ENOSPC), .interrupt, .short] : [.fail(EIO), .fail(ENOSPC), .interrupt]
    }

    static func numbers(_ count: Int) -> [Int] {
        let sample = 4
        guard count > 0 else { return [] }
        if ProcessInfo.processInfo.environment["CAIRN_LONG"] == "1" || count <= sample { return Array(1...count) }
        return Array(Set((0..<sample).map { 1 + $0 * (count - 1) / (sample - 1) })).sorted()
    }

    @Test(arguments: SimulatedFileSystem.Call.allCases)
    func failTheNthCallUnderTheEngine(_ call: SimulatedFileSystem.Call) async throws {
        let dry = SimulatedFileSystem()
        let clean = await Self.workload(on: dry)
        #expect(clean.errors.isEmpty && clean.hangs.isEmpty, "\(clean.errors) \(clean.hangs)")
        #expect(clean.results.count == Self.inputs.count)
        let count = dry.callCounts[call, default: 0]
        var injected: [String: Int] = [:]
        for injection in Self.injections(for: call) {
            for n in Self.numbers(count) {
                let disk = SimulatedFileSystem()
                disk.failCall(call, number: n, with: injection)
                let context = "engine, \(call) #\(n) of \(count): \(injection)"
                let outcome = await Self.workload(on: disk, resultDeadline: 10)
                guard disk.injectedFaults.count == 1 else { continue }
                injected["\(injection)", default: 0] += 1
                for other in outcome.otherErrors { Issue.record("\(context): neither a LogError nor a WorkflowError: \(other)") }
                // A failed commit poisons the log and stops the engine: a result still awaited then throws.
                for hang in outcome.hangs { Issue.record("\(context): \(hang) hung") }
                for error in outcome.errors where !(error is LogError) && !(error is WorkflowError) {
                    Issue.record("\(context): neither a LogError nor a WorkflowError: \(error)")
                }
                if injection == .interrupt || injection == .short {
                    #expect(outcome.errors.isEmpty, "\(context): retried transparently, yet \(outcome.errors)")
                    #expect(outcome.results == clean.results, "\(context)")
                }
                await Self.checkAfterReboot(disk.crash(), outcome, context)
            }
        }
        print("fail the Nth call under the engine: \(call): \(count) calls; injected \(injected.sorted { $0.key < $1.key })")
    }
}
