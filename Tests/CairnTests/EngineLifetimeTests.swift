import Cairn
import Foundation
import Testing

/// An engine that has stopped is freed with everything it holds: its log's descriptors and lock, its projection.
/// A service, a test suite or a tool that opens engines again and again in one process must not collect them.
@Suite("A stopped engine is freed, and its log's files are closed")
struct EngineLifetimeTests {
    #if canImport(Glibc)
    static let descriptorDirectory = "/proc/self/fd"
    #else
    static let descriptorDirectory = "/dev/fd"
    #endif

    /// The descriptors this process has open on files under `directory`.
    static func descriptors(under directory: String) -> [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: descriptorDirectory)) ?? []
        return fds.compactMap { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(descriptorDirectory)/\(fd)") else { return nil }
            return target.hasPrefix(directory + "/") ? target : nil
        }
    }

    /// Before the fix the cache of idle runs kept a run that had left it until its queue was swept (beyond 64
    /// entries): the run holds the engine, the engine the cache — a cycle that kept every engine stopped with a
    /// waiting workflow alive, with its segment and LOCK descriptors (the long simulation ran out of descriptors).
    @Test("an engine shut down or crashed while a workflow waited is freed, with no descriptor left on its directory", arguments: [false, true])
    func freedAfterStop(crash: Bool) async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock()
            weak var freed: WorkflowEngine?
            do {
                let running = try await RunningEngine.start(dir, [Sleeper.self], configuration: testConfiguration(clock: clock))
                freed = running.engine
                _ = try await running.engine.start(Sleeper.self, input: ProbeInput(probe: probe.key, n: 3600), id: "sleepy")
                try await clock.waitForSleeper(until: clock.now() + Duration.seconds(3600).nanos)
                if crash { try await running.crash() } else { try await running.shutdown() }
            }
            try await eventually("the stopped engine to be freed") { freed == nil }
            try await eventually("no descriptor left open on the stopped engine's directory") { Self.descriptors(under: dir).isEmpty }
        }
    }
}
