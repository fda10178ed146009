import Cairn
import CairnLog
import Foundation
import Testing

/// Records now, a UUID, a random number and a custom value, then holds at "hold".
struct Recorded: Workflow {
    static let name = "test-recorded"

    struct Output: Codable, Sendable, Equatable {
        var now: Date
        var uuid: UUID
        var random: Int
        var custom: String
    }

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Output {
        let probe = Probe.get(input.probe)
        let now = try await context.now()
        let uuid = try await context.uuid()
        let random = try await context.random(in: 0..<Int.max)
        let custom = try await context.record("custom") { () -> String in
            probe.hit("custom")
            return UUID().uuidString
        }
        probe.note("first seen", "\(now.timeIntervalSince1970) \(uuid) \(random) \(custom)")
        _ = try await context.step("hold", countedStep(probe, "hold"))
        return Output(now: now, uuid: uuid, random: random, custom: custom)
    }
}

@Suite("Durable sleep and recorded values")
struct TimeAndRecordedValueTests {
    @Test("a durable sleep waits on the workflow clock until its recorded deadline")
    func sleep() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock()
            let start = clock.now()
            try await withEngine(dir, [Sleeper.self], configuration: testConfiguration(clock: clock)) { engine in
                let handle = try await engine.start(Sleeper.self, input: ProbeInput(probe: probe.key, n: 7 * 24 * 3600), id: "week")
                let wake = start + 7 * 24 * 3_600_000_000_000
                try await clock.waitForSleeper(until: wake)
                let ops = try await operations(engine, "week")
                #expect(ops.map(\.kind) == [.sleepStarted])
                #expect(ops.first?.deadline == wake, "the wake time is durable before the sleep begins")
                clock.advance(to: wake - 1)
                #expect(probe.count("after-sleep") == 0)
                #expect(engine.summary(of: "week")?.status == .running)
                clock.advance(to: wake)
                _ = try await result(handle)
                #expect(probe.count("after-sleep") == 1)
            }
        }
    }

    @Test("after a restart a durable sleep waits only for the remainder; past its deadline it does not wait")
    func sleepRemainder() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock()
            let start = clock.now()
            let hour: Int64 = 3_600_000_000_000
            let first = try await RunningEngine.start(dir, [Sleeper.self], configuration: testConfiguration(clock: clock))
            _ = try await first.engine.start(Sleeper.self, input: ProbeInput(probe: probe.key, n: 3600), id: "a")
            _ = try await first.engine.start(Sleeper.self, input: ProbeInput(probe: probe.key, n: 2 * 3600), id: "b")
            try await clock.waitForSleeper(until: start + hour)
            try await clock.waitForSleeper(until: start + 2 * hour)
            clock.advance(to: start + hour / 2)
            try await first.crash()

            // While the process was down, 90 minutes passed: "a" is due, "b" has 30 minutes left.
            clock.advance(to: start + 3 * hour / 2)
            let second = try await RunningEngine.start(dir, [Sleeper.self], configuration: testConfiguration(clock: clock))
            _ = try await result(second.engine.handle(for: "a", of: Sleeper.self))
            try await clock.waitForSleeper(until: start + 2 * hour)
            #expect(second.engine.summary(of: "b")?.status == .running)
            clock.advance(to: start + 2 * hour)
            _ = try await result(second.engine.handle(for: "b", of: Sleeper.self))
            try await second.shutdown()
            #expect(probe.count("after-sleep") == 2)
        }
    }

    @Test("now, uuid, random and record are recorded and identical on replay")
    func recordedValues() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("hold")
            let clock = ManualClock()
            let first = try await RunningEngine.start(dir, [Recorded.self], configuration: testConfiguration(clock: clock))
            _ = try await first.engine.start(Recorded.self, input: ProbeInput(probe: probe.key), id: "rec")
            try await probe.waitForArrival("hold")
            let seen = try #require(probe.notes("first seen").first)
            let ops = try await operations(first.engine, "rec")
            #expect(ops.map(\.kind) == [.valueRecorded, .valueRecorded, .valueRecorded, .valueRecorded])
            #expect(ops.map(\.name) == ["now", "uuid", "random", "custom"])
            try await first.crash()
            probe.openAll()

            clock.advance(by: .seconds(12345))  // a replay later in time still sees the first run's time
            let second = try await RunningEngine.start(dir, [Recorded.self], configuration: testConfiguration(clock: clock))
            let output = try await result(second.engine.handle(for: "rec", of: Recorded.self))
            try await second.shutdown()
            #expect(probe.notes("first seen") == [seen, seen], "the replay saw the same values")
            #expect("\(output.now.timeIntervalSince1970) \(output.uuid) \(output.random) \(output.custom)" == seen)
            #expect(output.now == Date(timeIntervalSince1970: Double(ManualClock().now()) / 1e9))
            #expect(probe.count("custom") == 1, "a recorded value is not computed again")
        }
    }

    @Test("random(in:) stays in its range and uuid() is a valid v4 UUID")
    func valueShapes() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Recorded.self]) { engine in
                let output = try await result(try await engine.start(Recorded.self, input: ProbeInput(probe: probe.key)))
                #expect((0..<Int.max).contains(output.random))
                #expect(output.uuid.uuidString.dropFirst(14).first == "4")
                let variant = output.uuid.uuidString.dropFirst(19).first!
                #expect("89AB".contains(variant))
            }
        }
    }
}
