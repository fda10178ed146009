package import ArgumentParser
package import Cairn

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A duration on the command line: `7d`, `12h`, `30m`, `45s`, `500ms`, `2w`, or a combination (`1d12h`).
package struct DurationArgument: ExpressibleByArgument, Sendable {
    package var nanoseconds: Int64

    package init?(argument: String) {
        let units: [(String, Int64)] = [
            ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
            ("d", 86_400_000_000_000), ("w", 604_800_000_000_000),
        ]
        var total: Int64 = 0
        var rest = Substring(argument.lowercased())
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.prefix { $0.isLetter }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            let (product, overflow) = value.multipliedReportingOverflow(by: unit.1)
            guard !overflow else { return nil }
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !sumOverflow else { return nil }
            total = sum
        }
        nanoseconds = total
    }

    package var duration: Duration { .nanoseconds(nanoseconds) }
}

/// A point in time on the command line: an ISO 8601 date or date-time in UTC (`2025-01-31`,
/// `2025-01-31T14:05:09Z`, `2025-01-31 14:05`), or a duration meaning that long ago (`24h`, `7d`).
///
/// Times are nanoseconds since 1970 in an `Int64`, which reach from 1677 to 2262; a date outside that range (say
/// `9999-12-31`, or a duration ago of centuries) stands for the earliest or latest time there is, so
/// `--until 9999-12-31` means "no upper bound". Nothing here can overflow: every step is checked.
package struct TimeArgument: ExpressibleByArgument, Sendable {
    package var nanoseconds: Int64

    package init?(argument: String) {
        if let ago = DurationArgument(argument: argument) {
            nanoseconds = nowNanoseconds().subtractingSaturating(ago.nanoseconds)
            return
        }
        var text = Substring(argument)
        if text.hasSuffix("Z") || text.hasSuffix("z") { text = text.dropLast() }
        let parts = text.split(whereSeparator: { $0 == "T" || $0 == "t" || $0 == " " })
        guard parts.count == 1 || parts.count == 2 else { return nil }
        let date = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        guard date.count == 3, let y = digits(date[0], max: 9), let mo = digits(date[1], max: 2),
            let d = digits(date[2], max: 2), (1...12).contains(mo), (1...31).contains(d)
        else { return nil }
        var seconds: Int64 = 0
        var fraction: Int64 = 0
        if parts.count == 2 {
            let clock = parts[1].split(separator: ":", omittingEmptySubsequences: false)
            guard (2...3).contains(clock.count), let h = digits(clock[0], max: 2), let mi = digits(clock[1], max: 2),
                h < 24, mi < 60
            else { return nil }
            seconds = h * 3600 + mi * 60
            if clock.count == 3 {
                let sec = clock[2].split(separator: ".", omittingEmptySubsequences: false)
                guard sec.count <= 2, let s = digits(sec[0], max: 2), s < 61 else { return nil }
                seconds += s
                if sec.count == 2 {
                    // Digits past nanoseconds are ignored, but must be digits.
                    guard sec[1].allSatisfy({ $0.isASCII && $0.isNumber }), let f = digits(sec[1].prefix(9), max: 9) else {
                        return nil
                    }
                    fraction = f * pow10(9 - min(9, sec[1].count))
                }
            }
        }
        // Days since 1970 from a civil date (Howard Hinnant's algorithm). A year of at most 9 digits keeps every
        // product here far inside Int64; only the final conversion to nanoseconds can leave it, and saturates.
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let (whole, overflow) = (days * 86_400 + seconds).multipliedReportingOverflow(by: 1_000_000_000)
        nanoseconds = overflow ? (days < 0 ? .min : .max) : whole.addingSaturating(fraction)
    }
}

/// The value of `text` if it is 1 to `max` ASCII digits (no sign, no spaces).
private func digits(_ text: Substring, max: Int) -> Int64? {
    guard !text.isEmpty, text.count <= max, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    return Int64(text)
}

private func pow10(_ n: Int) -> Int64 {
    var v: Int64 = 1
    for _ in 0..<n { v *= 10 }
    return v
}

extension Int64 {
    /// `self + other`, saturated at the ends of `Int64`.
    func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other < 0 ? .min : .max) : sum
    }

    /// `self - other`, saturated at the ends of `Int64`.
    func subtractingSaturating(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : difference
    }
}

/// Nanoseconds since 1970, from the system clock.
package func nowNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// A workflow status on the command line.
package struct StatusArgument: ExpressibleByArgument, Sendable {
    package var status: WorkflowStatus

    package init?(argument: String) {
        guard let status = WorkflowStatus(rawValue: argument.lowercased()) else { return nil }
        self.status = status
    }

    package static var allValueStrings: [String] { WorkflowStatus.allCases.map(\.rawValue) }
}

/// A point where `cairn compact --crash-after` stops as a crash would (tests only).
package struct StopArgument: ExpressibleByArgument, Sendable {
    package var stop: WorkflowCompaction.Stop

    package init?(argument: String) {
        guard let stop = WorkflowCompaction.Stop(rawValue: argument) else { return nil }
        self.stop = stop
    }
}
