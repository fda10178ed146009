import Cairn
import CairnLog
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

/// Sleeps as long as there is.
struct SleepsForever: Workflow {
    static let name = "sleeps-forever"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        try await context.sleep(for: .seconds(Int64.max))
        return input
    }
}

/// A clock stopped at one instant, whose sleeps last until cancelled.
struct StoppedClock: WorkflowClock {
    var time: Int64
    func now() -> Int64 { time }
    func sleep(until deadline: Int64) async throws {
        while deadline > time { try await Task.sleep(for: .seconds(3600)) }
    }
}

@Suite struct TimeDisplayTests {
    @Test("events at the first and the last instant an Int64 holds are shown, in text and JSON")
    func endsOfTime() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        // Recorded at the dawn of time (Int64.min), and sleeping until its end (Int64.max).
        for time in [Int64.min, 1_700_000_000_000_000_000] {
            var configuration = EngineConfiguration()
            configuration.log.durability = .never
            configuration.log.preallocationStep = 0
            configuration.clock = StoppedClock(time: time)
            let engine = try await WorkflowEngine.open(directory: directory, configuration: configuration, workflows: [SleepsForever.self])
            let task = Task { try await engine.run() }
            _ = try await engine.start(SleepsForever.self, input: "x", id: "at-\(time)")
            while try await engine.history(of: "at-\(time)").collect().count < 2 { try await Task.sleep(for: .milliseconds(1)) }
            await engine.shutdown()
            try await task.value
        }
        for command in [["list"], ["list", "--json"], ["show", "at-\(Int64.min)"], ["show", "at-\(Int64.min)", "--json"], ["tail"], ["tail", "--json"], ["export"]] {
            var arguments = command
            arguments.insert(directory, at: 1)
            let result = try cairn(arguments)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            if command == ["tail", "--json"] || command == ["export"] {
                #expect(result.stdout.contains("1677-09-21T00:12:43.145Z"), "the dawn of time: \(result.stdout)")
                #expect(result.stdout.contains("2262-04-11T23:47:16.854Z"), "the end of time: \(result.stdout)")
            }
        }
    }
}
