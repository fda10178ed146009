import Cairn
import CairnAPI
import Foundation

/// How the API's workflows and events are shown: the cells `list`, `show` and `tail` give a log's own, from
/// ``APIWorkflow`` and ``APIEvent`` instead of the records.
enum RemoteFormat {
    /// A date as nanoseconds since 1970, for ``Format/time(_:iso:)`` (the API's dates have milliseconds; rounding
    /// to them first keeps a `Double`'s error from moving a time to the second before).
    static func nanoseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded()) * 1_000_000
    }

    static func time(_ date: Date) -> String { Format.time(nanoseconds(date)) }

    /// The kind an event's `kind` names: its case name (`stepCompleted`), or its display name (`step completed`).
    static func kind(_ name: String) -> EventKind? { kinds[name] }

    private static let kinds: [String: EventKind] = {
        var kinds: [String: EventKind] = [:]
        for kind in EventKind.allCases {
            kinds[kind.declaration.caseName] = kind
            kinds[kind.displayName] = kind
        }
        return kinds
    }()

    /// The DETAIL cell of `list`: why it failed, is parked or waits, or whose child it is.
    static func detail(_ workflow: APIWorkflow) -> String {
        workflow.failure.map { "\($0.errorType): \($0.message)" } ?? workflow.parkReason ?? workflow.waitingFor
            ?? (workflow.timedOut ? "deadline passed" : nil) ?? workflow.parentID.map { "child of \($0)" } ?? ""
    }

    /// A payload in one line of at most `max` characters.
    static func preview(_ payload: APIPayload?, max: Int) -> String {
        payload.map { Format.truncate(Format.oneLine($0.preview), max) } ?? ""
    }

    /// The error an event's details carry (`error`: errorType and message), if any.
    static func failure(_ details: [String: JSONValue]) -> APIFailure? {
        guard case .object(let error)? = details["error"], case .string(let type)? = error["errorType"],
            case .string(let message)? = error["message"]
        else { return nil }
        return APIFailure(errorType: type, message: message)
    }

    /// A retry wait's attempt, its policy's attempts and the next attempt's time, from its details.
    static func retry(_ details: [String: JSONValue]) -> (attempt: Int64, maxAttempts: Int64?, next: Date)? {
        guard case .integer(let attempt)? = details["attempt"], case .string(let next)? = details["nextAttempt"],
            let date = APIJSON.parse(next)
        else { return nil }
        if case .integer(let maxAttempts)? = details["maxAttempts"] { return (attempt, maxAttempts, date) }
        return (attempt, nil, date)
    }

    private static func attempts(_ retry: (attempt: Int64, maxAttempts: Int64?, next: Date)) -> String {
        "attempt \(retry.attempt)" + (retry.maxAttempts.map { " of \($0)" } ?? "")
    }

    /// A retry wait in one line, as `show` gives it: "retrying at … (attempt 2 of 5 failed: Type: message)".
    static func retrying(_ event: APIEvent) -> String? {
        guard let retry = retry(event.details), let failure = failure(event.details) else { return nil }
        return "retrying at \(Format.time(nanoseconds(retry.next), iso: true)) (\(attempts(retry)) failed: \(failure.errorType): \(Format.oneLine(failure.message)))"
    }

    /// The row of an event in `show` and `tail`, with the columns of ``EventFormat/tableColumns(workflowColumn:)``.
    /// - Parameter previewWidth: characters of the payload shown (`Int.max`: all).
    static func row(_ event: APIEvent, workflowColumn: Bool, previewWidth: Int = 60) -> [(text: String, style: Style?)] {
        let kind = kind(event.kind)
        var cells: [(text: String, style: Style?)] = [(String(event.lsn), .dim)]
        if workflowColumn { cells.append((Format.truncate(event.workflowID, 36), nil)) }
        cells.append((event.position ?? "-", nil))
        cells.append((kind?.displayName ?? event.kind, kind.flatMap { EventFormat.style($0.declaration.tone) }))
        cells.append((Format.truncate(event.name, 32), nil))
        cells.append((event.callSite.map { Format.truncate($0, 40) } ?? "-", .dim))
        cells.append((time(event.time), nil))
        var payload = preview(event.payload, max: previewWidth)
        if case .string(let status)? = event.details["status"], kind?.declaration.payload == .summary {
            payload = "\(status): " + payload
        } else if let failure = failure(event.details) {
            payload = failure.errorType + ": " + Format.truncate(Format.oneLine("\"" + failure.message + "\""), previewWidth)
            if let retry = retry(event.details) {
                payload = "\(attempts(retry)) failed, next at \(time(retry.next)): " + payload
            }
        }
        cells.append((payload, nil))
        return cells
    }

    /// The row of a workflow in `list`.
    static func row(_ workflow: APIWorkflow) -> [(text: String, style: Style?)] {
        [
            (workflow.id, nil), (workflow.name, nil), (workflow.status.rawValue, Style.status(workflow.status)),
            (time(workflow.startedAt), nil), (time(workflow.updatedAt), nil),
            (Format.truncate(Format.oneLine(detail(workflow)), 60), .dim),
        ]
    }

    /// `value` as the API's JSON (``APIJSON``), made safe for a terminal as ``JSONWriter`` makes its own.
    static func json(_ value: some Encodable) throws -> [UInt8] {
        var writer = JSONWriter()
        writer.raw(try APIJSON.encoder().encode(value))
        return writer.bytes
    }
}
