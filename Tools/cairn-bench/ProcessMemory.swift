import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// This process's resident memory, in bytes: now, and its peak so far.
enum ProcessMemory {
    /// The resident set now (`VmRSS`; on other systems the peak, the closest `getrusage` gives).
    static func resident() -> Int {
        #if os(Linux)
        if let kilobytes = status("VmRSS:") { return kilobytes * 1024 }
        #endif
        return peak()
    }

    /// The peak resident set (`VmHWM`; `ru_maxrss` elsewhere).
    static func peak() -> Int {
        #if os(Linux)
        if let kilobytes = status("VmHWM:") { return kilobytes * 1024 }
        #endif
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)  // bytes on Darwin
        #endif
    }

    #if os(Linux)
    /// The kilobytes of the `/proc/self/status` line starting with `field`.
    private static func status(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            return Int(line.dropFirst(field.count).split(separator: " ").first ?? "")
        }
        return nil
    }
    #endif
}
