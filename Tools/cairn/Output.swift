import CairnLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
