import Cairn
import CairnAPI
import Foundation

/// A workflow's history as the page's timeline: one row per event, with what each kind means in words — a step's
/// duration and attempts, a retry's error and next attempt, a sleep's wake time, a wait's deadline, a child's link
/// and status, a payload's preview.
///
/// The same rules, in the page's script, add the rows that arrive live (`dashboard.js`, `describe`).
struct Timeline {
    /// The events, in log order, as the API shows them.
    let events: [APIEvent]
    /// The engine, asked for each child's status.
    let engine: WorkflowEngine

    /// The kinds whose row says how long the operation took: from the event before its first event (its start,
    /// or its first attempt) to this one.
    static let outcomes: Set<String> = [
        "stepCompleted", "stepFailed", "messageReceived", "eventRead", "childCompleted", "workflowCompleted",
        "workflowFailed", "workflowCancelled",
    ]

    /// What a kind is, for the row's colour and icon: step, retry, sleep, wait, message, child, event, lifecycle,
    /// failure.
    static func category(_ kind: String) -> String {
        switch kind {
        case "stepCompleted": "step"
        case "retryWaitStarted": "retry"
        case "stepFailed", "workflowFailed", "workflowParked": "failure"
        case "sleepStarted": "sleep"
        case "receiveStarted", "childWaitStarted": "wait"
        case "messageSent", "messageReceived": "message"
        case "childStarted", "childCompleted": "child"
        case "eventSet", "eventRead", "streamWritten", "streamClosed", "valueRecorded", "patchMarker", "branchStarted": "event"
        default: "lifecycle"
        }
    }

    /// The children the workflow started, in order.
    var children: [String] {
        events.compactMap { $0.kind == "childStarted" ? DashboardFormat.detail($0.details["childID"]) : nil }
    }

    /// The rows' template contexts.
    func rows() -> [[String: Any]] {
        var firstAtPosition: [String: Int] = [:]
        var retries: [String: Int] = [:]
        var rows: [[String: Any]] = []
        for (index, event) in events.enumerated() {
            if let position = event.position, firstAtPosition[position] == nil { firstAtPosition[position] = index }
            var row: [String: Any] = [
                "lsn": event.lsn, "kind": event.kind, "label": event.label, "category": Self.category(event.kind), "name": event.name,
                "time": DashboardFormat.time(event.time), "iso": APIJSON.format(event.time), "position": event.position ?? "",
            ]
            if let callSite = event.callSite { row["callSite"] = callSite }
            if Self.outcomes.contains(event.kind) {
                let first = event.position.flatMap { firstAtPosition[$0] } ?? index
                let start = event.position == nil ? events.first?.time : (first > 0 ? events[first - 1].time : nil)
                if let start { row["duration"] = DashboardFormat.duration(seconds: event.time.timeIntervalSince(start)) }
                if let position = event.position, let count = retries[position] {
                    row["attempts"] = "\(count + 1) attempts"
                }
            }
            if event.kind == "retryWaitStarted", let position = event.position {
                retries[position, default: 0] += 1
            }
            row["details"] = details(event).map { ["text": $0] }
            if let payload = event.payload { row["payload"] = DashboardFormat.payload(payload) }
            if event.kind == "childStarted", let id = DashboardFormat.detail(event.details["childID"]) {
                row["child"] = [
                    "id": id, "href": DashboardFormat.workflowPath(id),
                    "status": engine.summary(of: id)?.status.rawValue ?? "unknown",
                ]
            }
            rows.append(row)
        }
        return rows
    }

    /// What the row says of the event beyond its kind and name.
    func details(_ event: APIEvent) -> [String] {
        let d = event.details
        var lines: [String] = []
        switch event.kind {
        case "retryWaitStarted":
            let attempt = DashboardFormat.detail(d["attempt"]) ?? "?"
            let of = DashboardFormat.detail(d["maxAttempts"]).map { " of \($0)" } ?? ""
            lines.append("attempt \(attempt)\(of) failed: \(DashboardFormat.failure(d["error"]) ?? "error")")
            if let next = DashboardFormat.detailTime(d["nextAttempt"]) { lines.append("next attempt at \(next)") }
        case "sleepStarted":
            if let wake = DashboardFormat.detailTime(d["wake"]) { lines.append("wakes at \(wake)") }
            if let ms = d["durationMs"].flatMap(Self.number) { lines.append("for \(DashboardFormat.duration(seconds: ms / 1000))") }
        case "receiveStarted":
            if let deadline = DashboardFormat.detailTime(d["deadline"]) {
                lines.append("waits until \(deadline) at the latest")
            } else {
                lines.append("waits with no deadline")
            }
            if let owner = DashboardFormat.detail(d["eventOwner"]) { lines.append("for an event of \(owner)") }
        case "messageSent":
            if let to = DashboardFormat.detail(d["destination"]) { lines.append("to \(to)") }
            if let key = DashboardFormat.detail(d["idempotencyKey"]) { lines.append("idempotency key \(key)") }
        case "messageReceived":
            if d["timedOut"] != nil { lines.append("timed out: no message") }
        case "eventRead":
            if let owner = DashboardFormat.detail(d["owner"]) { lines.append("of \(owner)") }
            if d["timedOut"] != nil { lines.append("timed out: no value") }
        case "childStarted":
            if let name = DashboardFormat.detail(d["workflowName"]) { lines.append("workflow \(name)") }
        case "childCompleted":
            if let error = DashboardFormat.failure(d["error"]) { lines.append("failed: \(error)") }
        case "workflowForked":
            if let source = DashboardFormat.detail(d["source"]), let before = DashboardFormat.detail(d["before"]) {
                lines.append("forked from \(source) before position \(before)")
            }
        case "workflowParked":
            if let reason = DashboardFormat.detail(d["reason"]) { lines.append("parked: \(reason)") }
            if let message = DashboardFormat.detail(d["message"]) { lines.append(message) }
        case "workflowStarted":
            if let parent = DashboardFormat.detail(d["parentID"]) { lines.append("child of \(parent)") }
        default:
            if let error = DashboardFormat.failure(d["error"]) { lines.append(error) }
            for key in ["queue", "key", "label", "patchID", "schedule"] {
                if let value = DashboardFormat.detail(d[key]), value != event.name { lines.append("\(key) \(value)") }
            }
        }
        return lines
    }

    /// A number from an event's details.
    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}
