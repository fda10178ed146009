/// Every kind of event the engine writes, one per operation; its raw value is the log record's tag.
///
/// One table, one name per kind: how the projection applies a kind (``Projection``), how replay matches it
/// (``OperationKind``), and how the CLI shows it (``EventKind/displayName``) are all keyed on this enum.
public enum EventKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// A workflow was started: its name, input and (for a child) parent.
    case workflowStarted = 1
    /// A step returned: its output.
    case stepCompleted = 2
    /// A step failed after its last attempt: the error's type and message.
    case stepFailed = 3
    /// A durable sleep began: its wake time.
    case sleepStarted = 4
    /// A message was sent, from a workflow or from outside: destination, topic, payload.
    case messageSent = 5
    /// A receive ended: the message taken (by the LSN of its send), or a timeout.
    case messageReceived = 6
    /// A receive began to wait: its deadline.
    case receiveStarted = 7
    /// A workflow set an event: key and value.
    case eventSet = 8
    /// A workflow read another's event: the value, or a timeout.
    case eventRead = 9
    /// A workflow started a child: the child's ID.
    case childStarted = 10
    /// A child's result was taken: its output or error.
    case childCompleted = 11
    /// A recorded value: `now()`, `uuid()`, `random` or `record`.
    case valueRecorded = 12
    /// A patch marker (`patched`, `deprecatePatch`).
    case patchMarker = 13
    /// A workflow returned: its output.
    case workflowCompleted = 14
    /// A workflow's body threw: the error's type and message.
    case workflowFailed = 15
    /// A workflow was cancelled.
    case workflowCancelled = 16
    /// A cancelled, diverged or parked workflow was resumed.
    case workflowResumed = 17
    /// A workflow was forked from another: the source and the position copied up to.
    case workflowForked = 18
    /// A workflow was parked: diverged, unknown here, or out of recovery attempts; the reason.
    case workflowParked = 19
    /// A parallel call began (its branches number their operations under its position).
    case branchStarted = 20
    /// A workflow's recovery began (counted to park one whose recovery keeps crashing).
    case recoveryAttempted = 21
    /// The engine stopped cleanly (recovery attempt counts start afresh).
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
