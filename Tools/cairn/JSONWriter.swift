/// Builds JSON text by hand: the bytes of JSON payloads go in as they are, and `export` streams millions of events
/// through it. Measured in one run on the development VM against building each event as a dictionary for
/// `JSONSerialization.data(withJSONObject:)`: 4.8 µs per event here, 176 µs there (with the payload parsed back
/// into objects, which that needs).
struct JSONWriter {
    var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]

    init() { bytes.reserveCapacity(256) }

    private mutating func separator() {
        if needsComma[needsComma.count - 1] { bytes.append(0x2C) }
        needsComma[needsComma.count - 1] = true
    }

    mutating func beginObject() {
        separator()
        bytes.append(0x7B)
        needsComma.append(false)
    }

    mutating func endObject() {
        bytes.append(0x7D)
        needsComma.removeLast()
    }

    mutating func beginArray() {
        separator()
        bytes.append(0x5B)
        needsComma.append(false)
    }

    mutating func endArray() {
        bytes.append(0x5D)
        needsComma.removeLast()
    }

    /// Ends a top-level value with a newline (JSON lines): the next value starts a new line, without a comma.
    mutating func newLine() {
        bytes.append(0x0A)
        needsComma[0] = false
        pendingValue = false
    }

    /// A key; the next value written is its value.
    mutating func key(_ key: String) {
        separator()
        appendString(key)
        bytes.append(0x3A)
        needsComma[needsComma.count - 1] = false
        pendingValue = true
    }

    private var pendingValue = false

    private mutating func valueSeparator() {
        if pendingValue {
            pendingValue = false
            needsComma[needsComma.count - 1] = true
        } else {
            separator()
        }
    }

    mutating func string(_ value: String) {
        valueSeparator()
        appendString(value)
    }

    mutating func number(_ value: Int64) {
        valueSeparator()
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func number(_ value: UInt64) {
        valueSeparator()
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func number(_ value: Int) { number(Int64(value)) }

    mutating func double(_ value: Double) {
        valueSeparator()
        bytes.append(contentsOf: (value.isFinite ? "\(value)" : "null").utf8)
    }

    mutating func bool(_ value: Bool) {
        valueSeparator()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func null() {
        valueSeparator()
        bytes.append(contentsOf: "null".utf8)
    }

    /// Bytes already known to be one JSON value.
    mutating func raw(_ json: some Collection<UInt8>) {
        valueSeparator()
        let start = bytes.count
        bytes.append(contentsOf: json)
        escapeTerminalControls(from: start)
    }

    mutating func field(_ name: String, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }

    mutating func field(_ name: String, _ value: Int64?) {
        key(name)
        if let value { number(value) } else { null() }
    }

    mutating func field(_ name: String, _ value: Int) {
        key(name)
        number(value)
    }

    private mutating func appendString(_ s: String) {
        let start = bytes.count
        bytes.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
            case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20, 0x7F:
                appendEscape(UInt32(b))
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
        escapeTerminalControls(from: start)
    }

    private mutating func appendEscape(_ scalar: UInt32) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(contentsOf: [0x5C, 0x75])
        for shift in [12, 8, 4, 0] as [UInt32] { bytes.append(hex[Int((scalar >> shift) & 15)]) }
    }

    /// Rewrites, in what was written since `start`, the characters a terminal may act on that JSON lets through
    /// raw — DEL, C1 controls, bidirectional controls — as `\u` escapes (see ``TerminalText``), so that JSON shown
    /// on a terminal (`cairn show --json` without a pipe) is as safe as text. Valid JSON has these only inside
    /// strings, where an escape means the same character.
    private mutating func escapeTerminalControls(from start: Int) {
        let tail = bytes[start...]
        guard tail.contains(where: { $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 }) else { return }
        let original = Array(tail)
        bytes.removeSubrange(start...)
        var i = 0
        while i < original.count {
            let b = original[i]
            if b == 0x7F {
                appendEscape(0x7F)
                i += 1
            } else if b == 0xC2, i + 1 < original.count, (0x80...0x9F).contains(original[i + 1]) {
                appendEscape(UInt32(original[i + 1]))
                i += 2
            } else if b == 0xE2, i + 2 < original.count,
                (original[i + 1] == 0x80 && (0xAA...0xAE).contains(original[i + 2]))
                    || (original[i + 1] == 0x81 && (0xA6...0xA9).contains(original[i + 2]))
            {
                appendEscape(0x2000 | (UInt32(original[i + 1] & 0x3F) << 6) | UInt32(original[i + 2] & 0x3F))
                i += 3
            } else {
                bytes.append(b)
                i += 1
            }
        }
    }
}
