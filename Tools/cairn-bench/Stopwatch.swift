#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

// Both clocks avoid `timespec` and `rusage` fields: with SwiftNIO in the target (the API workloads), those C structs
// are imported through NIO's C module too, and Swift then asks for that module to read their fields.

/// The monotonic clock in seconds (`CLOCK_MONOTONIC`, through Dispatch): cheap enough to time every single append.
enum Stopwatch {
    static func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
    }
}

/// CPU time this process has used (user + system, all threads), in seconds (`clock()`). On a shared machine a
/// run's wall time depends on what else runs; its CPU time much less so.
enum CPUClock {
    static func now() -> Double {
        Double(clock()) / Double(CLOCKS_PER_SEC)
    }
}
