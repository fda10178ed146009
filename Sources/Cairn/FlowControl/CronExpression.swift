public import Foundation

/// A cron expression: the wall-clock times, in a time zone, at which a durable schedule fires.
///
/// ## Syntax
///
/// Six fields separated by spaces or tabs, `second minute hour day-of-month month day-of-week`, or the five fields of
/// standard cron, `minute hour day-of-month month day-of-week`, which fire at second 0:
///
/// | Field        | Values                                       |
/// |--------------|----------------------------------------------|
/// | second       | 0–59                                         |
/// | minute       | 0–59                                         |
/// | hour         | 0–23                                         |
/// | day-of-month | 1–31, `?`                                    |
/// | month        | 1–12 or `JAN`–`DEC`                          |
/// | day-of-week  | 0–7 or `SUN`–`SAT` (0 and 7 are Sunday), `?` |
///
/// Each field is `*` (every value) or a comma-separated list of elements; an element is a value (`5`, `MON`), a
/// range (`1-5`, `MON-FRI`), or either of those or `*` with a step: `*/15` is every 15th value from the field's
/// first (0, 15, 30, 45 for minutes; 1, 16, 31 for days), `10-40/10` is 10, 20, 30, 40, and `5/20` is 5, 25, 45
/// (from 5 to the field's last value); a step is at least 1 and at most the field's largest value. Names are
/// case-insensitive. `?` means the same as `*` and is allowed only alone, in the two day fields. A range runs
/// forwards: `FRI-SUN` is refused, write `FRI-7` or `5-7`. The macros `@yearly` (`@annually`), `@monthly`,
/// `@weekly` (Sundays), `@daily` (`@midnight`) and `@hourly` stand for the expressions that fire at the start of
/// each such period.
///
/// ## Days
///
/// As in standard cron, when both day fields are restricted (neither is a lone `*` or `?`), a day matches when
/// *either* matches: `0 0 12 1 * MON` fires at noon on the 1st of each month and on every Monday. Otherwise a day
/// must match both, which means only the restricted one counts. A step is a restriction: `*/2` in the day-of-month
/// field is restricted. A day that a month lacks never matches: `0 0 0 31 * *` skips months with 30 days, and
/// `0 0 0 30 2 *` never fires.
///
/// ## Time zones and daylight-saving time
///
/// ``nextTick(after:in:)`` matches the fields against the local wall-clock time of the zone it is given, using the
/// zone's UTC offsets (on Linux, from `/usr/share/zoneinfo`):
///
/// - A local time that does not exist, because the clocks skip it when they go forward, does not fire. A daily
///   `0 30 2 * * *` in Europe/Berlin has no tick on 2026-03-29 (02:00 CET becomes 03:00 CEST); it is not moved to
///   03:30 either. The next tick is 02:30 the day after.
/// - A local time that occurs twice, because the clocks go back, fires once, at its first occurrence. A daily
///   `0 30 2 * * *` in Europe/Berlin fires on 2026-10-25 at 02:30 CEST (00:30 UTC), not again at 02:30 CET
///   (01:30 UTC). An expression that fires often, such as every 15 minutes, fires through the first pass of the
///   repeated hour, stays silent during the second pass (02:00–02:59 CET), and goes on at 03:00 CET. So a schedule
///   never fires twice for one wall-clock time, at the cost of a gap as long as the clocks went back.
///
/// A zone without daylight-saving time, such as `TimeZone(identifier: "UTC")`, has neither case.
///
/// ## Examples
///
/// ```swift
/// let everyTenSeconds = try CronExpression("*/10 * * * * *")
/// let weekdayMornings = try CronExpression("0 30 9 * * MON-FRI")
/// let quarterly = try CronExpression("0 0 1 JAN,APR,JUL,OCT *")   // five fields: 00:00:00 on quarter days
/// let berlin = TimeZone(identifier: "Europe/Berlin")!
/// let next = weekdayMornings.nextTick(after: now, in: berlin)  // now and next: nanoseconds since 1970
/// ```
///
/// Two expressions are equal when they were written the same way (``description`` is part of the value);
/// `@daily` and `0 0 0 * * *` fire at the same times but are not equal.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The expression as given.
    public let description: String

    // The parsed form: bit n is set when value n matches.
    /// Seconds, bits 0–59.
    let seconds: UInt64
    /// Minutes, bits 0–59.
    let minutes: UInt64
    /// Hours, bits 0–23.
    let hours: UInt32
    /// Days of the month, bits 1–31.
    let daysOfMonth: UInt32
    /// Months, bits 1–12.
    let months: UInt16
    /// Days of the week, bits 0–6, Sunday 0 (a 7 in the expression is folded into bit 0).
    let daysOfWeek: UInt8
    /// Whether the day-of-month field is other than a lone `*` or `?`.
    let dayOfMonthRestricted: Bool
    /// Whether the day-of-week field is other than a lone `*` or `?`.
    let dayOfWeekRestricted: Bool

    /// Parses `expression` (see ``CronExpression`` for the syntax).
    ///
    /// - Throws: ``WorkflowError`` with code ``WorkflowError/Code/invalidArgument`` when the expression is malformed;
    ///   its message quotes the expression and says which field is wrong, the bad value and what is allowed.
    public init(_ expression: String) throws(WorkflowError) {
        func invalid(_ problem: String) -> WorkflowError {
            WorkflowError(.invalidArgument, "invalid cron expression \"\(expression)\": \(problem)")
        }
        var parts = expression.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            .map(String.init)
        if parts.count == 1, parts[0].hasPrefix("@") {
            guard let expansion = Self.macros[parts[0].lowercased()] else {
                throw invalid("unknown macro '\(parts[0])'; allowed: \(Self.macroNames)")
            }
            parts = expansion.split(separator: " ").map(String.init)
        }
        switch parts.count {
        case 6: break
        case 5: parts.insert("0", at: 0)
        case 0: throw invalid("it is empty; \(Self.fieldCountRule)")
        default: throw invalid("it has \(parts.count) fields; \(Self.fieldCountRule)")
        }
        var masks: [UInt64] = []
        for (field, text) in zip(Self.fields, parts) {
            do throws(FieldError) {
                masks.append(try field.parse(text))
            } catch {
                throw invalid("\(field.name) field '\(text)': \(error.problem)")
            }
        }
        description = expression
        seconds = masks[0]
        minutes = masks[1]
        hours = UInt32(truncatingIfNeeded: masks[2])
        daysOfMonth = UInt32(truncatingIfNeeded: masks[3])
        months = UInt16(truncatingIfNeeded: masks[4])
        daysOfWeek = UInt8(truncatingIfNeeded: masks[5])
        dayOfMonthRestricted = parts[3] != "*" && parts[3] != "?"
        dayOfWeekRestricted = parts[5] != "*" && parts[5] != "?"
    }

    /// The first tick strictly after `instant`, in `timeZone`.
    ///
    /// Ticks fall on whole seconds: the result is a multiple of 1,000,000,000 and greater than `instant`, even when
    /// `instant` is itself a tick. Fields are matched against local wall-clock time in `timeZone`, with the
    /// daylight-saving rules described at ``CronExpression``: a skipped local time does not fire, a repeated one
    /// fires at its first occurrence only.
    ///
    /// - Parameters:
    ///   - instant: Nanoseconds since 1970-01-01 00:00:00 UTC, as Cairn's clock gives time.
    ///   - timeZone: The zone whose wall clock the fields describe.
    /// - Returns: The tick in nanoseconds since 1970-01-01 UTC; nil when there is none within about ten years
    ///   (ten calendar years after `instant`'s local year), as for `0 0 0 30 2 *`, or when the tick would not fit
    ///   in an `Int64` of nanoseconds.
    public func nextTick(after instant: Int64, in timeZone: TimeZone) -> Int64? {
        // The first whole second strictly after `instant` (floor division, so it holds before 1970 too).
        let start = Self.floorDiv(instant, 1_000_000_000) + 1
        var local = start + Self.offset(timeZone, start)
        let lastYear = Self.civil(fromDays: Self.floorDiv(local, 86_400)).year + 10
        // Each turn either returns or moves `local` past a skipped or repeated stretch of wall-clock time; a
        // handful of turns is the most a real zone needs.
        for _ in 0..<64 {
            guard let wall = nextLocalMatch(atOrAfter: local, throughYear: lastYear) else { return nil }
            switch Self.resolve(wall, timeZone) {
            case .at(let tick) where tick >= start:
                let (nanoseconds, overflow) = tick.multipliedReportingOverflow(by: 1_000_000_000)
                return overflow ? nil : nanoseconds
            case .at(let tick):
                // `wall` first occurred before `start`: we are in the second pass of a repeated hour. Skip the
                // rest of that pass, up to the wall-clock time the clocks went back from.
                let change = Self.firstOffsetChange(timeZone, after: tick, through: start)
                local = max(wall + 1, change + Self.offset(timeZone, tick))
            case .skipped(let before, let after):
                // `wall` does not exist: go on from the first wall-clock time after the gap.
                let change = Self.firstOffsetChange(timeZone, after: before, through: after)
                local = max(wall + 1, change + Self.offset(timeZone, change))
            }
        }
        return nil
    }
}

// MARK: - Searching

extension CronExpression {
    /// The first wall-clock second at or after `local` whose fields match, as seconds since 1970-01-01 00:00:00
    /// wall-clock time (local time counted as if it were UTC); nil after the end of `lastYear`.
    ///
    /// Skips by field: a month that does not match moves to the next matching month, a day to the next matching
    /// day, and so on; no time is stepped through second by second.
    func nextLocalMatch(atOrAfter local: Int64, throughYear lastYear: Int) -> Int64? {
        let days = Self.floorDiv(local, 86_400)
        let secondOfDay = Int(local - days * 86_400)
        var (year, month, day) = Self.civil(fromDays: days)
        var hour = secondOfDay / 3600, minute = secondOfDay / 60 % 60, second = secondOfDay % 60
        while year <= lastYear {
            guard let nextMonth = Self.nextBit(UInt64(months), from: month) else {
                (year, month, day, hour, minute, second) = (year + 1, 1, 1, 0, 0, 0)
                continue
            }
            if nextMonth != month { (month, day, hour, minute, second) = (nextMonth, 1, 0, 0, 0) }
            guard let nextDay = Self.nextBit(matchingDays(year: year, month: month), from: day) else {
                (month, day, hour, minute, second) = (month + 1, 1, 0, 0, 0)
                continue
            }
            if nextDay != day { (day, hour, minute, second) = (nextDay, 0, 0, 0) }
            guard let nextHour = Self.nextBit(UInt64(hours), from: hour) else {
                (day, hour, minute, second) = (day + 1, 0, 0, 0)
                continue
            }
            if nextHour != hour { (hour, minute, second) = (nextHour, 0, 0) }
            guard let nextMinute = Self.nextBit(minutes, from: minute) else {
                (hour, minute, second) = (hour + 1, 0, 0)
                continue
            }
            if nextMinute != minute { (minute, second) = (nextMinute, 0) }
            guard let nextSecond = Self.nextBit(seconds, from: second) else {
                (minute, second) = (minute + 1, 0)
                continue
            }
            let date = Int64(Self.days(year: year, month: month, day: day))
            return date * 86_400 + Int64(hour * 3600 + minute * 60 + nextSecond)
        }
        return nil
    }

    /// The days of `month` in `year` that match, as bits 1–31.
    func matchingDays(year: Int, month: Int) -> UInt64 {
        let inMonth: UInt64 = ((1 << UInt64(Self.length(year: year, month: month))) - 1) << 1
        let byDate = UInt64(daysOfMonth) & inMonth
        // Bit k of `week` says whether day k + 1 of the month (the weekday `first + k`) matches; repeat it for the
        // month's five weeks.
        let dayNumber = Self.days(year: year, month: month, day: 1) + 4  // 1970-01-01 was a Thursday (4)
        let first = (dayNumber % 7 + 7) % 7
        let weekdays = UInt64(daysOfWeek)
        let week = ((weekdays >> UInt64(first)) | (weekdays << UInt64(7 - first))) & 0x7F
        let byWeekday = (week << 1 | week << 8 | week << 15 | week << 22 | week << 29) & inMonth
        return dayOfMonthRestricted && dayOfWeekRestricted ? byDate | byWeekday : byDate & byWeekday
    }

    /// Where a wall-clock time falls in a zone.
    enum Resolution: Equatable {
        /// It first occurs at this instant (seconds since 1970 UTC).
        case at(Int64)
        /// It does not exist: the clocks skip it at a change of offset between these two instants.
        case skipped(before: Int64, after: Int64)
    }

    /// The first instant whose wall-clock time in `zone` is `wall`, or the gap it falls in.
    ///
    /// The offsets in force a day before and a day after `wall` bracket any change near it; each is a candidate,
    /// right when the instant it gives has that offset. (This assumes a zone changes its offset at most once in
    /// about two days, which every real zone does.)
    static func resolve(_ wall: Int64, _ zone: TimeZone) -> Resolution {
        let before = offset(zone, wall - 86_400), after = offset(zone, wall + 86_400)
        var first: Int64?
        if offset(zone, wall - before) == before { first = wall - before }
        if after != before, offset(zone, wall - after) == after { first = min(first ?? .max, wall - after) }
        if let first { return .at(first) }
        return .skipped(before: wall - max(before, after), after: wall - min(before, after))
    }

    /// The first instant in `(start, end]` whose offset differs from `start`'s, by bisection; `end` when there is
    /// none.
    static func firstOffsetChange(_ zone: TimeZone, after start: Int64, through end: Int64) -> Int64 {
        let startOffset = offset(zone, start)
        var low = start, high = end
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(zone, middle) == startOffset { low = middle } else { high = middle }
        }
        return high
    }

    /// The offset from UTC of `zone` at `instant` (seconds since 1970 UTC), in seconds.
    static func offset(_ zone: TimeZone, _ instant: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant))))
    }

    /// The lowest set bit of `mask` at or above `bit`.
    static func nextBit(_ mask: UInt64, from bit: Int) -> Int? {
        guard bit < 64 else { return nil }
        let rest = mask & (~0 << UInt64(bit))
        return rest == 0 ? nil : rest.trailingZeroBitCount
    }
}

// MARK: - Calendar

extension CronExpression {
    /// `value / divisor` rounded down (towards negative infinity), for a positive divisor.
    static func floorDiv(_ value: Int64, _ divisor: Int64) -> Int64 {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// The days from 1970-01-01 to a date of the proleptic Gregorian calendar.
    ///
    /// Counts from 1 March so that the leap day ends a year, in 400-year eras of 146,097 days.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let marchYear = month <= 2 ? year - 1 : year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1  // from 1 March
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468  // 719,468 days from 0000-03-01 to 1970-01-01
    }

    /// The date `days` days after 1970-01-01, the inverse of ``days(year:month:day:)``.
    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = Int(days) + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let marchMonth = (5 * dayOfYear + 2) / 153  // 0 is March
        let day = dayOfYear - (153 * marchMonth + 2) / 5 + 1
        let month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The number of days in `month` of `year`.
    static func length(year: Int, month: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

// MARK: - Parsing

extension CronExpression {
    /// Why a field did not parse.
    struct FieldError: Error {
        var problem: String
    }

    /// The grammar of one field.
    struct Field: Sendable {
        /// The field's name in error messages.
        let name: String
        /// The values the field allows.
        let range: ClosedRange<Int>
        /// The last value of `*` and of `a/n`: below `range.upperBound` for the day of the week, whose 7 repeats 0.
        let last: Int
        /// Names for the values from `range.lowerBound`, or none.
        let names: [String]
        /// Whether `?` is allowed.
        let isDay: Bool

        /// What the field allows, for error messages.
        var allowed: String {
            let numbers = "\(range.lowerBound)-\(range.upperBound)"
            return names.isEmpty ? numbers : "\(numbers) or \(names.first!)-\(names.last!)"
        }

        /// The field's bit set.
        func parse(_ text: String) throws(FieldError) -> UInt64 {
            var mask: UInt64 = 0
            if text == "?" {
                guard isDay else { throw FieldError(problem: Self.questionMarkOutsideDays) }
                mask = bits(range.lowerBound, last, 1)
            } else {
                for element in text.split(separator: ",", omittingEmptySubsequences: false) {
                    mask |= try parse(element: element)
                }
            }
            if mask & (1 << 7) != 0 && name == "day-of-week" { mask = mask & ~(1 << 7) | 1 }  // 7 is Sunday
            return mask
        }

        func parse(element: Substring) throws(FieldError) -> UInt64 {
            guard !element.isEmpty else {
                throw FieldError(problem: "a list element is empty (a doubled or trailing comma?)")
            }
            if element.contains("?") {
                throw FieldError(problem: isDay
                    ? "'?' must be the whole field"
                    : Self.questionMarkOutsideDays)
            }
            let pieces = element.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw FieldError(problem: "'\(element)' has more than one '/'") }
            var step = 1
            if pieces.count == 2 {
                let text = pieces[1]
                guard !text.isEmpty else { throw FieldError(problem: "'\(element)' has no step after '/'") }
                guard text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                    throw FieldError(problem: "step '\(text)' in '\(element)' is not a positive whole number")
                }
                guard let value = Int(text), value >= 1, value <= range.upperBound else {
                    throw FieldError(
                        problem: "step '\(text)' in '\(element)' is out of range; allowed 1-\(range.upperBound)")
                }
                step = value
            }
            let base = pieces[0]
            let low: Int, high: Int
            if base == "*" {
                (low, high) = (range.lowerBound, last)
            } else if base.isEmpty {
                throw FieldError(problem: "'\(element)' has no value before '/'; allowed \(allowed) or *")
            } else {
                let ends = base.split(separator: "-", omittingEmptySubsequences: false)
                switch ends.count {
                case 1:
                    low = try value(base)
                    high = pieces.count == 2 ? max(low, last) : low
                case 2:
                    guard !ends[0].isEmpty, !ends[1].isEmpty else {
                        throw FieldError(problem: "'\(base)' is not a value or a range; allowed \(allowed)")
                    }
                    (low, high) = (try value(ends[0]), try value(ends[1]))
                    guard low <= high else {
                        let sunday = name == "day-of-week" && high == 0
                        let hint = sunday ? " (write 7 for Sunday at the end of a range)" : ""
                        throw FieldError(problem: "range '\(base)' starts after it ends\(hint)")
                    }
                default:
                    throw FieldError(problem: "'\(base)' is not a value or a range; allowed \(allowed)")
                }
            }
            return bits(low, high, step)
        }

        /// A value: digits or a name.
        func value(_ text: Substring) throws(FieldError) -> Int {
            if text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                guard let number = Int(text), range.contains(number) else {
                    throw FieldError(problem: "\(text) is out of range; allowed \(allowed)")
                }
                return number
            }
            if let index = names.firstIndex(of: text.uppercased()) { return range.lowerBound + index }
            let kind = names.isEmpty ? "a number" : "a number or a name"
            throw FieldError(problem: "'\(text)' is not \(kind); allowed \(allowed)")
        }

        static let questionMarkOutsideDays = "'?' is allowed only in the day-of-month and day-of-week fields"

        func bits(_ low: Int, _ high: Int, _ step: Int) -> UInt64 {
            var mask: UInt64 = 0
            for value in stride(from: low, through: high, by: step) { mask |= 1 << UInt64(value) }
            return mask
        }
    }

    static let fields: [Field] = [
        Field(name: "second", range: 0...59, last: 59, names: [], isDay: false),
        Field(name: "minute", range: 0...59, last: 59, names: [], isDay: false),
        Field(name: "hour", range: 0...23, last: 23, names: [], isDay: false),
        Field(name: "day-of-month", range: 1...31, last: 31, names: [], isDay: true),
        Field(
            name: "month", range: 1...12, last: 12,
            names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], isDay: false),
        Field(
            name: "day-of-week", range: 0...7, last: 6,
            names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], isDay: true),
    ]

    static let fieldCountRule =
        "expected 6 fields (second minute hour day-of-month month day-of-week), 5 (minute hour day-of-month month "
        + "day-of-week) or a macro (\(macroNames))"

    static let macros: [String: String] = [
        "@yearly": "0 0 0 1 1 *", "@annually": "0 0 0 1 1 *", "@monthly": "0 0 0 1 * *", "@weekly": "0 0 0 * * 0",
        "@daily": "0 0 0 * * *", "@midnight": "0 0 0 * * *", "@hourly": "0 0 * * * *",
    ]

    static let macroNames = "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly"
}
