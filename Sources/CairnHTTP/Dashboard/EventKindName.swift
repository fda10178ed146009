import Cairn

/// The dashboard's name for each event kind: the case's name (`stepCompleted`), which the API contract and the
/// page's script use, whatever ``EventKind/displayName`` the API writes (`step completed`).
enum EventKindName {
    /// The case's name of `kind`.
    static func of(_ kind: EventKind) -> String {
        switch kind {
        case .workflowStarted: "workflowStarted"
        case .stepCompleted: "stepCompleted"
        case .stepFailed: "stepFailed"
        case .sleepStarted: "sleepStarted"
        case .messageSent: "messageSent"
        case .messageReceived: "messageReceived"
        case .receiveStarted: "receiveStarted"
        case .eventSet: "eventSet"
        case .eventRead: "eventRead"
        case .childStarted: "childStarted"
        case .childCompleted: "childCompleted"
        case .valueRecorded: "valueRecorded"
        case .patchMarker: "patchMarker"
        case .workflowCompleted: "workflowCompleted"
        case .workflowFailed: "workflowFailed"
        case .workflowCancelled: "workflowCancelled"
        case .workflowResumed: "workflowResumed"
        case .workflowForked: "workflowForked"
        case .workflowParked: "workflowParked"
        case .branchStarted: "branchStarted"
        case .recoveryAttempted: "recoveryAttempted"
        case .engineStopped: "engineStopped"
        case .workflowSummary: "workflowSummary"
        case .childWaitStarted: "childWaitStarted"
        case .retryWaitStarted: "retryWaitStarted"
        case .streamWritten: "streamWritten"
        case .streamClosed: "streamClosed"
        case .workflowEnqueued: "workflowEnqueued"
        case .workflowDequeued: "workflowDequeued"
        case .scheduleChanged: "scheduleChanged"
        case .scheduleTicked: "scheduleTicked"
        case .debounceRequested: "debounceRequested"
        case .queueDeclared: "queueDeclared"
        @unknown default: "\(kind)"
        }
    }

    /// The kind named `text`, by its case's name or its display name (what an ``CairnAPI/APIEvent`` carries).
    static let byText: [String: String] = {
        var table: [String: String] = [:]
        for kind in EventKind.allCases {
            table[of(kind)] = of(kind)
            table[kind.displayName] = of(kind)
        }
        return table
    }()

    /// The case's name of an API event's `kind` (its text unchanged when it names no kind).
    static func of(text: String) -> String { byText[text] ?? text }
}
