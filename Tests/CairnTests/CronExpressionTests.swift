import Foundation
import Testing

@testable import Cairn

/// Nanoseconds since 1970 of a UTC date and time, computed by Foundation's calendar (not by the code under test).
private func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Int64 {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
    return Int64(date.timeIntervalSince1970) * 1_000_000_000
}

private let second: Int64 = 1_000_000_000
private let minute = 60 * second
private let hour = 60 * minute
private let day = 24 * hour

private let gmt = TimeZone(identifier: "UTC")!
private let berlin = TimeZone(identifier: "Europe/Berlin")!
private let newYork = TimeZone(identifier: "America/New_York")!

/// The first `count` ticks after `instant`.
private func ticks(_ expression: String, after instant: Int64, _ count: Int, in zone: TimeZone = gmt) throws -> [Int64] {
    let cron = try CronExpression(expression)
    var result: [Int64] = []
    var last = instant
    while result.count < count, let next = cron.nextTick(after: last, in: zone) {
        result.append(next)
        last = next
    }
    return result
}

/// The bits set in a mask.
private func values(_ mask: some BinaryInteger) -> [Int] {
    (0..<64).filter { mask >> $0 & 1 == 1 }
}

@Suite("Cron expressions")
struct CronExpressionTests {
    // MARK: Parsing errors

    @Test("malformed expressions are refused with a message naming the expression, the field, the value and what is allowed")
    func parseErrors() {
        let cases: [(expression: String, fragments: [String])] = [
            ("", ["empty", "expected 6 fields"]),
            ("   ", ["empty"]),
            ("* * * *", ["4 fields", "expected 6 fields (second minute hour day-of-month month day-of-week), 5"]),
            ("0 0 0 1 1 * 2026", ["7 fields"]),
            ("60 * * * * *", ["second field '60'", "60 is out of range", "allowed 0-59"]),
            ("0 60 * * * *", ["minute field '60'", "allowed 0-59"]),
            ("0 0 24 * * *", ["hour field '24'", "24 is out of range", "allowed 0-23"]),
            ("0 0 0 0 * *", ["day-of-month field '0'", "allowed 1-31"]),
            ("0 0 0 32 * *", ["day-of-month field '32'", "32 is out of range"]),
            ("0 0 0 * 13 *", ["month field '13'", "allowed 1-12 or JAN-DEC"]),
            ("0 0 0 * 0 *", ["month field '0'"]),
            ("0 0 0 * * 8", ["day-of-week field '8'", "allowed 0-7 or SUN-SAT"]),
            ("0 0 0 * * 99999999999999999999999", ["day-of-week field", "out of range"]),
            ("0 0 0 * FOO *", ["month field 'FOO'", "'FOO' is not a number or a name", "JAN-DEC"]),
            ("0 0 0 * * MONDAY", ["day-of-week field", "'MONDAY' is not a number or a name"]),
            ("0 0 MON * * *", ["hour field", "'MON' is not a number; allowed 0-23"]),
            ("0 0 5-3 * * *", ["hour field '5-3'", "range '5-3' starts after it ends"]),
            ("0 0 0 * * FRI-SUN", ["day-of-week field", "starts after it ends", "7 for Sunday"]),
            ("*/0 * * * * *", ["second field '*/0'", "step '0'", "allowed 1-59"]),
            ("*/-5 * * * * *", ["second field '*/-5'", "step '-5'", "not a positive whole number"]),
            ("0 */ * * * *", ["minute field", "no step after '/'"]),
            ("0 0 */2/3 * * *", ["hour field", "more than one '/'"]),
            ("0 0 0 1/100 * *", ["day-of-month field", "step '100'", "out of range"]),
            ("0 0 1x * * *", ["hour field '1x'", "'1x' is not a number"]),
            ("0 0 12 * * MON;", ["day-of-week field", "'MON;' is not a number or a name"]),
            ("0 0 -1 * * *", ["hour field '-1'", "not a value or a range"]),
            ("0 0 1-2-3 * * *", ["hour field", "not a value or a range"]),
            ("0 0 1- * * *", ["hour field", "not a value or a range"]),
            ("0 /5 * * * *", ["minute field", "no value before '/'"]),
            ("1,,2 * * * * *", ["second field '1,,2'", "list element is empty"]),
            ("1, * * * * *", ["second field", "list element is empty"]),
            ("? * * * * *", ["second field '?'", "'?' is allowed only in the day-of-month and day-of-week fields"]),
            ("0 0 0 * ? *", ["month field '?'", "'?' is allowed only"]),
            ("0 0 0 1,? * *", ["day-of-month field", "'?' must be the whole field"]),
            ("0 0 0 ?/2 * *", ["day-of-month field", "'?' must be the whole field"]),
            ("@often", ["unknown macro '@often'", "@hourly"]),
            ("@daily 0", ["2 fields"]),
        ]
        for (expression, fragments) in cases {
            let error = #expect(throws: WorkflowError.self, "\(expression)") { try CronExpression(expression) }
            #expect(error?.code == .invalidArgument, "\(expression)")
            let message = error?.message ?? ""
            #expect(message.hasPrefix("invalid cron expression \"\(expression)\": "), "\(message)")
            for fragment in fragments {
                #expect(message.contains(fragment), "'\(fragment)' not in: \(message)")
            }
        }
    }

    // MARK: Grammar

    @Test("lists, ranges and steps set exactly the values they name")
    func grammar() throws {
        let cron = try CronExpression("1,5,10-12,20-40/10,50/5 */15 5/6 */10 */5 *")
        #expect(values(cron.seconds) == [1, 5, 10, 11, 12, 20, 30, 40, 50, 55])
        #expect(values(cron.minutes) == [0, 15, 30, 45])
        #expect(values(cron.hours) == [5, 11, 17, 23])
        #expect(values(cron.daysOfMonth) == [1, 11, 21, 31])
        #expect(values(cron.months) == [1, 6, 11])
        #expect(values(cron.daysOfWeek) == [0, 1, 2, 3, 4, 5, 6])
        #expect(cron.dayOfMonthRestricted)
        #expect(!cron.dayOfWeekRestricted)

        let every = try CronExpression("* * * * * *")
        #expect(values(every.seconds) == Array(0...59))
        #expect(values(every.minutes) == Array(0...59))
        #expect(values(every.hours) == Array(0...23))
        #expect(values(every.daysOfMonth) == Array(1...31))
        #expect(values(every.months) == Array(1...12))
        #expect(values(every.daysOfWeek) == Array(0...6))
        #expect(!every.dayOfMonthRestricted && !every.dayOfWeekRestricted)

        let spaced = try CronExpression("\t0  30\t9 * *  *  ")
        #expect(values(spaced.minutes) == [30])
        #expect(values(spaced.hours) == [9])
        #expect(spaced.description == "\t0  30\t9 * *  *  ", "the description is the expression as given")
    }

    @Test("month and day names in any case; 0 and 7 are both Sunday")
    func names() throws {
        #expect(values(try CronExpression("0 0 0 * jan,Mar-MAY,dec *").months) == [1, 3, 4, 5, 12])
        #expect(values(try CronExpression("0 0 0 * * mon-FRI").daysOfWeek) == [1, 2, 3, 4, 5])
        #expect(values(try CronExpression("0 0 0 * * sun,Sat").daysOfWeek) == [0, 6])
        #expect(values(try CronExpression("0 0 0 * * 0").daysOfWeek) == [0])
        #expect(values(try CronExpression("0 0 0 * * 7").daysOfWeek) == [0])
        #expect(values(try CronExpression("0 0 0 * * 5-7").daysOfWeek) == [0, 5, 6])
        #expect(values(try CronExpression("0 0 0 * * FRI-7").daysOfWeek) == [0, 5, 6])
        #expect(values(try CronExpression("0 0 0 * * */2").daysOfWeek) == [0, 2, 4, 6])
        #expect(values(try CronExpression("0 0 0 * * 1/2").daysOfWeek) == [1, 3, 5])
        // 7 fires on Sundays: 2026-12-13 is a Sunday.
        #expect(try CronExpression("0 0 0 * * 7").nextTick(after: utc(2026, 12, 7), in: gmt) == utc(2026, 12, 13))
        #expect(try CronExpression("0 0 0 * * SUN").nextTick(after: utc(2026, 12, 7), in: gmt) == utc(2026, 12, 13))
    }

    @Test("five fields are standard cron, firing at second 0; macros expand; ? is * in the day fields")
    func fiveFieldsAndMacros() throws {
        let five = try CronExpression("30 9 * * 1-5")
        let six = try CronExpression("0 30 9 * * 1-5")
        #expect(five.description == "30 9 * * 1-5")
        #expect(five != six, "equality is by the text as given")
        #expect(values(five.seconds) == [0])
        #expect(values(five.minutes) == [30])
        #expect(values(five.hours) == [9])
        #expect(values(five.daysOfWeek) == [1, 2, 3, 4, 5])
        // Monday 2026-12-07 09:30:00.
        #expect(five.nextTick(after: utc(2026, 12, 6), in: gmt) == utc(2026, 12, 7, 9, 30))
        #expect(six.nextTick(after: utc(2026, 12, 6), in: gmt) == utc(2026, 12, 7, 9, 30))

        let expansions = [
            "@yearly": "0 0 0 1 1 *", "@annually": "0 0 0 1 1 *", "@monthly": "0 0 0 1 * *",
            "@weekly": "0 0 0 * * 0", "@daily": "0 0 0 * * *", "@MIDNIGHT": "0 0 0 * * *", "@hourly": "0 0 * * * *",
        ]
        for (macro, expansion) in expansions {
            let a = try CronExpression(macro), b = try CronExpression(expansion)
            #expect(a.description == macro)
            #expect(a.seconds == b.seconds && a.minutes == b.minutes && a.hours == b.hours, "\(macro)")
            #expect(a.daysOfMonth == b.daysOfMonth && a.months == b.months && a.daysOfWeek == b.daysOfWeek, "\(macro)")
            #expect(a.dayOfMonthRestricted == b.dayOfMonthRestricted && a.dayOfWeekRestricted == b.dayOfWeekRestricted)
        }

        let question = try CronExpression("0 0 0 ? * MON")
        #expect(!question.dayOfMonthRestricted && question.dayOfWeekRestricted)
        #expect(values(question.daysOfMonth) == Array(1...31))
        let both = try CronExpression("0 0 0 1 * ?")
        #expect(both.dayOfMonthRestricted && !both.dayOfWeekRestricted)
        #expect(values(both.daysOfWeek) == Array(0...6))
    }

    // MARK: Days

    @Test("when both day fields are restricted a day matches either; otherwise it must match both")
    func dayOrRule() throws {
        // From Saturday 2026-05-30: Monday 1 June, Wednesday 3 June, Monday 8 June.
        let start = utc(2026, 5, 30)
        #expect(try ticks("0 0 12 3 * MON", after: start, 3) == [utc(2026, 6, 1, 12), utc(2026, 6, 3, 12), utc(2026, 6, 8, 12)])
        #expect(try ticks("0 0 12 * * MON", after: start, 2) == [utc(2026, 6, 1, 12), utc(2026, 6, 8, 12)])
        #expect(try ticks("0 0 12 ? * MON", after: start, 2) == [utc(2026, 6, 1, 12), utc(2026, 6, 8, 12)])
        #expect(try ticks("0 0 12 3 * *", after: start, 2) == [utc(2026, 6, 3, 12), utc(2026, 7, 3, 12)])
        #expect(try ticks("0 0 12 3 * ?", after: start, 2) == [utc(2026, 6, 3, 12), utc(2026, 7, 3, 12)])
        // A step restricts: */10 is days 1, 11, 21, 31, or any Monday.
        #expect(try ticks("0 0 0 */10 * MON", after: start, 4) == [utc(2026, 5, 31), utc(2026, 6, 1), utc(2026, 6, 8), utc(2026, 6, 11)])
        // February 30th never comes, but with a weekday the rule's "either" still fires on February's Mondays.
        #expect(try CronExpression("0 0 0 30 2 MON").nextTick(after: utc(2026, 1, 1), in: gmt) == utc(2026, 2, 2))
    }

    @Test("days match the calendar: every noon of three years, checked against Foundation's calendar")
    func daysAgainstCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = gmt
        for expression in ["0 0 12 13 * FRI", "0 0 12 29-31 * *", "0 0 12 * FEB,AUG SAT-7", "0 0 12 1-7 * MON"] {
            let cron = try CronExpression(expression)
            let expected = (0..<(3 * 366)).compactMap { offset -> Int64? in
                let noon = utc(2027, 1, 1, 12) + Int64(offset) * day
                let parts = calendar.dateComponents(
                    [.day, .month, .weekday], from: Date(timeIntervalSince1970: Double(noon / second)))
                let weekday = parts.weekday! - 1  // Sunday 0
                let dayMatch = values(cron.daysOfMonth).contains(parts.day!)
                let weekdayMatch = values(cron.daysOfWeek).contains(weekday)
                let restricted = cron.dayOfMonthRestricted && cron.dayOfWeekRestricted
                let match = restricted ? dayMatch || weekdayMatch : dayMatch && weekdayMatch
                return match && values(cron.months).contains(parts.month!) ? noon : nil
            }
            let actual = try ticks(expression, after: utc(2027, 1, 1), expected.count + 1)
                .filter { $0 < utc(2027, 1, 1, 12) + 3 * 366 * day }
            #expect(actual == expected, "\(expression)")
            #expect(!expected.isEmpty)
        }
    }

    // MARK: Ticks

    @Test("the next tick is strictly after the instant, on a whole second")
    func strictlyAfter() throws {
        let hourly = try CronExpression("0 0 * * * *")
        #expect(hourly.nextTick(after: utc(2026, 6, 1, 12), in: gmt) == utc(2026, 6, 1, 13), "a tick at the instant is not returned")
        #expect(hourly.nextTick(after: utc(2026, 6, 1, 12) - 1, in: gmt) == utc(2026, 6, 1, 12))
        #expect(hourly.nextTick(after: utc(2026, 6, 1, 12) + 1, in: gmt) == utc(2026, 6, 1, 13))
        let everySecond = try CronExpression("* * * * * *")
        #expect(everySecond.nextTick(after: utc(2026, 6, 1), in: gmt) == utc(2026, 6, 1) + second)
        #expect(everySecond.nextTick(after: utc(2026, 6, 1) + 999_999_999, in: gmt) == utc(2026, 6, 1) + second)
        #expect(everySecond.nextTick(after: -1, in: gmt) == 0)
        #expect(everySecond.nextTick(after: -second, in: gmt) == 0)
        #expect(everySecond.nextTick(after: -second - 1, in: gmt) == -second)
    }

    @Test("seconds granularity: every ten seconds")
    func everyTenSeconds() throws {
        let start = utc(2026, 6, 1, 12, 0, 5)
        let expected = [10, 20, 30, 40, 50, 60, 70].map { utc(2026, 6, 1, 12) + Int64($0) * second }
        #expect(try ticks("*/10 * * * * *", after: start, 7) == expected)
        #expect(try ticks("15,45 * * * * *", after: start, 3) == [
            utc(2026, 6, 1, 12, 0, 15), utc(2026, 6, 1, 12, 0, 45), utc(2026, 6, 1, 12, 1, 15),
        ])
    }

    @Test("minutes, hours, days, months and years roll over")
    func rollover() throws {
        #expect(try ticks("0 0 0 1 1 *", after: utc(2026, 12, 31, 23, 59, 59), 2) == [utc(2027, 1, 1), utc(2028, 1, 1)])
        #expect(try ticks("59 59 23 31 12 *", after: utc(2026, 6, 1), 2) == [utc(2026, 12, 31, 23, 59, 59), utc(2027, 12, 31, 23, 59, 59)])
        #expect(try ticks("0 0 0 * * *", after: utc(2026, 2, 28, 12), 2) == [utc(2026, 3, 1), utc(2026, 3, 2)])
        #expect(try ticks("0 0 0 31 * *", after: utc(2026, 4, 1), 3) == [utc(2026, 5, 31), utc(2026, 7, 31), utc(2026, 8, 31)])
        #expect(try ticks("0 30 * * * *", after: utc(2026, 12, 31, 23, 45), 1) == [utc(2027, 1, 1, 0, 30)])
        #expect(try ticks("0 0 9 * NOV,FEB MON", after: utc(2026, 11, 25), 3) == [utc(2026, 11, 30, 9), utc(2027, 2, 1, 9), utc(2027, 2, 8, 9)])
    }

    @Test("February 29th comes in leap years only")
    func leapYears() throws {
        #expect(try ticks("0 0 0 29 2 *", after: utc(2026, 1, 1), 2) == [utc(2028, 2, 29), utc(2032, 2, 29)])
        // 2100 is not a leap year, 2000 was; 1900 was not (before 1970, negative instants).
        #expect(try ticks("0 0 0 29 2 *", after: utc(2096, 3, 1), 1) == [utc(2104, 2, 29)])
        #expect(try ticks("0 0 0 29 2 *", after: utc(1999, 1, 1), 1) == [utc(2000, 2, 29)])
        #expect(try ticks("0 0 0 29 2 *", after: utc(1897, 1, 1), 1) == [utc(1904, 2, 29)])
        #expect(try ticks("0 0 0 * * MON", after: utc(1969, 12, 31), 1) == [utc(1970, 1, 5)])
    }

    @Test("impossible dates have no tick")
    func impossibleDates() throws {
        #expect(try CronExpression("0 0 0 30 2 *").nextTick(after: utc(2026, 1, 1), in: gmt) == nil)
        #expect(try CronExpression("0 0 0 31 2,4,6,9,11 ?").nextTick(after: utc(2026, 1, 1), in: berlin) == nil)
        #expect(try CronExpression("0 0 0 30 FEB *").nextTick(after: 0, in: newYork) == nil)
    }

    @Test("instants near the limits of Int64 nanoseconds do not trap")
    func limits() throws {
        for expression in ["* * * * * *", "0 0 0 1 1 *", "0 0 0 29 2 *", "0 30 2 * * *"] {
            let cron = try CronExpression(expression)
            for zone in [gmt, berlin, newYork] {
                #expect(cron.nextTick(after: .max, in: zone) == nil)
                #expect(cron.nextTick(after: .max - 2 * second, in: zone).map { $0 > .max - 2 * second } ?? true)
                let early = cron.nextTick(after: .min, in: zone)
                #expect(early != nil && early! > .min && early! % second == 0, "\(expression)")
            }
        }
        #expect(try CronExpression("* * * * * *").nextTick(after: .max - 2 * second, in: gmt) != nil)
    }

    // MARK: Time zones

    @Test("fields are local wall-clock time in the zone given")
    func zones() throws {
        let nine = try CronExpression("0 0 9 * * *")
        let start = utc(2026, 7, 1)
        #expect(nine.nextTick(after: start, in: gmt) == utc(2026, 7, 1, 9))
        #expect(nine.nextTick(after: start, in: berlin) == utc(2026, 7, 1, 7), "CEST is UTC+2")
        #expect(nine.nextTick(after: start, in: newYork) == utc(2026, 7, 1, 13), "EDT is UTC-4")
        #expect(nine.nextTick(after: start, in: TimeZone(identifier: "Asia/Kolkata")!) == utc(2026, 7, 1, 3, 30))
        #expect(nine.nextTick(after: utc(2026, 1, 15), in: berlin) == utc(2026, 1, 15, 8), "CET is UTC+1")
        #expect(nine.nextTick(after: utc(2026, 1, 15), in: newYork) == utc(2026, 1, 15, 14), "EST is UTC-5")
        // The day is the local day: Monday 00:30 in Berlin is Sunday 23:30 UTC in winter.
        #expect(try CronExpression("0 30 0 * * MON").nextTick(after: utc(2026, 12, 1), in: berlin) == utc(2026, 12, 6, 23, 30))
        #expect(try CronExpression("0 0 0 1 * *").nextTick(after: utc(2026, 12, 1, 12), in: newYork) == utc(2027, 1, 1, 5))
    }

    @Test("Berlin, clocks forward: the skipped 02:30 does not fire")
    func berlinSpring() throws {
        // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST.
        #expect(try ticks("0 30 2 * * *", after: utc(2026, 3, 27, 12), 3, in: berlin) == [
            utc(2026, 3, 28, 1, 30),  // 02:30 CET
            utc(2026, 3, 30, 0, 30),  // 02:30 CEST; none on the 29th
            utc(2026, 3, 31, 0, 30),
        ])
        // Other times of that day fire as usual.
        #expect(try ticks("0 30 1,3 * * *", after: utc(2026, 3, 28, 12), 2, in: berlin) == [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)])
        // Every second: 01:59:59 CET is followed by 03:00:00 CEST.
        #expect(try ticks("* * * * * *", after: utc(2026, 3, 29, 0, 59, 58), 3, in: berlin) == [
            utc(2026, 3, 29, 0, 59, 59), utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 0, 1),
        ])
    }

    @Test("Berlin, clocks back: the repeated 02:30 fires once, at its first occurrence")
    func berlinAutumn() throws {
        // 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET.
        #expect(try ticks("0 30 2 * * *", after: utc(2026, 10, 24, 12), 2, in: berlin) == [
            utc(2026, 10, 25, 0, 30),  // 02:30 CEST
            utc(2026, 10, 26, 1, 30),  // 02:30 CET the next day; not 2026-10-25 01:30 UTC
        ])
        // From inside the second pass (02:10 CET), 02:30 already happened today.
        #expect(try CronExpression("0 30 2 * * *").nextTick(after: utc(2026, 10, 25, 1, 10), in: berlin) == utc(2026, 10, 26, 1, 30))
        // 03:00 exists once (CET) and fires from inside the second pass.
        #expect(try CronExpression("0 0 3 * * *").nextTick(after: utc(2026, 10, 25, 1, 10), in: berlin) == utc(2026, 10, 25, 2))
    }

    @Test("every 15 minutes through the repeated hour fires for its first pass only, then from 03:00 CET")
    func berlinAutumnQuarterHours() throws {
        #expect(try ticks("0 */15 * * * *", after: utc(2026, 10, 24, 23, 50), 7, in: berlin) == [
            utc(2026, 10, 25, 0, 0),  // 02:00 CEST
            utc(2026, 10, 25, 0, 15),
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 25, 0, 45),  // 02:45 CEST
            utc(2026, 10, 25, 2, 0),  // 03:00 CET; 02:00-02:45 CET (01:00-01:45 UTC) are repeats
            utc(2026, 10, 25, 2, 15),
            utc(2026, 10, 25, 2, 30),
        ])
        #expect(try CronExpression("0 */15 * * * *").nextTick(after: utc(2026, 10, 25, 1, 20), in: berlin) == utc(2026, 10, 25, 2))
        #expect(try CronExpression("* * * * * *").nextTick(after: utc(2026, 10, 25, 0, 59, 59), in: berlin) == utc(2026, 10, 25, 2))
        #expect(try CronExpression("* * * * * *").nextTick(after: utc(2026, 10, 25, 1), in: berlin) == utc(2026, 10, 25, 2))
    }

    @Test("hourly in Berlin across both transitions: local 02:00 once in October, never in March")
    func berlinHourlySequences() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = berlin
        func localHours(_ instants: [Int64]) -> [Int] {
            instants.map { calendar.component(.hour, from: Date(timeIntervalSince1970: Double($0 / second))) }
        }
        let october = try ticks("0 0 * * * *", after: utc(2026, 10, 24, 21, 30), 5, in: berlin)
        #expect(october == [utc(2026, 10, 24, 22), utc(2026, 10, 24, 23), utc(2026, 10, 25, 0), utc(2026, 10, 25, 2), utc(2026, 10, 25, 3)])
        #expect(localHours(october) == [0, 1, 2, 3, 4])
        let march = try ticks("0 0 * * * *", after: utc(2026, 3, 28, 22, 30), 4, in: berlin)
        #expect(march == [utc(2026, 3, 28, 23), utc(2026, 3, 29, 0), utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)])
        #expect(localHours(march) == [0, 1, 3, 4])
    }

    @Test("New York: the skipped 02:30 does not fire in March; the repeated 01:30 fires once in November")
    func newYorkTransitions() throws {
        // 2026-03-08 07:00 UTC: 02:00 EST becomes 03:00 EDT.
        #expect(try ticks("0 30 2 * * *", after: utc(2026, 3, 7, 0), 2, in: newYork) == [
            utc(2026, 3, 7, 7, 30),  // 02:30 EST
            utc(2026, 3, 9, 6, 30),  // 02:30 EDT; none on the 8th
        ])
        // 2026-11-01 06:00 UTC: 02:00 EDT becomes 01:00 EST.
        #expect(try ticks("0 30 1 * * *", after: utc(2026, 10, 31, 12), 2, in: newYork) == [
            utc(2026, 11, 1, 5, 30),  // 01:30 EDT
            utc(2026, 11, 2, 6, 30),  // 01:30 EST the next day; not 2026-11-01 06:30 UTC
        ])
        #expect(try CronExpression("0 30 2 * * *").nextTick(after: utc(2026, 10, 31, 12), in: newYork) == utc(2026, 11, 1, 7, 30))
        #expect(try ticks("0 0 * * * *", after: utc(2026, 11, 1, 3, 30), 4, in: newYork) == [
            utc(2026, 11, 1, 4),  // 00:00 EDT
            utc(2026, 11, 1, 5),  // 01:00 EDT
            utc(2026, 11, 1, 7),  // 02:00 EST; 01:00 EST (06:00 UTC) is a repeat
            utc(2026, 11, 1, 8),
        ])
    }

    @Test("around each transition, ticks are exactly the first occurrences of matching wall-clock times")
    func transitionsAgainstReference() throws {
        let windows: [(TimeZone, Int64)] = [
            (berlin, utc(2026, 3, 29, 1)), (berlin, utc(2026, 10, 25, 1)),
            (newYork, utc(2026, 3, 8, 7)), (newYork, utc(2026, 11, 1, 6)),
        ]
        for expression in ["*/20 */7 * * * *", "0 */15 * * * *", "30 59 1,2 * * *", "0 0 2 * * *"] {
            let cron = try CronExpression(expression)
            let (seconds, minutes, hours) = (Set(values(cron.seconds)), Set(values(cron.minutes)), Set(values(cron.hours)))
            for (zone, transition) in windows {
                let from = transition - 3 * hour, to = transition + 3 * hour
                // Reference: scan second by second; a wall-clock time fires when it matches and the clock never
                // showed it before (the wall clock only goes back at the transition, so "before" is the running
                // maximum since two hours before the window).
                var expected: [Int64] = []
                var latestWall = Int64.min
                for instant in stride(from: from - 2 * hour, through: to, by: Int(second)) {
                    let wall = instant / second + Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant / second))))
                    let secondOfDay = Int((wall % 86_400 + 86_400) % 86_400)
                    let matches = seconds.contains(secondOfDay % 60) && minutes.contains(secondOfDay / 60 % 60)
                        && hours.contains(secondOfDay / 3600)
                    if matches && wall > latestWall && instant > from { expected.append(instant) }
                    latestWall = max(latestWall, wall)
                }
                let actual = try ticks(expression, after: from, expected.count + 1, in: zone).filter { $0 <= to }
                #expect(actual == expected, "\(expression) in \(zone.identifier) around \(transition / second)")
            }
        }
    }
}
