/// Reads a `text/event-stream` (server-sent events, as the HTML standard defines them) from bytes as they
/// arrive: lines end in LF, CR or CRLF; `field: value` lines fill an event, a blank line sends it; lines starting
/// with `:` are comments (the API's keep-alives).
struct ServerSentEventParser {
    /// One event: its type (`message` unless an `event:` field says otherwise), its data lines joined with LF, and
    /// the last event ID the stream set.
    struct Event: Equatable {
        var type: String
        var data: String
        var id: String?
    }

    private var line: [UInt8] = []
    private var afterCR = false
    private var started = false
    private var type = ""
    private var data: [String] = []
    private var lastID: String?

    /// Feeds `bytes`; returns the events they complete, in order.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }  // the LF of a CRLF
            }
            switch byte {
            case 0x0A, 0x0D:
                afterCR = byte == 0x0D
                if let event = endLine() { events.append(event) }
            default:
                line.append(byte)
            }
        }
        return events
    }

    /// Handles the line just ended; returns the event a blank line completes.
    private mutating func endLine() -> Event? {
        var text = String(decoding: line, as: UTF8.self)
        line.removeAll(keepingCapacity: true)
        if !started {
            started = true
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        }
        if text.isEmpty { return dispatch() }
        if text.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "event": type = String(value)
        case "data": data.append(String(value))
        case "id" where !value.contains("\u{0}"): lastID = String(value)
        default: break  // `retry` and unknown fields: nothing a reader that does not reconnect needs
        }
        return nil
    }

    private mutating func dispatch() -> Event? {
        defer {
            type = ""
            data = []
        }
        guard !data.isEmpty else { return nil }
        return Event(type: type.isEmpty ? "message" : type, data: data.joined(separator: "\n"), id: lastID)
    }
}
