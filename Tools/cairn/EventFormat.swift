import Cairn
import CairnLog
import Foundation

/// How one event is shown: a table row for people, a JSON object for scripts (`show`, `tail`, `export`).
enum EventFormat {
    /// Whether the payload of this event is text (an error message, a park reason) rather than a codec's bytes, as
    /// its kind declares.
    static func payloadIsText(_ event: Event) -> Bool {
        event.kind.declaration.payloadIsText(hasErrorType: event.errorType != nil)
    }

    /// The payload in one short line: JSON as it is (the default codec writes compact JSON), text in quotes,
    /// anything else as hex.
    static func preview(_ event: Event, max: Int = 60) -> String {
        if event.kind.declaration.payload == .summary, let summary = WorkflowSummaryRecord(event) {
            let result = preview(bytes: summary.result, text: summary.failure != nil, max: max - 12)
            return "\(summary.status): \(result)"
        }
        return preview(bytes: event.shownPayload, text: payloadIsText(event), max: max)
    }

    static func preview(bytes: [UInt8], text: Bool, max: Int) -> String {
        if bytes.isEmpty { return "" }
        if text { return Format.truncate(Format.oneLine("\"" + String(decoding: bytes, as: UTF8.self) + "\""), max) }
        if bytes.count <= 4096, JSONCheck.isJSON(bytes) {
            return Format.truncate(Format.oneLine(String(decoding: bytes, as: UTF8.self)), max)
        }
        if let string = String(validating: bytes, as: UTF8.self), string.allSatisfy({ !$0.isASCII || $0.asciiValue! >= 0x20 || $0 == "\n" }) {
            return Format.truncate(Format.oneLine("\"" + string + "\""), max)
        }
        let hex = bytes.prefix(max / 2).map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
        return Format.truncate("0x" + hex + (bytes.count > max / 2 ? "…" : ""), max) + " (\(bytes.count) bytes)"
    }

    /// The kind's stable name for scripts: the ``EventKind`` case name, as its declaration states it.
    static func caseName(_ kind: EventKind) -> String { kind.declaration.caseName }

    /// The colour of a kind's declared tone.
    static func style(_ tone: EventKind.Declaration.Tone) -> Style? {
        switch tone {
        case .failure: .red
        case .success: .green
        case .attention: .magenta
        case .lifecycle: .cyan
        case .plain: nil
        }
    }

    /// Writes a payload as a JSON value: the JSON itself when it is JSON, else a string (text) or
    /// `{"base64": ...}`.
    static func payload(_ bytes: [UInt8], text: Bool, into w: inout JSONWriter) {
        if bytes.isEmpty {
            w.null()
        } else if !text, JSONCheck.isJSON(bytes) {
            w.raw(bytes)
        } else if let string = String(validating: bytes, as: UTF8.self) {
            w.string(string)
        } else {
            w.beginObject()
            w.field("base64", Data(bytes).base64EncodedString())
            w.endObject()
        }
    }

    /// One event as a JSON object (one line of `export`, an element of `show --json`).
    static func json(_ event: Event, lsn: LSN, into w: inout JSONWriter) {
        w.beginObject()
        w.key("lsn")
        w.number(lsn.rawValue)
        w.field("kind", caseName(event.kind))
        w.field("workflow", event.workflowID)
        w.field("position", event.position?.description)
        w.field("name", event.name)
        w.field("callSite", event.callSite?.description)
        w.field("time", Format.time(event.time, iso: true))
        w.field("timeNs", event.time)
        if let digest = event.digest { w.field("digest", String(digest, radix: 16)) }
        if let target = event.target { w.field("target", target) }
        if let deadline = event.deadline {
            w.field("deadline", Format.time(deadline, iso: true))
            w.field("deadlineNs", deadline)
        }
        if let number = event.number {
            w.key("number")
            w.number(number)
        }
        if let retry = RetryWaitRecord(event) {
            w.field("attempt", retry.attempt)
            if let maxAttempts = retry.maxAttempts { w.field("maxAttempts", maxAttempts) }
        }
        if let errorType = event.errorType { w.field("errorType", errorType) }
        if let parent = event.parentPosition { w.field("parentPosition", parent.description) }
        if let key = event.idempotencyKey { w.field("idempotencyKey", key) }
        if let context = event.traceContext { w.field("traceContext", context) }
        if !event.flags.isEmpty { w.field("flags", Int(event.flags.rawValue)) }
        if event.kind.declaration.payload == .summary, let summary = WorkflowSummaryRecord(event) {
            w.key("summary")
            w.beginObject()
            w.field("status", summary.status.rawValue)
            w.field("startedAt", Format.time(summary.startedAt, iso: true))
            w.field("finishedAt", Format.time(summary.finishedAt, iso: true))
            w.key("result")
            payload(summary.result, text: summary.failure != nil, into: &w)
            w.key("input")
            payload(summary.input, text: false, into: &w)
            w.key("events")
            w.beginObject()
            for e in summary.events {
                w.key(e.key)
                payload(e.value, text: false, into: &w)
            }
            w.endObject()
            w.endObject()
        } else {
            w.key("payload")
            payload(event.shownPayload, text: payloadIsText(event), into: &w)
            if let value = WorkflowFailure(recordedBy: event)?.value {
                w.key("errorValue")
                payload(value, text: false, into: &w)
            }
        }
        w.endObject()
    }

    /// The row of an event in `show` and `tail`.
    /// - Parameter previewWidth: characters of the payload shown (`Int.max`: all).
    static func row(
        _ event: Event, lsn: LSN, workflowColumn: Bool, previewWidth: Int = 60
    ) -> [(text: String, style: Style?)] {
        var cells: [(text: String, style: Style?)] = [(String(lsn.rawValue), .dim)]
        if workflowColumn { cells.append((Format.truncate(event.workflowID, 36), nil)) }
        let kindStyle = style(event.kind.declaration.tone)
        cells.append((event.position?.description ?? "-", nil))
        cells.append((event.kind.displayName, kindStyle))
        cells.append((Format.truncate(event.name, 32), nil))
        cells.append((event.callSite.map { Format.truncate($0.description, 40) } ?? "-", .dim))
        cells.append((Format.time(event.time), nil))
        var payload = preview(event, max: previewWidth)
        if let errorType = event.errorType, event.kind.declaration.payload != .summary { payload = errorType + ": " + payload }
        if let retry = RetryWaitRecord(event) { payload = "\(attempts(retry)) failed, next at \(Format.time(retry.deadline)): " + payload }
        cells.append((payload, nil))
        return cells
    }

    /// A retry wait in one line, as `show` gives a workflow in one: "retrying at 2026-12-07T15:04:05.000Z (attempt
    /// 2 of 5 failed: ConnectionError: refused)".
    static func retrying(_ retry: RetryWaitRecord) -> String {
        "retrying at \(Format.time(retry.deadline, iso: true)) (\(attempts(retry)) failed: \(retry.failure.errorType): \(Format.oneLine(retry.failure.message)))"
    }

    /// "attempt 2 of 5", or "attempt 2" when the policy's attempts are not recorded.
    private static func attempts(_ retry: RetryWaitRecord) -> String {
        "attempt \(retry.attempt)" + (retry.maxAttempts.map { " of \($0)" } ?? "")
    }

    /// A workflow summary's JSON fields (inside an object the caller opens and closes), as `list` and `show` print
    /// them.
    static func summaryFields(_ s: WorkflowSummary, into w: inout JSONWriter) {
        w.field("id", s.id)
        w.field("name", s.name)
        w.field("status", s.status.rawValue)
        w.field("startedAt", Format.time(s.startedAt, iso: true))
        w.field("updatedAt", Format.time(s.updatedAt, iso: true))
        w.field("parentID", s.parentID)
        if let failure = s.failure {
            w.key("error")
            w.beginObject()
            w.field("type", failure.errorType)
            w.field("message", failure.message)
            w.endObject()
        }
        if let reason = s.parkReason { w.field("parkReason", reason) }
        if let deadline = s.deadline { w.field("deadline", Format.time(deadline, iso: true)) }
        if s.timedOut {
            w.key("timedOut")
            w.bool(true)
        }
    }

    static func tableColumns(workflowColumn: Bool) -> [Table.Column] {
        var columns = [Table.Column(title: "LSN", alignment: .right)]
        if workflowColumn { columns.append(.init(title: "WORKFLOW")) }
        columns += [
            .init(title: "POS"), .init(title: "KIND"), .init(title: "NAME"), .init(title: "CALL SITE"),
            .init(title: "TIME (UTC)"), .init(title: "PAYLOAD"),
        ]
        return columns
    }
}
