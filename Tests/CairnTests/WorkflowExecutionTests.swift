import Testing

@testable import Cairn

@Suite("Workflow executions: cancelled before or after their task is attached")
struct WorkflowExecutionTests {
    @Test("a cancellation that comes before the task is attached cancels the task when it arrives")
    func cancelBeforeAttach() async {
        let execution = WorkflowExecution()
        execution.cancel()
        let task = Task<Void, Never> { try? await Task.sleep(for: .seconds(30)) }
        execution.attach(task)
        await task.value
        #expect(task.isCancelled)
    }

    @Test("a cancellation after the task is attached cancels it at once")
    func cancelAfterAttach() async {
        let execution = WorkflowExecution()
        let task = Task<Void, Never> { try? await Task.sleep(for: .seconds(30)) }
        execution.attach(task)
        #expect(!task.isCancelled)
        execution.cancel()
        await task.value
        #expect(task.isCancelled)
    }
}
