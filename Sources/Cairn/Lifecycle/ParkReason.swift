/// Why a workflow is parked (or diverged): decided from the flags of its ``EventKind/workflowParked`` event, never
/// from the text of its reason, which stays free to be reworded.
///
/// ``WorkflowSummary/parkedBecause`` holds it; ``WorkflowSummary/parkReason`` keeps the text for people.
public enum ParkReason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Its code no longer matches its history (recorded as a flag of the park); resumable after a fix.
    case diverged
    /// Its workflow name is not registered in the process that recovered it: recovery resumes it by itself once a
    /// process registers the name. Or it started a child whose type is not registered: recovery resumes it at every
    /// start, and it goes on once the child is registered (``Workflow/children``). Or it asked for a dependency the
    /// process was not given (``WorkflowContext/dependency(_:file:line:)``), resumed alike: what the process lacks is
    /// what the text names.
    case unknownWorkflow
    /// Its recovery was attempted too often without progress.
    case recoveryExhausted
    /// A recorded value no longer decodes as the type the code asks for: the one park the engine records without a
    /// flag (so logs of every version carry it). The text says which value and where.
    case undecodableValue

    /// The reason a park with these flags records. The first flag of ``diverged``, ``unknownWorkflow`` and
    /// ``recoveryExhausted`` wins (the engine sets at most one).
    package init(flags: Event.Flags) {
        if flags.contains(.diverged) {
            self = .diverged
        } else if flags.contains(.unknownWorkflow) {
            self = .unknownWorkflow
        } else if flags.contains(.recoveryExhausted) {
            self = .recoveryExhausted
        } else {
            self = .undecodableValue
        }
    }

    /// The flag a park for this reason records (none for ``undecodableValue``).
    package var flags: Event.Flags {
        switch self {
        case .diverged: .diverged
        case .unknownWorkflow: .unknownWorkflow
        case .recoveryExhausted: .recoveryExhausted
        case .undecodableValue: []
        }
    }

    /// The status a park for this reason leaves the workflow in: ``WorkflowStatus/diverged`` or
    /// ``WorkflowStatus/parked``.
    public var status: WorkflowStatus { self == .diverged ? .diverged : .parked }

    public var description: String { rawValue }
}
