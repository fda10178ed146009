import Cairn
import CairnLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the tool writes: buffered standard output, and whether it is a terminal that gets colour.
///
/// Colour only on a terminal, and never when `NO_COLOR` is set and not empty (https://no-color.org).
struct Terminal {
    static let stdoutIsTTY = isatty(1) == 1
    static let stderrIsTTY = isatty(2) == 1
    static var noColorRequested: Bool {
        guard let value = getenv("NO_COLOR") else { return false }
        return value.pointee != 0
    }
    static let colour = stdoutIsTTY && !noColorRequested
}

/// ANSI styles, applied only when ``Terminal/colour`` is on.
enum Style: String {
    case bold = "1", dim = "2", red = "31", green = "32", yellow = "33", blue = "34", magenta = "35", cyan = "36"

    func apply(_ text: String) -> String {
        Terminal.colour ? "\u{1B}[\(rawValue)m\(text)\u{1B}[0m" : text
    }

    /// Whether `bytes` (after an ESC) begin with a sequence ``apply(_:)`` writes: `[` code `m`, code one of the
    /// styles or `0` (reset). Returns its length, without the ESC.
    static func sequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, from i: Int) -> Int? {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { return nil }
        var j = i + 1
        var code = ""
        while j < bytes.count, j - i <= 3, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[j]) {
            code.append(Character(UnicodeScalar(bytes[j])))
            j += 1
        }
        guard j < bytes.count, bytes[j] == UInt8(ascii: "m"), code == "0" || Style(rawValue: code) != nil else { return nil }
        return j + 1 - i
    }

    static func status(_ status: WorkflowStatus) -> Style {
        switch status {
        case .completed: .green
        case .failed: .red
        case .pending, .running: .yellow
        case .cancelled: .dim
        case .diverged, .parked: .magenta
        }
    }
}

/// Text made safe to show on a terminal: the one filter every text the tool writes for people passes through.
///
/// Workflow IDs, names, topics, event keys, error messages and payloads come from the log, and so from whoever
/// started a workflow or threw an error. Written as they are, control characters in them would drive the terminal:
/// `ESC ] 0 ; … BEL` retitles the window, `ESC [ 2 J` clears the screen, OSC 52 writes the clipboard, and a
/// carriage return or a bidirectional override makes text look like something else. So every C0 control except
/// newline and tab, DEL, every C1 control (U+0080–U+009F, which terminals may read as ESC sequences too) and the
/// bidirectional embedding, override and isolate characters are shown as visible escapes (`\u{1B}`) instead.
///
/// The only escape sequences that pass are the colour codes ``Style`` writes (`ESC [ n m` with n one of its codes or
/// 0), and only when colour is on: an injected one of those can change the colour of the text after it, nothing
/// else. With colour off (not a terminal, `NO_COLOR`, pipes, files) no ESC byte passes at all.
///
/// JSON output does not pass through here: ``JSONWriter`` escapes the same characters as `\u00XX`.
enum TerminalText {
    /// `text` with control characters escaped; `text` itself when it has none (the common case, checked first).
    static func escaped(_ text: String, keepingStyles: Bool = Terminal.colour) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard needsEscaping(bytes) else { return nil as String? }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 16)
            append(bytes, to: &out, keepingStyles: keepingStyles)
            return String(decoding: out, as: UTF8.self)
        } ?? text
    }

    /// Whether any byte of `bytes` starts a character ``escaped(_:keepingStyles:)`` changes.
    static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for (i, b) in bytes.enumerated() {
            if b < 0x20 && b != 0x0A && b != 0x09 { return true }
            if b == 0x7F { return true }
            if b == 0xC2 && i + 1 < bytes.count && (0x80...0x9F).contains(bytes[i + 1]) { return true }
            if b == 0xE2 && i + 2 < bytes.count && isBidiControl(bytes[i + 1], bytes[i + 2]) { return true }
        }
        return false
    }

    /// U+202A–U+202E (embeddings, overrides) and U+2066–U+2069 (isolates), by their 2nd and 3rd UTF-8 bytes.
    private static func isBidiControl(_ b1: UInt8, _ b2: UInt8) -> Bool {
        (b1 == 0x80 && (0xAA...0xAE).contains(b2)) || (b1 == 0x81 && (0xA6...0xA9).contains(b2))
    }

    /// Appends `bytes` (valid UTF-8) to `out`, escaping what must not reach a terminal.
    static func append(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8], keepingStyles: Bool) {
        func escape(_ scalar: UInt32) {
            out.append(contentsOf: "\\u{\(String(scalar, radix: 16, uppercase: true))}".utf8)
        }
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x1B, keepingStyles, let length = Style.sequenceLength(bytes, from: i + 1) {
                out.append(contentsOf: bytes[i...(i + length)])
                i += length + 1
            } else if (b < 0x20 && b != 0x0A && b != 0x09) || b == 0x7F {
                escape(UInt32(b))
                i += 1
            } else if b == 0xC2, i + 1 < bytes.count, (0x80...0x9F).contains(bytes[i + 1]) {
                escape(UInt32(bytes[i + 1]))
                i += 2
            } else if b == 0xE2, i + 2 < bytes.count, isBidiControl(bytes[i + 1], bytes[i + 2]) {
                escape(0x2000 | (UInt32(bytes[i + 1] & 0x3F) << 6) | UInt32(bytes[i + 2] & 0x3F))
                i += 3
            } else {
                out.append(b)
                i += 1
            }
        }
    }
}

/// Buffered writes to standard output (millions of lines go out through this).
///
/// Text goes through ``TerminalText``: nothing written with ``write(_:)`` or ``line(_:)`` can carry a control
/// sequence of the log's making to the terminal. ``bytes(_:)`` is for JSON, which ``JSONWriter`` has escaped.
struct Output {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            if TerminalText.needsEscaping(bytes) {
                TerminalText.append(bytes, to: &buffer, keepingStyles: Terminal.colour)
            } else {
                buffer.append(contentsOf: bytes)
            }
        }
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func line(_ text: String = "") {
        write(text)
        buffer.append(0x0A)
    }

    mutating func bytes(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Moves what `writer` holds to the output once it has grown past 64 KiB: long JSON outputs stream instead of
    /// piling up in memory.
    mutating func drain(_ writer: inout JSONWriter) {
        guard writer.bytes.count >= 1 << 16 else { return }
        bytes(writer.bytes)
        writer.bytes.removeAll(keepingCapacity: true)
    }

    mutating func flush() {
        buffer.withUnsafeBytes { b in
            var done = 0
            while done < b.count {
                let n = Platform.write(1, UnsafeRawBufferPointer(rebasing: b[done...]))
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EPIPE { exit(141) }  // the reader went away (`cairn export | head`)
                if n <= 0 {
                    // A full disk or another I/O error: say so, with the status the README gives it.
                    printError("cairn: cannot write the output: \(String(cString: strerror(errno)))")
                    exit(ExitStatus.failure)
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes a line to standard error at once (escaped as ``TerminalText`` says: errors quote IDs and paths).
func printError(_ text: String) {
    printErrorRaw(text + "\n")
}

/// Writes `text` to standard error, escaped, with no newline added; `control` goes first as it is (a progress line
/// rewrites itself with `\r` and `ESC [ K`, which only the tool itself may write).
func printErrorRaw(_ text: String, control: String = "") {
    var bytes = Array(control.utf8)
    var text = text
    text.withUTF8 { TerminalText.append($0, to: &bytes, keepingStyles: false) }
    bytes.withUnsafeBytes { _ = Platform.write(2, $0) }
}

/// An aligned table for people: a header row, then rows; columns padded to their widest cell.
struct Table {
    enum Alignment { case left, right }
    struct Column {
        var title: String
        var alignment: Alignment = .left
    }

    var columns: [Column]
    /// Cells, and the style of each (applied after padding, so escape codes never break alignment).
    var rows: [[(text: String, style: Style?)]] = []

    init(_ columns: [Column]) { self.columns = columns }

    /// Adds a row; cells are escaped (``TerminalText``) before they are measured, so escapes keep columns aligned.
    mutating func add(_ cells: [(text: String, style: Style?)]) {
        rows.append(cells.map { (TerminalText.escaped($0.text, keepingStyles: false), $0.style) })
    }

    func render(into out: inout Output) {
        for line in lines() { out.line(line) }
    }

    /// The rendered lines.
    func lines() -> [String] {
        var widths = columns.map { $0.title.count }
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.text.count) }
        }
        func pad(_ text: String, _ i: Int) -> String {
            let gap = String(repeating: " ", count: max(0, widths[i] - text.count))
            return columns[i].alignment == .left ? text + gap : gap + text
        }
        let last = columns.count - 1
        var lines: [String] = []
        lines.reserveCapacity(rows.count + 1)
        var header = ""
        for i in columns.indices {
            let cell = i == last && columns[i].alignment == .left ? columns[i].title : pad(columns[i].title, i)
            header += (i == 0 ? "" : "  ") + cell
        }
        lines.append(Style.bold.apply(header))
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() where i < columns.count {
                let text = i == last && columns[i].alignment == .left ? cell.text : pad(cell.text, i)
                line += (i == 0 ? "" : "  ") + (cell.style?.apply(text) ?? text)
            }
            lines.append(line)
        }
        return lines
    }
}

/// Formats numbers, sizes and times for people.
enum Format {
    /// 1234567 → "1,234,567".
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// Bytes in binary units: "512 B", "12.3 KiB", "4.0 MiB".
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : String(format1: value) + " " + units[unit]
    }

    /// Nanoseconds since 1970 as UTC: "2025-01-31 14:05:09" (or with milliseconds and a Z: ISO 8601).
    /// Any `Int64` works, from 1677 to 2262 (a sleep of `.seconds(.max)` records the latest).
    static func time(_ ns: Int64, iso: Bool = false) -> String {
        // Floor division without overflow (a time of Int64.min comes from a clock or a log, not from us).
        let (quotient, remainder) = ns.quotientAndRemainder(dividingBy: 1_000_000_000)
        let seconds = remainder < 0 ? quotient - 1 : quotient
        let millis = Int((remainder < 0 ? remainder + 1_000_000_000 : remainder) / 1_000_000)
        var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        // Civil date from days since 1970 (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        var year = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        if month <= 2 { year += 1 }
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let date = "\(year)-\(two(month))-\(two(day))"
        let clock = "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))"
        if iso {
            let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
            return "\(date)T\(clock).\(ms)Z"
        }
        return "\(date) \(clock)"
    }

    /// Shortens `text` to `max` characters, ending in "…".
    static func truncate(_ text: String, _ max: Int) -> String {
        guard text.count > max else { return text }
        return String(text.prefix(Swift.max(0, max - 1))) + "…"
    }

    /// One line: newlines and tabs become spaces.
    static func oneLine(_ text: String) -> String {
        guard text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\t" }) else { return text }
        return String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0 })
    }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}

/// Builds JSON text by hand: fast enough for millions of events, and the bytes of JSON payloads go in as they are.
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

/// Checks that bytes are exactly one JSON value (RFC 8259), so a payload can be embedded in JSON output as is.
enum JSONCheck {
    static func isJSON(_ bytes: [UInt8]) -> Bool {
        var i = 0
        func ws() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 } }
        func literal(_ s: String) -> Bool {
            for c in s.utf8 {
                guard i < bytes.count, bytes[i] == c else { return false }
                i += 1
            }
            return true
        }
        func string() -> Bool {
            i += 1
            while i < bytes.count {
                let c = bytes[i]
                if c == 0x22 { i += 1; return true }
                if c < 0x20 { return false }
                if c == 0x5C {
                    i += 1
                    guard i < bytes.count else { return false }
                    if bytes[i] == 0x75 {
                        for _ in 0..<4 {
                            i += 1
                            guard i < bytes.count, (0x30...0x39).contains(bytes[i]) || (0x41...0x46).contains(bytes[i]) || (0x61...0x66).contains(bytes[i]) else { return false }
                        }
                    } else if !"\"\\/bfnrt".utf8.contains(bytes[i]) {
                        return false
                    }
                }
                i += 1
            }
            return false
        }
        func number() -> Bool {
            let start = i
            if i < bytes.count, bytes[i] == 0x2D { i += 1 }
            var digits = 0
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1; digits += 1 }
            guard digits > 0 else { return false }
            if digits > 1 && bytes[start + (bytes[start] == 0x2D ? 1 : 0)] == 0x30 { return false }
            if i < bytes.count, bytes[i] == 0x2E {
                i += 1
                var frac = 0
                while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1; frac += 1 }
                guard frac > 0 else { return false }
            }
            if i < bytes.count, bytes[i] == 0x65 || bytes[i] == 0x45 {
                i += 1
                if i < bytes.count, bytes[i] == 0x2B || bytes[i] == 0x2D { i += 1 }
                var exp = 0
                while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1; exp += 1 }
                guard exp > 0 else { return false }
            }
            return true
        }
        func value(_ depth: Int) -> Bool {
            guard depth < 512 else { return false }
            ws()
            guard i < bytes.count else { return false }
            switch bytes[i] {
            case 0x7B:
                i += 1
                ws()
                if i < bytes.count, bytes[i] == 0x7D { i += 1; return true }
                while true {
                    ws()
                    guard i < bytes.count, bytes[i] == 0x22, string() else { return false }
                    ws()
                    guard i < bytes.count, bytes[i] == 0x3A else { return false }
                    i += 1
                    guard value(depth + 1) else { return false }
                    ws()
                    guard i < bytes.count else { return false }
                    if bytes[i] == 0x2C { i += 1; continue }
                    if bytes[i] == 0x7D { i += 1; return true }
                    return false
                }
            case 0x5B:
                i += 1
                ws()
                if i < bytes.count, bytes[i] == 0x5D { i += 1; return true }
                while true {
                    guard value(depth + 1) else { return false }
                    ws()
                    guard i < bytes.count else { return false }
                    if bytes[i] == 0x2C { i += 1; continue }
                    if bytes[i] == 0x5D { i += 1; return true }
                    return false
                }
            case 0x22: return string()
            case 0x74: return literal("true")
            case 0x66: return literal("false")
            case 0x6E: return literal("null")
            default: return number()
            }
        }
        guard value(0) else { return false }
        ws()
        return i == bytes.count && String(validating: bytes, as: UTF8.self) != nil
    }
}
