import Cairn
import Testing

/// The code of issue #12, as written there: it must compile without annotations (a step's `input:` once made Swift
/// infer the element as an existential, which is not `Codable`).
private struct MapWithInputs: Workflow {
    static let name = "test-map-with-inputs"
    static func run(_ context: WorkflowContext, input: Int) async throws -> [Int] {
        try await context.map([1, 2, 3]) { c, i in try await c.step("p", input: i) { i } }
    }
}

/// The same with a blocking step, and a step without input in the same closure shape.
private struct MapWithBlockingInputs: Workflow {
    static let name = "test-map-with-blocking-inputs"
    static func run(_ context: WorkflowContext, input: Int) async throws -> [String] {
        let doubled = try await context.map(["a", "b"]) { c, s in try await c.blockingStep("b", input: s) { s + s } }
        let plain = try await context.map([4, 5]) { c, i in try await c.step("q") { i } }
        return doubled + plain.map(String.init)
    }
}

@Suite("Type inference around the context's operations")
struct TypeInferenceTests {
    @Test("map over steps with inputs needs no annotation and returns the values in order, live and replayed")
    func mapWithStepInputs() async throws {
        try await withDirectory { dir in
            try await withEngine(dir, [MapWithInputs.self, MapWithBlockingInputs.self]) { engine in
                let mapped = try await result(try await engine.start(MapWithInputs.self, input: 0, id: "m"))
                #expect(mapped == [1, 2, 3])
                let blocking = try await result(try await engine.start(MapWithBlockingInputs.self, input: 0, id: "b"))
                #expect(blocking == ["aa", "bb", "4", "5"])
            }
            // Replayed from the record, strict mode comparing the inputs' digests.
            let replays = try await WorkflowEngine.replay(
                directory: dir, workflows: [MapWithInputs.self, MapWithBlockingInputs.self], mode: .strict)
            #expect(replays.count == 2)
            for replay in replays {
                guard case .clean(reachedEnd: true) = replay.outcome else {
                    Issue.record("\(replay)")
                    continue
                }
            }
        }
    }
}
