#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif

// The log records times as nanoseconds since 1970 and durations as nanoseconds (integers: exact, cheap to
// compare and to encode as varints); the public API shows them as `Date` and `Duration`.

extension Date {
    /// The instant `nanoseconds` after 1970-01-01 00:00:00 UTC (before it when negative).
    ///
    /// Whole seconds and the fraction are converted apart, so the `Double` keeps what precision it can: to within
    /// a microsecond for any time in Int64's range.
    package init(nanosecondsSince1970 nanoseconds: Int64) {
        let (seconds, fraction) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        self.init(timeIntervalSince1970: TimeInterval(seconds) + TimeInterval(fraction) / 1e9)
    }

    /// The date as nanoseconds since 1970, saturated to `Int64`'s range (`Date.distantFuture` is "never"); within
    /// a microsecond of the date, as ``init(nanosecondsSince1970:)``.
    package var nanosecondsSince1970: Int64 {
        let interval = timeIntervalSince1970
        guard interval.isFinite else { return interval < 0 ? .min : .max }
        let seconds = interval.rounded(.down)
        guard seconds < 9_223_372_036, seconds > -9_223_372_037 else { return seconds < 0 ? .min : .max }
        let fraction = Int64(((interval - seconds) * 1e9).rounded())
        return (Int64(seconds) * 1_000_000_000).addingSaturating(fraction)
    }
}

extension Duration {
    /// `nanoseconds` as a duration, exactly, for the whole range of `UInt64`.
    package init(nanoseconds: UInt64) {
        let (seconds, fraction) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        self.init(secondsComponent: Int64(seconds), attosecondsComponent: Int64(fraction) * 1_000_000_000)
    }
}
