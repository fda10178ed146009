#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A schedule's ticks: its cron expression read in its time zone (the DST rules are ``CronExpression``'s: a
/// local time that does not exist that day is skipped, one that occurs twice fires once, at its first occurrence).
struct TickTimeline: Sendable {
    let cron: CronExpression
    let zone: TimeZone

    init(cron: CronExpression, zone: TimeZone) {
        self.cron = cron
        self.zone = zone
    }

    /// The timeline of a recorded schedule; nil when its expression or zone is not valid here (a zone this
    /// machine's time zone database lacks): the engine then logs it and fires nothing.
    init?(_ schedule: ScheduledStarts.Schedule) {
        guard let cron = try? CronExpression(schedule.definition.cron),
            let zone = TimeZone(identifier: schedule.definition.timeZone)
        else { return nil }
        self.init(cron: cron, zone: zone)
    }

    /// The first tick strictly after `instant` (ns since 1970); nil when none comes within about ten years.
    func next(after instant: Int64) -> Int64? { cron.nextTick(after: instant, in: zone) }

    /// The ticks in `(after, through]`, at most `limit` of them (the most recent), oldest first.
    ///
    /// It does not walk every tick of a long downtime: it looks at a window before `through` about `limit` periods
    /// wide, and widens it (×4) only until it holds `limit` ticks or reaches `after`.
    func ticks(after: Int64, through: Int64, limit: Int) -> [Int64] {
        guard limit > 0, let first = next(after: after), first <= through else { return [] }
        let period = next(after: first).map { Swift.max(1_000_000_000, $0 - first) } ?? 1_000_000_000
        var span = period.multipliedReportingOverflow(by: Int64(limit) + 1)
        if span.overflow { span.partialValue = .max }
        var width = span.partialValue
        while true {
            let from = Swift.max(after, through.subtractingSaturating(width))
            var found: [Int64] = []
            var cursor = from
            while let tick = next(after: cursor), tick <= through {
                found.append(tick)
                if found.count > limit { found.removeFirst(found.count - limit) }
                cursor = tick
            }
            if found.count >= limit || from == after { return found }
            let wider = width.multipliedReportingOverflow(by: 4)
            width = wider.overflow ? .max : wider.partialValue
        }
    }

    /// The ID of the workflow a schedule's tick starts: `"<schedule>@<tick in UTC, ISO 8601>"`, e.g.
    /// `"nightly@2026-12-07T10:00:00Z"` (fractional seconds only when the tick has them). One tick, one ID: a
    /// second start of it starts nothing.
    static func workflowID(schedule: String, tick: Int64) -> String {
        "\(schedule)@\(iso8601(tick))"
    }

    /// `nanoseconds` since 1970 as `YYYY-MM-DDTHH:MM:SS[.fffffffff]Z` (proleptic Gregorian, UTC).
    static func iso8601(_ nanoseconds: Int64) -> String {
        let (seconds, fraction) = nanoseconds.floorDivided(by: 1_000_000_000)
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        // Civil date from days since 1970-01-01 (the era-based algorithm: 400-year eras of 146,097 days).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fraction != 0 { text += "." + pad(fraction, 9) }
        return text + "Z"
    }
}

extension Int64 {
    /// Quotient and remainder rounded towards negative infinity (the remainder is never negative).
    fileprivate func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let q = self / divisor
        let r = self % divisor
        return r < 0 ? (q - 1, r + divisor) : (q, r)
    }
}
