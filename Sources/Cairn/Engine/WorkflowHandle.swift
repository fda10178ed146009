import Synchronization
/// A started workflow: its ID, its status, and (once it finishes) its result.
public struct WorkflowHandle<Output: Codable & Sendable>: Sendable {
    /// The workflow's ID.
    public let id: String
    let engine: WorkflowEngine

    /// Waits for the workflow to finish and returns its result.
    /// - Throws: ``WorkflowFailure`` when the workflow's body threw; ``WorkflowError`` `.cancelled`, `.diverged`
    ///   or `.parked` when it stopped without a result (resume it to go on); `.notFound`; `.shuttingDown` (or
    ///   `.logFailure`, when its log failed) when the engine stopped before the workflow finished — it resumes
    ///   when the log is opened again.
    public func result() async throws -> Output {
        while true {
            switch try poll() {
            case .settled(let output): return output
            case .wait(let signal): _ = try await engine.wait(for: signal, until: nil, interrupt: nil)
            }
        }
    }

    private enum Poll {
        case settled(Output)
        case wait(Signal)
    }

    /// The result if the workflow is settled (or the error that says why there is none); otherwise a signal fired
    /// when its status changes. Synchronous, so that the frame ``result()`` keeps while it waits stays small.
    @inline(never)
    private func poll() throws -> Poll {
        switch engine.settled(id) {
        case .wait(let signal): return .wait(signal)
        case .settled(let summary): return .settled(try outcome(of: summary))
        case .stopped(let error): throw error
        }
    }

    /// The result of a settled workflow (or the error that says why there is none).
    private func outcome(of summary: WorkflowSummary?) throws -> Output {
        guard let summary else {
            throw WorkflowError(.notFound, "no workflow with this ID", workflowID: id)
        }
        switch summary.status {
        case .completed:
            let output = engine.state.withLock { $0.projection.workflows[id]?.output } ?? []
            return try engine.decode(Output.self, from: output, what: "the workflow's result", workflowID: id, position: nil)
        case .failed:
            throw summary.failure ?? WorkflowFailure(errorType: "Error", message: "")
        case .cancelled:
            throw WorkflowError(.cancelled, "the workflow was cancelled; resume it to go on", workflowID: id)
        case .diverged:
            throw WorkflowError(.diverged, summary.parkReason ?? "the workflow diverged from its history", workflowID: id)
        case .parked:
            throw WorkflowError(.parked, summary.parkReason ?? "the workflow is parked", workflowID: id)
        case .pending, .running:
            throw WorkflowError(.invalidState, "the workflow is still \(summary.status)", workflowID: id)
        }
    }

    /// The workflow's current status.
    public func status() async throws -> WorkflowStatus {
        guard let summary = engine.summary(of: id) else {
            throw WorkflowError(.notFound, "no workflow with this ID", workflowID: id)
        }
        return summary.status
    }
}
