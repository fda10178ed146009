import Foundation
import Testing

/// Dates and durations on the command line at the edges of what a time can be: they saturate or are refused,
/// never trap.
@Suite struct TimeArgumentTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var option: String
        var value: String
        /// How many workflows match: all, none, or nil when the value is refused (status 64).
        var matchesAll: Bool?
        var testDescription: String { "\(option) \(value)" }
    }

    static let cases: [Case] = [
        // Past 2262, the last time an Int64 of nanoseconds holds: the end of time.
        Case(option: "--until", value: "3000-01-01", matchesAll: true),
        Case(option: "--until", value: "999999999-12-31T23:59:59.999999999Z", matchesAll: true),
        Case(option: "--since", value: "9999-12-31", matchesAll: false),
        // Before 1677: the beginning of time.
        Case(option: "--since", value: "0001-01-01", matchesAll: true),
        Case(option: "--until", value: "1000-06-15 12:00", matchesAll: false),
        // A duration ago too long for nanoseconds, a year too long for the parser, signs and junk: refused.
        Case(option: "--since", value: "200000d", matchesAll: nil),
        Case(option: "--since", value: "9999999999999999999w", matchesAll: nil),
        Case(option: "--since", value: "1000000000-01-01", matchesAll: nil),
        Case(option: "--since", value: "2025-01-31T-5:00", matchesAll: nil),
        Case(option: "--since", value: "+2025-01-31", matchesAll: nil),
        Case(option: "--since", value: "2025-01-31T10:00:00.5x", matchesAll: nil),
    ]

    @Test("far dates saturate, impossible ones are refused", arguments: cases)
    func farDates(_ c: Case) async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let result = try cairn(["list", log.directory, "--json", "--limit", "0", c.option, c.value])
        guard let matchesAll = c.matchesAll else {
            #expect(result.status == 64, "\(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains(c.value) || result.stderr.contains("invalid"), "\(result.stderr)")
            return
        }
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try result.json() as? [[String: Any]])
        #expect(rows.count == (matchesAll ? log.workflowCount : 0))
    }
}
