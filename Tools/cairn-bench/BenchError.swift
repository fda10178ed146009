#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a benchmark could not run: a failed system call, or a log that did not read back what was written.
struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }

    /// A failed system call on `path`, with `errno`'s text; call right after the failure.
    static func system(_ call: String, _ path: String) -> BenchError {
        let code = errno
        return BenchError("\(call) \(path): \(String(cString: strerror(code))) (errno \(code))")
    }
}
