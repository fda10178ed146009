import Cairn
import CairnAPI
import Foundation

/// How the dashboard writes times, durations and payloads: short, in UTC, the same on every page.
enum DashboardFormat {
    /// The longest payload preview shown before "more" (the rest is in an expandable block).
    static let previewLength = 160
    /// The most of one payload a page carries at all; longer ones are cut, with their size said.
    static let payloadLimit = 16 << 10

    /// `2026-12-07 21:05:09.123` (UTC).
    static func time(_ date: Date) -> String {
        let text = APIJSON.format(date)  // 2026-12-07T21:05:09.123Z
        return text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
    }

    /// A time given as nanoseconds since 1970.
    static func time(nanoseconds: Int64) -> String {
        time(Date(timeIntervalSince1970: Double(nanoseconds) / 1e9))
    }

    /// `850 ms`, `2.4 s`, `3 min 20 s`, `5 h 2 min`: a duration in seconds, to a useful precision.
    static func duration(seconds: Double) -> String {
        let s = max(0, seconds)
        if s < 1 { return "\(Int((s * 1000).rounded())) ms" }
        if s < 60 { return String(format: "%.1f s", s) }
        if s < 3600 { return "\(Int(s) / 60) min \(Int(s) % 60) s" }
        if s < 86400 { return "\(Int(s) / 3600) h \(Int(s) % 3600 / 60) min" }
        return "\(Int(s) / 86400) d \(Int(s) % 86400 / 3600) h"
    }

    /// A latency in milliseconds (`–` before the first one).
    static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "–" }
        return value < 10 ? String(format: "%.2f ms", value) : String(format: "%.0f ms", value)
    }

    /// A payload as the page shows it: a one-line preview, and the whole text when the preview is cut.
    static func payload(_ payload: APIPayload) -> [String: Any] {
        var text = payload.preview
        var cut = false
        if text.count > payloadLimit {
            text = String(text.prefix(payloadLimit))
            cut = true
        }
        var model: [String: Any] = ["bytes": payload.bytes]
        if text.count > previewLength || cut {
            model["preview"] = String(text.prefix(previewLength)) + "…"
            model["full"] = cut ? text + "\n… (cut: \(payload.bytes) bytes in all)" : text
        } else {
            model["preview"] = text
        }
        if payload.redacted == true { model["redacted"] = true }
        return model
    }

    /// A JSON value from an event's details as one short line (strings without quotes).
    static func detail(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        if case .null = value { return nil }
        if case .string(let text) = value { return text }
        return value.text
    }

    /// A date from an event's details (ISO 8601), as ``time(_:)`` writes it; the text itself when it is not one.
    static func detailTime(_ value: JSONValue?) -> String? {
        guard let text = detail(value) else { return nil }
        return APIJSON.parse(text).map(time) ?? text
    }

    /// A failure from an event's details (`{"errorType", "message"}`) as `Type: message`.
    static func failure(_ value: JSONValue?) -> String? {
        guard let value, case .object(let fields) = value else { return nil }
        let type = detail(fields["errorType"]) ?? "Error"
        let message = detail(fields["message"]) ?? ""
        return message.isEmpty ? type : "\(type): \(message)"
    }

    /// `/workflows/ID` with the ID percent-encoded as one path segment.
    static func workflowPath(_ id: String) -> String {
        "/workflows/" + percentEncoded(id)
    }

    /// `text` percent-encoded for a path segment or a query value (only unreserved characters stay).
    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
