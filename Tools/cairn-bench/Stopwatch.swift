import Dispatch

/// The monotonic clock in seconds (`CLOCK_MONOTONIC` through Dispatch): cheap enough to time every single append.
enum Stopwatch {
    static func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
    }
}
