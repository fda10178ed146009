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
