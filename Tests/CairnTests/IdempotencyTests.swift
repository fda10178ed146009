import Cairn
import CairnLog
import Foundation
import Testing

@Suite("Idempotent start")
struct IdempotencyTests {
    @Test("starting an existing ID returns that workflow and starts nothing, before and after it finished")
    func startTwice() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("double")
            try await withEngine(dir, [Doubler.self, CountedSteps.self]) { engine in
                let first = try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 21), id: "order-1")
                // While it runs, and with another input: the same workflow.
                let second = try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 1000), id: "order-1")
                #expect(second.id == first.id)
                probe.open("double")
                #expect(try await result(second) == 42)
                let third = try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 5), id: "order-1")
                #expect(try await result(third) == 42)
                #expect(probe.count("double") == 1)
                let starts = try await engine.history(of: "order-1").collect().filter { $0.event.kind == .workflowStarted }
                #expect(starts.count == 1)
                // The ID belongs to a workflow of another name: refused.
                let conflict = await caught { _ = try await engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key), id: "order-1") }
                #expect(code(conflict) == .idConflict)
            }
            // And after a restart.
            try await withEngine(dir, [Doubler.self]) { engine in
                let output = try await result(try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 7), id: "order-1"))
                #expect(output == 42)
                #expect(probe.count("double") == 1)
            }
        }
    }

    @Test("many concurrent starts of one ID start it once")
    func concurrentStarts() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Doubler.self]) { engine in
                let results = try await withThrowingTaskGroup(of: Int.self) { group in
                    for i in 0..<50 {
                        group.addTask {
                            let handle = try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: i), id: "same")
                            return try await result(handle)
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(Set(results).count == 1)
                #expect(probe.count("double") == 1)
                #expect(try await engine.history(of: "same").collect().filter { $0.event.kind == .workflowStarted }.count == 1)
            }
        }
    }

    @Test("a start is durable when start returns, before the workflow ran")
    func startIsDurable() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let engine = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: [Doubler.self])
            _ = try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 4), id: "durable")
            await engine._crash()
            try await withEngine(dir, [Doubler.self]) { engine in
                let output = try await result(engine.handle(for: "durable", of: Doubler.self))
                #expect(output == 8)
            }
        }
    }
}
