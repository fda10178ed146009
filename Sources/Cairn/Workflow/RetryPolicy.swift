/// How often, and how far apart, a failing step is tried again before its failure is recorded.
///
/// Retries happen within one run of the step: the wait between attempts is not durable, and a crash mid-retry
/// starts the step over from its first attempt (steps are at-least-once).
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (1 = no retry).
    public var maxAttempts: Int
    /// The wait before the second attempt.
    public var initialInterval: Duration
    /// The factor each later wait is multiplied by.
    public var backoffRate: Double
    /// The longest wait between attempts.
    public var maxInterval: Duration

    /// A policy.
    public init(
        maxAttempts: Int, initialInterval: Duration = .milliseconds(100), backoffRate: Double = 2,
        maxInterval: Duration = .seconds(30)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialInterval = initialInterval
        self.backoffRate = max(1, backoffRate)
        self.maxInterval = maxInterval
    }

    /// One attempt, no retry.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// Exponential backoff: 100 ms, 200 ms, 400 ms, … up to 30 s between attempts.
    public static func exponential(maxAttempts: Int) -> RetryPolicy { RetryPolicy(maxAttempts: maxAttempts) }

    /// The wait after failed attempt `attempt` (1-based).
    func delay(after attempt: Int) -> Duration {
        let factor = pow(backoffRate, Double(attempt - 1))
        let nanos = Double(initialInterval.components.seconds) * 1e9 + Double(initialInterval.components.attoseconds) / 1e9
        let capped = min(nanos * factor, Double(maxInterval.components.seconds) * 1e9 + Double(maxInterval.components.attoseconds) / 1e9)
        return .nanoseconds(Int64(capped))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
