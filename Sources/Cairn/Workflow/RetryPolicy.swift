#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// A policy. Out-of-range values are brought into range rather than refused: fewer than 1 attempt means 1,
    /// a backoff rate below 1 (or not a number) means 1, negative intervals mean zero. Any size is safe: the wait
    /// is computed without overflow and never exceeds `maxInterval` (nor about 34,000 years).
    public init(
        maxAttempts: Int, initialInterval: Duration = .milliseconds(100), backoffRate: Double = 2,
        maxInterval: Duration = .seconds(30)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialInterval = max(.zero, initialInterval)
        self.backoffRate = backoffRate.isNaN ? 1 : max(1, backoffRate)
        self.maxInterval = max(.zero, maxInterval)
    }

    /// One attempt, no retry.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// Exponential backoff: 100 ms, 200 ms, 400 ms, … up to 30 s between attempts.
    public static func exponential(maxAttempts: Int) -> RetryPolicy { RetryPolicy(maxAttempts: maxAttempts) }

    /// The wait after failed attempt `attempt` (1-based): `initialInterval × backoffRate^(attempt − 1)`, at most
    /// `maxInterval`. Computed in floating point and clamped, so huge attempt counts, rates or intervals saturate
    /// (an infinite factor times a zero interval is zero) instead of trapping: a trap would recur at every restart, as the step runs again.
    func delay(after attempt: Int) -> Duration {
        // The fields are public and may be set past the initializer's checks: clamp here too.
        let rate = backoffRate.isNaN ? 1 : max(1, backoffRate)
        let initial = max(0, initialInterval.inSeconds)
        let cap = max(0, maxInterval.inSeconds)
        guard initial > 0 else { return .zero }
        let factor = pow(rate, Double(max(0, attempt - 1)))
        let seconds = min(initial * factor, cap)  // factor may be infinite; initial > 0, so no NaN
        return Duration.seconds(min(seconds, Duration.longestWait.inSeconds))
    }
}

extension Duration {
    /// The duration in seconds, as a `Double` (exact enough for waits).
    var inSeconds: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }
}
