@testable import Cairn
import CairnLog
import CairnTestSupport
import Foundation
import Testing

/// Started by a schedule with the tick as input: returns the tick's schedule and time.
struct TickEcho: Workflow {
    static let name = "test-tick-echo"
    static func run(_ context: WorkflowContext, input: ScheduleTick) async throws -> String {
        "\(input.schedule) \(Int64((input.scheduledAt.timeIntervalSince1970).rounded()))"
    }
}

/// Returns its input.
struct Greeting: Workflow {
    static let name = "test-greeting"
    static func run(_ context: WorkflowContext, input: String) async throws -> String { input }
}

/// Nanoseconds since 1970 of an ISO 8601 UTC time ("2026-03-28T01:30:00Z").
func instant(_ iso: String) -> Int64 {
    let formatter = ISO8601DateFormatter()
    guard let date = formatter.date(from: iso) else { fatalError("bad test time \(iso)") }
    return Int64(date.timeIntervalSince1970) * 1_000_000_000
}

/// The IDs of the workflows of `name`, sorted.
func ids(_ engine: WorkflowEngine, _ name: String) -> [String] {
    engine.list(name: name).summaries.map(\.id).sorted()
}

/// The last LSN of the engine's log (what "nothing was written" is checked against).
func lastLSN(_ engine: WorkflowEngine) -> UInt64 { engine.log?.lastLSN?.rawValue ?? 0 }

@Suite("Schedules")
struct ScheduleTests {
    static let second: Int64 = 1_000_000_000
    /// 2023-11-14T22:13:20Z, the manual clock's default start.
    static let start: Int64 = 1_700_000_000 * second
    static let every10s = "*/10 * * * * *"

    static func tickID(_ schedule: String, _ t: Int64) -> String {
        "\(schedule)@\(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(t / second))))"
    }

    @Test("ticks fire at their instants and start the right workflows with the exact tick as input; a late tick still fires, with its own time")
    func ticksFire() async throws {
        try await withDirectory { dir in
            let clock = ManualClock(start: Self.start)
            try await withEngine(dir, [TickEcho.self, Greeting.self], configuration: testConfiguration(clock: clock)) { engine in
                try await engine.setSchedule("ticks", cron: CronExpression(Self.every10s), workflow: TickEcho.self)
                try await engine.setSchedule("hello", cron: CronExpression("5 * * * * *"), workflow: Greeting.self, input: "hi")
                let t30 = Self.start + 10 * Self.second
                try await clock.waitForSleeper(until: t30)
                #expect(engine.schedules().map(\.name) == ["hello", "ticks"])
                #expect(engine.schedules().last?.nextTick == Date(timeIntervalSince1970: Double(t30 / Self.second)))
                clock.advance(to: t30 - 1)
                #expect(ids(engine, TickEcho.name).isEmpty)
                clock.advance(to: t30)
                let first = engine.handle(for: Self.tickID("ticks", t30), of: TickEcho.self)
                try await eventually("the tick at :30") { engine.summary(of: first.id) != nil }
                #expect(try await result(first) == "ticks \(t30 / Self.second)")
                // Late: the clock jumps 5 s past the next tick; it fires with its own time, once.
                let t40 = t30 + 10 * Self.second
                try await clock.waitForSleeper(until: t40)
                clock.advance(to: t40 + 5 * Self.second)
                let second = engine.handle(for: Self.tickID("ticks", t40), of: TickEcho.self)
                try await eventually("the tick at :40") { engine.summary(of: second.id) != nil }
                #expect(try await result(second) == "ticks \(t40 / Self.second)")
                #expect(ids(engine, TickEcho.name) == [first.id, second.id])
                // "hello" ticks at second 5 of each minute: 22:14:05. The clock jumps there from before :50, so
                // "ticks" fires :50 and 22:14:00 late, each once, with its own time.
                let t50 = t40 + 10 * Self.second
                let t05 = Self.start + 45 * Self.second
                try await clock.waitForSleeper(until: t50)
                #expect(ids(engine, Greeting.name).isEmpty)
                clock.advance(to: t05)
                for late in [t50, t50 + 10 * Self.second] {
                    let handle = engine.handle(for: Self.tickID("ticks", late), of: TickEcho.self)
                    try await eventually("the late tick \(late)") { engine.summary(of: handle.id) != nil }
                    #expect(try await result(handle) == "ticks \(late / Self.second)")
                }
                #expect(ids(engine, TickEcho.name).count == 4)
                let hello = engine.handle(for: Self.tickID("hello", t05), of: Greeting.self)
                try await eventually("the hello tick") { engine.summary(of: hello.id) != nil }
                #expect(try await result(hello) == "hi")
                let info = try #require(engine.schedules().first)
                #expect(info.lastTick == Date(timeIntervalSince1970: Double(t05 / Self.second)) && info.lastWorkflowID == hello.id)
            }
        }
    }

    enum Restart: String, CaseIterable, Sendable { case crash, clean }

    @Test("a restart never fires a tick twice", arguments: Restart.allCases)
    func restartFiresNoTickTwice(_ restart: Restart) async throws {
        try await withDirectory { dir in
            let clock = ManualClock(start: Self.start)
            let configuration = testConfiguration(clock: clock)
            let t30 = Self.start + 10 * Self.second
            let first = try await RunningEngine.start(dir, [TickEcho.self], configuration: configuration)
            // The most generous catch-up: a tick fired before the restart would be fired again if it were "missed".
            try await first.engine.setSchedule("s", cron: CronExpression(Self.every10s), workflow: TickEcho.self, catchUp: .all(max: 100))
            try await clock.waitForSleeper(until: t30)
            clock.advance(to: t30)
            try await eventually("the tick at :30") { first.engine.summary(of: Self.tickID("s", t30))?.status == .completed }
            switch restart {
            case .crash: try await first.crash()
            case .clean: try await first.shutdown()
            }
            for _ in 0..<2 {
                let again = try await RunningEngine.start(dir, [TickEcho.self], configuration: configuration)
                try await clock.waitForSleeper(until: t30 + 10 * Self.second)
                #expect(ids(again.engine, TickEcho.name) == [Self.tickID("s", t30)])
                #expect(again.engine.schedules().first?.lastTick == Date(timeIntervalSince1970: Double(t30 / Self.second)))
                switch restart {
                case .crash: try await again.crash()
                case .clean: try await again.shutdown()
                }
            }
            let log = try LogReader(directory: dir)
            var ticks = 0
            try log.scan { record in
                if record.tag == EventKind.scheduleTicked.rawValue { ticks += 1 }
                return true
            }
            #expect(ticks == 1)
        }
    }

    struct CatchUpCase: Sendable, CustomTestStringConvertible {
        var policy: ScheduleCatchUp
        /// The missed ticks it fires, as seconds after :30.
        var fired: [Int64]
        var testDescription: String { "\(policy)" }
    }

    @Test(
        "catch-up after a downtime spanning several ticks: none, the latest, or the most recent up to a bound",
        arguments: [
            CatchUpCase(policy: .none, fired: []), CatchUpCase(policy: .latest, fired: [50]),
            CatchUpCase(policy: .all(max: 2), fired: [40, 50]), CatchUpCase(policy: .all(max: 100), fired: [10, 20, 30, 40, 50]),
        ])
    func catchUp(_ c: CatchUpCase) async throws {
        try await withDirectory { dir in
            let clock = ManualClock(start: Self.start)
            let configuration = testConfiguration(clock: clock)
            let t30 = Self.start + 10 * Self.second
            let first = try await RunningEngine.start(dir, [TickEcho.self], configuration: configuration)
            try await first.engine.setSchedule("s", cron: CronExpression(Self.every10s), workflow: TickEcho.self, catchUp: c.policy)
            try await clock.waitForSleeper(until: t30)
            clock.advance(to: t30)
            try await eventually("the tick at :30") { first.engine.summary(of: Self.tickID("s", t30)) != nil }
            try await first.crash()
            // Down for 55 s: the ticks at +10 … +50 are missed; the engine is back at +55.
            clock.advance(to: t30 + 55 * Self.second)
            let second = try await RunningEngine.start(dir, [TickEcho.self], configuration: configuration)
            let t90 = t30 + 60 * Self.second
            try await clock.waitForSleeper(until: t90)  // armed after its catch-up round
            let expected = ([0] + c.fired).map { Self.tickID("s", t30 + $0 * Self.second) }.sorted()
            #expect(ids(second.engine, TickEcho.name) == expected)
            for id in expected { #expect(try await result(second.engine.handle(for: id, of: TickEcho.self)).hasPrefix("s ")) }
            clock.advance(to: t90)
            try await eventually("the tick after the downtime") { second.engine.summary(of: Self.tickID("s", t90)) != nil }
            try await second.shutdown()
        }
    }

    @Test("daylight saving in Europe/Berlin: a daily 02:30 does not tick on the day 02:30 does not exist, and ticks once on the day it occurs twice")
    func daylightSaving() async throws {
        for (from, expected, notExpected) in [
            // Spring forward on 2026-03-29: 02:00 → 03:00; no 02:30 that day.
            ("2026-03-27T12:00:00Z", ["2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z"], ["2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"]),
            // Fall back on 2026-10-25: 03:00 → 02:00; 02:30 occurs at 00:30Z (CEST) and 01:30Z (CET): fires at the first.
            ("2026-10-23T12:00:00Z", ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"], ["2026-10-25T01:30:00Z"]),
        ] {
            try await withDirectory { dir in
                let clock = ManualClock(start: instant(from))
                try await withEngine(dir, [TickEcho.self], configuration: testConfiguration(clock: clock)) { engine in
                    let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
                    try await engine.setSchedule("daily", cron: CronExpression("0 30 2 * * *"), timeZone: berlin, workflow: TickEcho.self)
                    for tick in expected.map(instant) {
                        try await clock.waitForSleeper(until: tick)
                        for skipped in notExpected.map(instant) { #expect(!clock.deadlines.contains(skipped)) }
                        clock.advance(to: tick)
                        try await eventually("the tick at \(tick)") { engine.summary(of: Self.tickID("daily", tick)) != nil }
                    }
                    #expect(ids(engine, TickEcho.name) == expected.map { "daily@\($0)" }.sorted())
                }
            }
        }
    }

    @Test("pause (no ticks), resume (no catch-up of paused ticks) and remove, each surviving a restart")
    func pauseResumeRemove() async throws {
        try await withDirectory { dir in
            let clock = ManualClock(start: Self.start)
            let configuration = testConfiguration(clock: clock)
            var running = try await RunningEngine.start(dir, [TickEcho.self], configuration: configuration)
            try await running.engine.setSchedule("s", cron: CronExpression(Self.every10s), workflow: TickEcho.self, catchUp: .all(max: 100))
            try await clock.waitForSleeper(until: Self.start + 10 * Self.second)
            try await running.engine.pauseSchedule("s")
            try await running.engine.pauseSchedule("s")  // no change
            #expect(running.engine.schedules().first?.isPaused == true && running.engine.schedules().first?.nextTick == nil)
            clock.advance(by: .seconds(35))
            try await running.crash()
            running = try await RunningEngine.start(dir, [TickEcho.self], configuration: configuration)
            clock.advance(by: .seconds(30))
            #expect(running.engine.schedules().first?.isPaused == true)
            #expect(clock.deadlines.isEmpty, "a paused schedule arms no timer")
            #expect(ids(running.engine, TickEcho.name).isEmpty)

            // Resumed at start + 65 s: the next tick is at +70; the 6 ticks it skipped while paused never fire.
            try await running.engine.resumeSchedule("s")
            let t70 = Self.start + 70 * Self.second
            try await clock.waitForSleeper(until: t70)
            #expect(ids(running.engine, TickEcho.name).isEmpty)
            try await running.shutdown()
            running = try await RunningEngine.start(dir, [TickEcho.self], configuration: configuration)
            try await clock.waitForSleeper(until: t70)
            #expect(ids(running.engine, TickEcho.name).isEmpty, "resumed: no catch-up of the paused ticks")
            clock.advance(to: t70)
            try await eventually("the tick after the resume") { running.engine.summary(of: Self.tickID("s", t70)) != nil }

            try await running.engine.removeSchedule("s")
            #expect(running.engine.schedules().isEmpty)
            try await running.crash()
            running = try await RunningEngine.start(dir, [TickEcho.self], configuration: configuration)
            clock.advance(by: .seconds(60))
            #expect(running.engine.schedules().isEmpty)
            #expect(clock.deadlines.isEmpty)
            #expect(ids(running.engine, TickEcho.name) == [Self.tickID("s", t70)])
            let error = await caught { try await running.engine.resumeSchedule("s") }
            #expect(code(error) == .notFound)
            try await running.shutdown()
        }
    }

    @Test("bad input is refused with a clear error before anything is written")
    func badInput() async throws {
        try await withDirectory { dir in
            let clock = ManualClock(start: Self.start)
            try await withEngine(dir, [TickEcho.self], configuration: testConfiguration(clock: clock)) { engine in
                let before = lastLSN(engine)
                let invalid = await caught { _ = try CronExpression("every tuesday") }
                #expect(code(invalid) == .invalidArgument)
                let cron = try CronExpression(Self.every10s)
                let unknown = await caught { try await engine.setSchedule("g", cron: cron, workflow: Greeting.self, input: "x") }
                #expect(code(unknown) == .unknownWorkflow)
                for bound in [0, -3] {
                    let error = await caught { try await engine.setSchedule("s", cron: cron, workflow: TickEcho.self, catchUp: .all(max: bound)) }
                    #expect(code(error) == .invalidArgument)
                    #expect((error as? WorkflowError)?.message.contains("nothing was written") == true)
                }
                let unnamed = await caught { try await engine.setSchedule("", cron: cron, workflow: TickEcho.self) }
                #expect(code(unnamed) == .invalidArgument)
                for change in [engine.pauseSchedule, engine.resumeSchedule, engine.removeSchedule] {
                    let error = await caught { try await change("nope") }
                    #expect(code(error) == .notFound)
                }
                #expect(lastLSN(engine) == before)
                #expect(engine.schedules().isEmpty)
            }
        }
    }

    @Test("schedule and debounce records keep to their declarations and read back as history events")
    func recordsFitDeclarations() async throws {
        try await withDirectory { dir in
            let clock = ManualClock(start: Self.start)
            try await withEngine(dir, [TickEcho.self, Greeting.self], configuration: testConfiguration(clock: clock)) { engine in
                try await engine.setSchedule("s", cron: CronExpression(Self.every10s), workflow: TickEcho.self)
                try await engine.pauseSchedule("s")
                try await engine.resumeSchedule("s")
                let t30 = Self.start + 10 * Self.second
                try await clock.waitForSleeper(until: t30)
                clock.advance(to: t30)
                try await eventually("the tick") { engine.summary(of: Self.tickID("s", t30)) != nil }
                try await engine.removeSchedule("s")
                let handle = try await engine.debounce(Greeting.self, key: "k", input: "x", quiet: .seconds(5), maxWait: .seconds(8))
                _ = try await engine.debounce(Greeting.self, key: "k", input: "y", quiet: .seconds(5), maxWait: .seconds(8))
                clock.advance(by: .seconds(5))
                #expect(try await result(handle) == "y")
                _ = try await engine.debounce(Greeting.self, key: "k", input: "pending", quiet: .seconds(60))
            }
            let verification = try await LogVerification.run(directory: dir, lockHolder: nil)
            #expect(verification.isClean, "\(verification.findings)")
            var seen = Set<EventKind>()
            try EventKindDeclarationTests.check(dir, seen: &seen)
            #expect(seen.isSuperset(of: [.scheduleChanged, .scheduleTicked, .debounceRequested]))
            let records = try LogReader(directory: dir)
            var details: [HistoryEvent.Details] = []
            try records.scan { record in
                if [EventKind.scheduleChanged, .scheduleTicked, .debounceRequested].map(\.rawValue).contains(record.tag) {
                    details.append(try HistoryEvent(HistoryRecord(lsn: record.lsn, event: Event(record: record))).details)
                }
                return true
            }
            #expect(details.count == 8)
            #expect(details.contains(.scheduleChanged(schedule: "s", removed: true)))
            #expect(details.contains(.scheduleTicked(
                schedule: "s", tick: Date(timeIntervalSince1970: Double((Self.start + 10 * Self.second) / Self.second)),
                workflowID: Self.tickID("s", Self.start + 10 * Self.second))))
        }
    }

    @Test("compaction keeps only each schedule's latest tick record; a restart after it fires no tick again")
    func compactionKeepsLatestTick() async throws {
        try await withDirectory { dir in
            let clock = ManualClock(start: Self.start)
            var configuration = testConfiguration(clock: clock)
            configuration.log.segmentSize = 64 << 10  // the least: compaction rewrites sealed segments only
            func tickRecords() throws -> Int {
                var count = 0
                try LogReader(directory: dir).scan { record in
                    if record.tag == EventKind.scheduleTicked.rawValue { count += 1 }
                    return true
                }
                return count
            }
            let first = try await RunningEngine.start(dir, [Greeting.self], configuration: configuration)
            // An input that does not compress, so the ticks' workflows fill sealed segments.
            var random = SeededGenerator(seed: 7)
            let filler = String((0..<2048).map { _ in Character(Unicode.Scalar(UInt8.random(in: 97...122, using: &random))) })
            try await first.engine.setSchedule(
                "s", cron: CronExpression("* * * * * *"), workflow: Greeting.self, input: filler, catchUp: .all(max: 1000))
            try await first.crash()
            // Down for 1,000 s: the catch-up fires 1,000 ticks.
            clock.advance(by: .seconds(1000))
            let second = try await RunningEngine.start(dir, [Greeting.self], configuration: configuration)
            let next = Self.start + 1001 * Self.second
            try await clock.waitForSleeper(until: next)
            try await eventually("1,000 ticks done") { second.engine.list(status: [.completed], name: Greeting.name).count == 1000 }
            #expect(try tickRecords() == 1000)
            _ = try await second.engine.compact(policy: CompactionPolicy(keepLast: 0))
            let kept = try tickRecords()
            #expect(kept >= 1 && kept < 1000, "\(kept) tick records kept")
            let started = ids(second.engine, Greeting.name)
            try await second.crash()
            let third = try await RunningEngine.start(dir, [Greeting.self], configuration: configuration)
            try await clock.waitForSleeper(until: next)
            #expect(third.engine.schedules().first?.lastTick == Date(timeIntervalSince1970: Double(next / Self.second - 1)))
            #expect(ids(third.engine, Greeting.name) == started, "no tick fired again")
            #expect(try tickRecords() == kept)
            try await third.shutdown()
        }
    }

    @Test("the recorded fixture's schedules and debounces are rebuilt at open")
    func fixtureRebuilds() async throws {
        try await withDirectory { dir in
            try FileManager.default.copyItem(atPath: EventKindDeclarationTests.fixtures + "/replay/schedules", toPath: dir)
            let engine = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration())
            let schedules = engine.schedules()
            #expect(schedules.map(\.name) == ["every-minute", "paused"])
            #expect(schedules.map(\.isPaused) == [false, true])
            #expect(schedules.map(\.catchUp) == [ScheduleCatchUp.none, .all(max: 3)])
            #expect(schedules.map(\.timeZone) == ["GMT", "Europe/Berlin"])
            #expect(schedules.map(\.ticksWithFixedInput) == [false, true])
            #expect(schedules[0].lastWorkflowID == "every-minute@2027-01-15T08:01:00Z")
            #expect(schedules[0].lastTick == Date(timeIntervalSince1970: 1_800_000_060))
            #expect(schedules[0].nextTick == Date(timeIntervalSince1970: 1_800_000_120))
            #expect(engine.pendingDebounces().map(\.key) == ["order-10"])
            #expect(engine.pendingDebounces().first?.requests == 1)
            await engine.shutdown()
        }
    }

    @Test("tick IDs are the schedule and the tick in UTC, ISO 8601")
    func tickIDs() {
        #expect(TickTimeline.workflowID(schedule: "nightly", tick: instant("2026-12-07T10:00:00Z")) == "nightly@2026-12-07T10:00:00Z")
        #expect(TickTimeline.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(TickTimeline.iso8601(instant("2000-02-29T23:59:59Z") + 5) == "2000-02-29T23:59:59.000000005Z")
        #expect(TickTimeline.iso8601(-1_000_000_000) == "1969-12-31T23:59:59Z")
    }
}
