public import Cairn

/// ``APIEvent`` written as JSON by hand: the bytes `APIJSON.encoder()` writes for it (keys sorted, nil fields left
/// out, dates as ``APIJSON/format(_:)``), without `JSONEncoder`, which cost two thirds of the event stream's CPU.
/// The event stream writes every event this way; ``APIJSON/decoder()`` reads it back as the same event (a test
/// checks both ways agree).
extension APIEvent {
    /// The event as one line of JSON.
    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ name: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        if let callSite {
            key("callSite")
            JSONText.string(callSite, into: &out)
        }
        key("details")
        JSONText.value(.object(details), into: &out)
        key("kind")
        JSONText.string(kind, into: &out)
        key("label")
        JSONText.string(label, into: &out)
        key("lsn")
        out.append(contentsOf: String(lsn).utf8)
        key("name")
        JSONText.string(name, into: &out)
        if let payload {
            key("payload")
            out.append(UInt8(ascii: "{"))
            var fields: [(String, JSONValue)] = []
            if let base64 = payload.base64 { fields.append(("base64", .string(base64))) }
            fields.append(("bytes", .integer(Int64(payload.bytes))))
            if let json = payload.json { fields.append(("json", json)) }
            if let redacted = payload.redacted { fields.append(("redacted", .bool(redacted))) }
            for (index, (name, value)) in fields.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.string(name, into: &out)
                out.append(UInt8(ascii: ":"))
                JSONText.value(value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        if let position {
            key("position")
            JSONText.string(position, into: &out)
        }
        key("time")
        JSONText.string(APIJSON.format(time), into: &out)
        key("workflowID")
        JSONText.string(workflowID, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// JSON text of strings and ``JSONValue``s, as `JSONEncoder` writes them with sorted keys and unescaped slashes.
enum JSONText {
    static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(contentsOf: [hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func value(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number): out.append(contentsOf: String(number).utf8)
        case .number(let number):
            // Finite doubles as Swift prints them (valid JSON); JSON has no infinities.
            out.append(contentsOf: (number.isFinite ? "\(number)" : "null").utf8)
        case .string(let text): string(text, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                self.value(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (index, name) in fields.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                string(name, into: &out)
                out.append(UInt8(ascii: ":"))
                self.value(fields[name]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
