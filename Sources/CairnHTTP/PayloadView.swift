import Cairn
import CairnAPI

/// Turns recorded payload bytes into what the API and the dashboard show, through the redaction hook
/// (``CairnHTTPConfiguration/redact``): the one place a payload leaves the server.
struct PayloadView: Sendable {
    let redact: (@Sendable (PayloadOrigin, [UInt8]) -> [UInt8]?)?

    func show(_ bytes: [UInt8], _ origin: @autoclosure () -> PayloadOrigin) -> APIPayload {
        guard let redact else { return APIPayload(bytes) }
        guard let shown = redact(origin(), bytes) else { return .withheld(size: bytes.count) }
        var payload = APIPayload(shown)
        payload.bytes = bytes.count
        return payload
    }

    /// A workflow as the API shows it, with its input, result and event values when `full`.
    func workflow(_ summary: WorkflowSummary, input: [UInt8]? = nil, full: Bool, waitingFor: String? = nil) -> APIWorkflow {
        guard full else { return APIWorkflow(summary, waitingFor: waitingFor) }
        func origin(_ role: PayloadOrigin.Role, _ name: String = "") -> PayloadOrigin {
            PayloadOrigin(role: role, workflowID: summary.id, workflowName: summary.name, name: name)
        }
        var values: [String: APIPayload] = [:]
        for (key, value) in summary.eventValues { values[key] = show(value, origin(.eventValue, key)) }
        return APIWorkflow(
            summary, waitingFor: waitingFor, input: input.map { show($0, origin(.input)) },
            output: summary.output.map { show($0, origin(.output)) }, eventValues: values)
    }

    /// An event as the API shows it. A start's payload is the workflow's input, a completion's its result, an
    /// event set its value: the hook sees them in those roles, so one rule covers every place a value appears.
    func event(_ event: HistoryEvent, workflowName: String?) -> APIEvent {
        let role: PayloadOrigin.Role =
            switch event.kind {
            case .workflowStarted: .input
            case .workflowCompleted: .output
            case .eventSet: .eventValue
            default: .historyEvent
            }
        let payload = event.payload.map {
            show($0, PayloadOrigin(
                role: role, workflowID: event.workflowID, workflowName: workflowName,
                name: role == .input || role == .output ? "" : event.name, eventKind: event.kind.declaration.caseName))
        }
        return APIEvent(event, payload: payload)
    }
}
