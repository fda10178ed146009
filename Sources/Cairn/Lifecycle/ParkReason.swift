/// Why a workflow is parked (or diverged): decided from the flags of its ``EventKind/workflowParked`` event, never
/// from the text of its reason, which stays free to be reworded.
///
/// ``WorkflowSummary/parkedBecause`` holds it; ``WorkflowSummary/parkReason`` keeps the text for people.
public enum ParkReason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Its code no longer matches its history (``Event/Flags/diverged``); resumable after a fix.
    case diverged
    /// Its workflow name is not registered in the process that recovered it (``Event/Flags/unknownWorkflow``):
    /// recovery resumes it by itself once a process registers the name.
    case unknownWorkflow
    /// Its recovery was attempted too often without progress (``Event/Flags/recoveryExhausted``).
    case recoveryExhausted
    /// A park with none of the flags above: today, a recorded value that no longer decodes. The text says which.
    case other

    /// The reason a park with these flags records. The first flag of ``diverged``, ``unknownWorkflow`` and
    /// ``recoveryExhausted`` wins (the engine sets at most one).
    public init(flags: Event.Flags) {
        if flags.contains(.diverged) {
            self = .diverged
        } else if flags.contains(.unknownWorkflow) {
            self = .unknownWorkflow
        } else if flags.contains(.recoveryExhausted) {
            self = .recoveryExhausted
        } else {
            self = .other
        }
    }

    /// The flag a park for this reason records (none for ``other``).
    public var flags: Event.Flags {
        switch self {
        case .diverged: .diverged
        case .unknownWorkflow: .unknownWorkflow
        case .recoveryExhausted: .recoveryExhausted
        case .other: []
        }
    }

    /// The status a park for this reason leaves the workflow in: ``WorkflowStatus/diverged`` or
    /// ``WorkflowStatus/parked``.
    public var status: WorkflowStatus { self == .diverged ? .diverged : .parked }

    public var description: String { rawValue }
}
