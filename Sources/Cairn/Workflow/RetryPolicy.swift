#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How often, and how far apart, a failing step is tried again before its failure is recorded.
///
/// The wait between attempts is durable, like a sleep: each failed attempt that will be retried is recorded at the
/// step's position (``EventKind/retryWaitStarted``: the attempt, the error's type and message, and the next
/// attempt's deadline — the backoff less its jitter, drawn once) before the wait begins. The workflow gives its
/// running slot up while it waits and may be evicted; after a restart the wait goes on to the recorded deadline
/// and the attempt count goes on from the record, so ``maxAttempts`` bounds the attempts across restarts (an
/// attempt a crash interrupted runs again: steps are at-least-once). Replay never runs a failed attempt again.
///
/// An error that retrying cannot cure ends the retries at once: one of a type that conforms to
/// ``NonRetryableError``, or one listed in ``nonRetryable``.
/// ```swift
/// let charge = try await context.step(
///     "charge-card", retry: RetryPolicy(maxAttempts: 5, nonRetryable: [PaymentDeclined.self])
/// ) { try await payments.charge(order) }
/// ```
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (1 = no retry).
    public var maxAttempts: Int
    /// The wait before the second attempt.
    public var initialInterval: Duration
    /// The factor each later wait is multiplied by.
    public var backoffRate: Double
    /// The longest wait between attempts.
    public var maxInterval: Duration
    /// How much of each wait is drawn at random, from 0 (none: the waits are exactly the backoff) to 1: a wait is
    /// drawn uniformly between `(1 − jitter) ×` its backoff and the backoff itself. Jitter spreads the retries of
    /// many workflows that failed together (a dependency went down) instead of sending them back all at once. It
    /// only shortens a wait, so ``maxInterval`` stays the longest one.
    public var jitter: Double
    /// Error types that end the retries at once, matched by the thrown error's exact type (for types you do not
    /// own; a type of yours can conform to ``NonRetryableError`` instead).
    public var nonRetryable: [any Error.Type]

    /// A policy. Out-of-range values are brought into range rather than refused: fewer than 1 attempt means 1,
    /// a backoff rate below 1 (or not a number) means 1, negative intervals mean zero, a jitter outside 0…1 (or not
    /// a number) the nearest bound (0 for not a number). Any size is safe: the wait is computed without overflow
    /// and never exceeds `maxInterval` (nor about 34,000 years).
    ///
    /// The default jitter is 0: the waits are exactly the backoff, never shorter, as the schedule says. Where many
    /// workflows may fail together (they call one dependency), 0.1–0.3 spreads their retries.
    public init(
        maxAttempts: Int, initialInterval: Duration = .milliseconds(100), backoffRate: Double = 2,
        maxInterval: Duration = .seconds(30), jitter: Double = 0, nonRetryable: [any Error.Type] = []
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialInterval = max(.zero, initialInterval)
        self.backoffRate = backoffRate.isNaN ? 1 : max(1, backoffRate)
        self.maxInterval = max(.zero, maxInterval)
        self.jitter = Self.clamped(jitter)
        self.nonRetryable = nonRetryable
    }

    /// One attempt, no retry.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// Exponential backoff: 100 ms, 200 ms, 400 ms, … up to 30 s between attempts.
    public static func exponential(maxAttempts: Int) -> RetryPolicy { RetryPolicy(maxAttempts: maxAttempts) }

    /// Whether a failed attempt that threw `error` may be followed by another (attempts permitting): not for a
    /// ``NonRetryableError`` nor a type in ``nonRetryable``.
    func retries(_ error: any Error) -> Bool {
        if error is any NonRetryableError { return false }
        guard !nonRetryable.isEmpty else { return true }
        let thrown = ObjectIdentifier(type(of: error))
        return !nonRetryable.contains { ObjectIdentifier($0) == thrown }
    }

    /// The backoff after failed attempt `attempt` (1-based), before jitter:
    /// `initialInterval × backoffRate^(attempt − 1)`, at most `maxInterval`. Computed in floating point and
    /// clamped, so huge attempt counts, rates or intervals saturate (an infinite factor times a zero interval is
    /// zero) instead of trapping: a trap would recur at every restart, as the step runs again.
    func delay(after attempt: Int) -> Duration {
        Duration.seconds(backoffSeconds(after: attempt))
    }

    /// The wait after failed attempt `attempt`: its backoff (``delay(after:)``) less a random part of up to
    /// ``jitter`` of it, drawn from `random` (the system's generator live; a seeded one in tests).
    func delay<R: RandomNumberGenerator>(after attempt: Int, using random: inout R) -> Duration {
        let backoff = backoffSeconds(after: attempt)
        let jitter = Self.clamped(self.jitter)  // the field is public: it may be set past the initializer's checks
        guard jitter > 0, backoff > 0 else { return .seconds(backoff) }
        return .seconds(backoff * (1 - jitter * Double.random(in: 0...1, using: &random)))
    }

    /// The backoff in seconds, as ``delay(after:)`` describes it.
    private func backoffSeconds(after attempt: Int) -> Double {
        // The fields are public and may be set past the initializer's checks: clamp here too.
        let rate = backoffRate.isNaN ? 1 : max(1, backoffRate)
        let initial = max(0, initialInterval.inSeconds)
        let cap = max(0, maxInterval.inSeconds)
        guard initial > 0 else { return 0 }
        let factor = pow(rate, Double(max(0, attempt - 1)))
        let seconds = min(initial * factor, cap)  // factor may be infinite; initial > 0, so no NaN
        return min(seconds, Duration.longestWait.inSeconds)
    }

    /// `jitter` within 0…1; 0 for not a number.
    private static func clamped(_ jitter: Double) -> Double { jitter.isNaN ? 0 : min(1, max(0, jitter)) }

    /// Equal policies: the same fields, the same ``nonRetryable`` types (by identity: a metatype is neither
    /// Equatable nor Hashable) in the same order.
    public static func == (lhs: RetryPolicy, rhs: RetryPolicy) -> Bool {
        lhs.maxAttempts == rhs.maxAttempts && lhs.initialInterval == rhs.initialInterval
            && lhs.backoffRate == rhs.backoffRate && lhs.maxInterval == rhs.maxInterval && lhs.jitter == rhs.jitter
            && lhs.nonRetryable.map(ObjectIdentifier.init) == rhs.nonRetryable.map(ObjectIdentifier.init)
    }

    /// Hashes what ``==(_:_:)`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(maxAttempts)
        hasher.combine(initialInterval)
        hasher.combine(backoffRate)
        hasher.combine(maxInterval)
        hasher.combine(jitter)
        for type in nonRetryable { hasher.combine(ObjectIdentifier(type)) }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double` (exact enough for waits).
    var inSeconds: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }
}
