#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the tool writes to a terminal, and so whether its text gets colour.
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
