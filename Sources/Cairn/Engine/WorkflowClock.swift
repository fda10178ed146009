#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The engine's source of wall-clock time and its way of waiting for it.
///
/// Durable sleeps and timeouts are recorded as wall-clock deadlines (a restart must know how much is left), so the
/// engine reads time through this protocol. ``SystemWorkflowClock`` is the default; `CairnTesting`'s test clock
/// skips time, so a workflow that sleeps a week is tested in milliseconds.
public protocol WorkflowClock: Sendable {
    /// Nanoseconds since 1970-01-01 UTC.
    func now() -> Int64
    /// Returns when `now()` has reached `deadline` (nanoseconds since 1970); throws `CancellationError` if the
    /// task is cancelled first.
    func sleep(until deadline: Int64) async throws
}

/// The system's real-time clock.
public struct SystemWorkflowClock: WorkflowClock {
    /// Creates the clock.
    public init() {}

    public func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    public func sleep(until deadline: Int64) async throws {
        // Saturating: a deadline read from the log may be anywhere in Int64's range.
        let remaining = deadline.subtractingSaturating(now())
        if remaining > 0 { try await Task.sleep(for: Duration.nanoseconds(remaining).asWait) }
    }
}
