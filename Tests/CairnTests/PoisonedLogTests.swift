import Cairn
import CairnLog
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes every segment sync fail with EIO once set: the log poisons itself at the next commit.
private final class FailingSyncs: Sendable {
    private let failing = Atomic<Bool>(false)

    func start() { failing.store(true, ordering: .relaxed) }

    var configuration: EngineConfiguration {
        var configuration = testConfiguration()
        configuration.log.durability = .always
        configuration.log._faults = LogFaults(beforeSync: { [self] _ in failing.load(ordering: .relaxed) ? EIO : nil })
        return configuration
    }
}

@Suite("A poisoned log stops the engine and frees the directory")
struct PoisonedLogTests {
    @Test("run() ends by throwing the log's failure, and the directory can be opened again at once")
    func runThrowsAndReleasesTheLock() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let syncs = FailingSyncs()
            let running = try await RunningEngine.start(dir, [Doubler.self], configuration: syncs.configuration)
            let done = try await running.engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 2), id: "before")
            #expect(try await result(done) == 4)

            syncs.start()
            let refused = await caught {
                _ = try await running.engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 3), id: "after")
            }
            #expect(code(refused) == .logFailure)

            // Nothing more can be recorded: run() ends by itself, throwing what failed.
            let runner = running.runTask
            let ended = try await within(.seconds(30), "run() to end after the log failed") { await runner.result }
            guard case .failure(let error) = ended else {
                Issue.record("run() returned normally after the log failed")
                return
            }
            let failure = try #require(error as? WorkflowError, "\(error)")
            #expect(failure.code == .logFailure)
            #expect("\(failure)".contains("fdatasync"), "\(failure)")

            // The lock is free: a second open in the same process succeeds and finds what was acknowledged.
            let reopened = try await RunningEngine.start(dir, [Doubler.self])
            let output = try await result(reopened.engine.handle(for: "before", of: Doubler.self))
            #expect(output == 4)
            try await reopened.shutdown()
        }
    }

    @Test("a shutdown whose final commit fails still releases the lock, and reports the failure")
    func shutdownReleasesTheLock() async throws {
        try await withDirectory { dir in
            let syncs = FailingSyncs()
            let engine = try await WorkflowEngine.open(directory: dir, configuration: syncs.configuration, workflows: [Doubler.self])
            let runner = Task { try await engine.run() }
            let probe = Probe()
            let running = try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 1))
            #expect(try await result(running) == 2)  // run() is running
            syncs.start()
            await engine.shutdown()  // its engineStopped record cannot be synced
            let ended = await runner.result
            guard case .failure(let error) = ended else {
                Issue.record("run() returned normally though its last commit failed")
                return
            }
            #expect(code(error) == .logFailure, "\(error)")
            let reopened = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: [Doubler.self])
            await reopened.shutdown()
        }
    }
}
