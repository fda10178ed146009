import Cairn
import CairnLog
import Foundation
import Testing

/// The same workflow name in three versions: before a patch, with `patched("extra")`, and with the patch
/// deprecated. Each ends with steps "b" and a gated "hold", so a history crashed at "hold" reaches past the
/// patch's position, and returns which path it took.
enum PatchVersions {
    static let name = "test-patched"

    struct V1: Workflow {
        static let name = PatchVersions.name
        static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
            let probe = Probe.get(input.probe)
            _ = try await context.step("a") { 1 }
            _ = try await context.step("b") { 2 }
            _ = try await context.step("hold", countedStep(probe, "hold"))
            return "old"
        }
    }

    struct V2: Workflow {
        static let name = PatchVersions.name
        static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
            let probe = Probe.get(input.probe)
            _ = try await context.step("a") { 1 }
            var path = "old"
            if try await context.patched("extra") {
                _ = try await context.step("extra") { probe.hit("extra") }
                path = "new"
            }
            _ = try await context.step("b") { 2 }
            _ = try await context.step("hold", countedStep(probe, "hold"))
            return path
        }
    }

    struct V3: Workflow {
        static let name = PatchVersions.name
        static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
            let probe = Probe.get(input.probe)
            _ = try await context.step("a") { 1 }
            try await context.deprecatePatch("extra")
            _ = try await context.step("extra") { probe.hit("extra") }
            _ = try await context.step("b") { 2 }
            _ = try await context.step("hold", countedStep(probe, "hold"))
            return "new"
        }
    }
}

@Suite("Patch markers")
struct PatchTests {
    /// Starts `id` with `recorder`, crashes it at "hold", and finishes it with `replayer`.
    func record(_ id: String, dir: String, with recorder: any Workflow.Type, finishWith replayer: any Workflow.Type, probe: Probe) async throws -> String {
        probe.close("hold")
        let first = try await RunningEngine.start(dir, [recorder])
        _ = try await first.engine.start(PatchVersions.V1.self, input: ProbeInput(probe: probe.key), id: id)
        let arrivals = probe.arrivals("hold")
        try await probe.waitForArrival("hold", count: arrivals + 1)
        try await first.crash()
        probe.open("hold")
        let second = try await RunningEngine.start(dir, [replayer])
        let output = try await result(second.engine.handle(for: id, of: PatchVersions.V1.self))
        try await second.shutdown()
        return output
    }

    @Test("patched(_:) is false for a history recorded before the patch, true for new runs")
    func patched() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            // Recorded by the old code, replayed by the new: the old path, no divergence.
            #expect(try await record("old-run", dir: dir, with: PatchVersions.V1.self, finishWith: PatchVersions.V2.self, probe: probe) == "old")
            #expect(probe.count("extra") == 0)
            // A new run takes the new path and records the marker.
            try await withEngine(dir, [PatchVersions.V2.self]) { engine in
                let output = try await result(try await engine.start(PatchVersions.V1.self, input: ProbeInput(probe: probe.key), id: "new-run"))
                #expect(output == "new")
                let ops = try await operations(engine, "new-run")
                #expect(ops.map(\.kind) == [.stepCompleted, .patchMarker, .stepCompleted, .stepCompleted, .stepCompleted])
                #expect(ops.map(\.name) == ["a", "extra", "extra", "b", "hold"])
                #expect(!ops[1].flags.contains(.deprecated))
            }
            #expect(probe.count("extra") == 1)
        }
    }

    @Test("a history with the marker replays the new path under patched and under deprecatePatch")
    func deprecated() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            #expect(try await record("v2-run", dir: dir, with: PatchVersions.V2.self, finishWith: PatchVersions.V2.self, probe: probe) == "new")
            #expect(try await record("v2-then-v3", dir: dir, with: PatchVersions.V2.self, finishWith: PatchVersions.V3.self, probe: probe) == "new")
            #expect(probe.count("extra") == 2, "the recorded extra steps did not run again")
            // New runs under the deprecated patch still record the marker, flagged as deprecated.
            try await withEngine(dir, [PatchVersions.V3.self]) { engine in
                #expect(try await result(try await engine.start(PatchVersions.V1.self, input: ProbeInput(probe: probe.key), id: "v3-run")) == "new")
                let marker = try await operations(engine, "v3-run").first { $0.kind == .patchMarker }
                #expect(marker?.name == "extra")
                #expect(marker.map { $0.flags.contains(.deprecated) } == true)
            }
        }
    }

    @Test("deprecatePatch against a history from before the patch is divergence, not silence")
    func deprecatedAgainstOldHistory() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("hold")
            let first = try await RunningEngine.start(dir, [PatchVersions.V1.self])
            _ = try await first.engine.start(PatchVersions.V1.self, input: ProbeInput(probe: probe.key), id: "old")
            try await probe.waitForArrival("hold")
            try await first.crash()
            probe.openAll()
            let second = try await RunningEngine.start(dir, [PatchVersions.V3.self])
            #expect(code(await caught { _ = try await result(second.engine.handle(for: "old", of: PatchVersions.V1.self)) }) == .diverged)
            #expect(second.engine.summary(of: "old")?.status == .diverged)
            #expect(second.engine.summary(of: "old")?.parkReason?.contains("position 1") == true)
            try await second.shutdown()
            #expect(probe.count("extra") == 0)
        }
    }
}
