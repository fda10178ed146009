import Cairn

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
        case .pending, .running, .enqueued: .yellow
        case .cancelled: .dim
        case .diverged, .parked: .magenta
        }
    }
}
