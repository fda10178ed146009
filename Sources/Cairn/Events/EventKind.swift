/// Every kind of event the engine writes, one per operation; its raw value is the log record's tag.
///
/// One table, one name per kind: how the projection applies a kind (``Projection``), how replay matches it
/// (``OperationKind``), and how the CLI shows it (``EventKind/displayName``) are all keyed on this enum.
public enum EventKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case workflowStarted = 1
    case stepCompleted = 2
    case stepFailed = 3
    case sleepStarted = 4
    case messageSent = 5
    case messageReceived = 6
    case receiveStarted = 7
    case eventSet = 8
    case eventRead = 9
    case childStarted = 10
    case childCompleted = 11
    case valueRecorded = 12
    case patchMarker = 13
    case workflowCompleted = 14
    case workflowFailed = 15
    case workflowCancelled = 16
    case workflowResumed = 17
    case workflowForked = 18
    case workflowParked = 19
    case branchStarted = 20
    case recoveryAttempted = 21
    case engineStopped = 22
    /// The compact record that stands for a finished workflow after compaction dropped its history: name, status,
    /// start and finish times, result or error, input, and its events' latest values (see ``WorkflowSummaryRecord``).
    case workflowSummary = 23

    /// The name shown by the CLI and in determinism reports.
    public var displayName: String {
        switch self {
        case .workflowStarted: "workflow started"
        case .stepCompleted: "step completed"
        case .stepFailed: "step failed"
        case .sleepStarted: "sleep"
        case .messageSent: "send"
        case .messageReceived: "receive"
        case .receiveStarted: "receive waiting"
        case .eventSet: "set event"
        case .eventRead: "read event"
        case .childStarted: "child started"
        case .childCompleted: "child result"
        case .valueRecorded: "recorded value"
        case .patchMarker: "patch"
        case .workflowCompleted: "workflow completed"
        case .workflowFailed: "workflow failed"
        case .workflowCancelled: "workflow cancelled"
        case .workflowResumed: "workflow resumed"
        case .workflowForked: "workflow forked"
        case .workflowParked: "workflow parked"
        case .branchStarted: "branch"
        case .recoveryAttempted: "recovery attempt"
        case .engineStopped: "engine stopped"
        case .workflowSummary: "workflow summary"
        }
    }

    public var description: String { displayName }

    /// Whether this event is an operation of the workflow's code, at a position in its history (as opposed to a
    /// lifecycle event written by the engine). A send from outside the engine is an operation kind without a
    /// position.
    public var isOperation: Bool {
        switch self {
        case .workflowStarted, .workflowCompleted, .workflowFailed, .workflowCancelled, .workflowResumed,
            .workflowForked, .workflowParked, .recoveryAttempted, .engineStopped, .workflowSummary:
            false
        default:
            true
        }
    }
}
