import Cairn
import CairnLog
import Foundation
import Testing

struct AddMultiply: Workflow {
    static let name = "add-multiply"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let a = try await context.step("add") { input + 1 }
        let b = try await context.step("double") { a * 2 }
        return try await context.step("subtract") { b - 3 }
    }
}

@Suite struct EngineSmokeTests {
    @Test func runsAndRecovers() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-engine-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try await WorkflowEngine.open(directory: dir, workflows: [AddMultiply.self])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            let handle = try await engine.start(AddMultiply.self, input: 5, id: "wf-1")
            #expect(try await handle.result() == 9)
            #expect(try await handle.status() == .completed)
            let history = try await engine.history(of: "wf-1").collect()
            #expect(history.map(\.event.kind) == [.workflowStarted, .stepCompleted, .stepCompleted, .stepCompleted, .workflowCompleted])
            await engine.shutdown()
            try await group.waitForAll()
        }
        let reopened = try await WorkflowEngine.open(directory: dir, workflows: [AddMultiply.self])
        #expect(reopened.summary(of: "wf-1")?.status == .completed)
        #expect(try await reopened.handle(for: "wf-1", of: AddMultiply.self).result() == 9)
        await reopened.shutdown()
    }
}
