@testable import Cairn
import CairnLog
import Foundation
import Synchronization
import Testing

@Suite("Debounce")
struct DebounceTests {
    static let second: Int64 = 1_000_000_000
    static let start: Int64 = 1_700_000_000 * second

    @Test("several calls for a key start one workflow, with the latest input, once the key has been quiet")
    func latestInputOnce() async throws {
        try await withDirectory { dir in
            let clock = ManualClock(start: Self.start)
            try await withEngine(dir, [Greeting.self], configuration: testConfiguration(clock: clock)) { engine in
                let a = try await engine.debounce(Greeting.self, key: "k", input: "a", quiet: .seconds(10))
                clock.advance(by: .seconds(5))
                let b = try await engine.debounce(Greeting.self, key: "k", input: "b", quiet: .seconds(10))
                clock.advance(by: .seconds(5))
                let c = try await engine.debounce(Greeting.self, key: "k", input: "c", quiet: .seconds(10))
                #expect(a.id == b.id && b.id == c.id)
                let fire = Self.start + 20 * Self.second
                try await clock.waitForSleeper(until: fire)
                #expect(engine.summary(of: a.id) == nil)
                #expect(engine.pendingDebounces().map(\.requests) == [3])
                #expect(engine.pendingDebounces().first?.fireAt == Date(timeIntervalSince1970: Double(fire / Self.second)))
                clock.advance(to: fire - 1)
                #expect(engine.summary(of: a.id) == nil)
                clock.advance(to: fire)
                #expect(try await result(a) == "c")
                #expect(ids(engine, Greeting.name) == [a.id])
                #expect(engine.pendingDebounces().isEmpty)
                // After it fired, a call begins a new debounce.
                let d = try await engine.debounce(Greeting.self, key: "k", input: "d", quiet: .seconds(1))
                #expect(d.id != a.id)
                clock.advance(by: .seconds(1))
                #expect(try await result(d) == "d")
            }
        }
    }

    @Test("maxWait bounds the delay under constant calls")
    func maxWait() async throws {
        try await withDirectory { dir in
            let clock = ManualClock(start: Self.start)
            try await withEngine(dir, [Greeting.self], configuration: testConfiguration(clock: clock)) { engine in
                var handle: WorkflowHandle<Greeting>?
                // A call every 5 s, each putting it off 10 s: without a bound it would never fire.
                for i in 0..<5 {
                    let h = try await engine.debounce(Greeting.self, key: "busy", input: "call \(i)", quiet: .seconds(10), maxWait: .seconds(25))
                    #expect(handle == nil || handle?.id == h.id)
                    handle = h
                    if i < 4 { clock.advance(by: .seconds(5)) }
                }
                let bound = Self.start + 25 * Self.second
                #expect(engine.pendingDebounces().first?.latest == Date(timeIntervalSince1970: Double(bound / Self.second)))
                try await clock.waitForSleeper(until: bound)
                clock.advance(to: bound)
                let fired = try #require(handle)
                #expect(try await result(fired) == "call 4")
            }
        }
    }

    @Test("a pending debounce survives a restart; one whose time passed while down fires at open; none fires twice", arguments: [false, true])
    func restart(passedWhileDown: Bool) async throws {
        try await withDirectory { dir in
            let clock = ManualClock(start: Self.start)
            let configuration = testConfiguration(clock: clock)
            let first = try await RunningEngine.start(dir, [Greeting.self], configuration: configuration)
            let handle = try await first.engine.debounce(Greeting.self, key: "k", input: "kept", quiet: .seconds(10))
            try await first.crash()
            clock.advance(by: passedWhileDown ? .seconds(60) : .seconds(5))
            let second = try await RunningEngine.start(dir, [Greeting.self], configuration: configuration)
            if !passedWhileDown {
                #expect(second.engine.pendingDebounces().map(\.workflowID) == [handle.id])
                try await clock.waitForSleeper(until: Self.start + 10 * Self.second)
                #expect(second.engine.summary(of: handle.id) == nil)
                clock.advance(by: .seconds(5))
            }
            #expect(try await result(second.engine.handle(for: handle.id, of: Greeting.self)) == "kept")
            try await second.crash()
            let third = try await RunningEngine.start(dir, [Greeting.self], configuration: configuration)
            #expect(third.engine.pendingDebounces().isEmpty)
            clock.advance(by: .seconds(60))
            #expect(ids(third.engine, Greeting.name) == [handle.id])
            try await third.shutdown()
        }
    }

    @Test("concurrent calls with one key make one debounce and start one workflow")
    func concurrentCalls() async throws {
        try await withDirectory { dir in
            let clock = ManualClock(start: Self.start)
            try await withEngine(dir, [Greeting.self], configuration: testConfiguration(clock: clock)) { engine in
                let handles = try await withThrowingTaskGroup(of: String.self) { group in
                    for i in 0..<64 {
                        group.addTask { try await engine.debounce(Greeting.self, key: "k", input: "input \(i)", quiet: .seconds(3)).id }
                    }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(handles.count == 1)
                #expect(engine.pendingDebounces().count == 1 && engine.pendingDebounces().first?.requests == 64)
                clock.advance(by: .seconds(3))
                let id = try #require(handles.first)
                let output = try await result(engine.handle(for: id, of: Greeting.self))
                // The latest input is the last call's in the log.
                var last: String?
                try LogReader(directory: dir).scan { record in
                    if record.tag == EventKind.debounceRequested.rawValue {
                        last = try decodePayload(String.self, Event(record: record).payload)
                    }
                    return true
                }
                #expect(output == last)
                #expect(ids(engine, Greeting.name) == [id])
            }
        }
    }

    @Test("bad input is refused with a clear error before anything is written")
    func badInput() async throws {
        try await withDirectory { dir in
            let clock = ManualClock(start: Self.start)
            try await withEngine(dir, [Greeting.self, TickEcho.self], configuration: testConfiguration(clock: clock)) { engine in
                _ = try await engine.debounce(Greeting.self, key: "taken", input: "x", quiet: .seconds(10))
                let before = lastLSN(engine)
                let cases: [(WorkflowError.Code, () async throws -> Void)] = [
                    (.invalidArgument, { _ = try await engine.debounce(Greeting.self, key: "k", input: "x", quiet: .zero) }),
                    (.invalidArgument, { _ = try await engine.debounce(Greeting.self, key: "k", input: "x", quiet: .seconds(-1)) }),
                    (.invalidArgument, { _ = try await engine.debounce(Greeting.self, key: "k", input: "x", quiet: .seconds(5), maxWait: .seconds(4)) }),
                    (.invalidArgument, { _ = try await engine.debounce(Greeting.self, key: "", input: "x", quiet: .seconds(5)) }),
                    (.unknownWorkflow, { _ = try await engine.debounce(Doubler.self, key: "k", input: ProbeInput(probe: ""), quiet: .seconds(5)) }),
                    (.idConflict, {
                        _ = try await engine.debounce(
                            TickEcho.self, key: "taken", input: ScheduleTick(schedule: "", scheduledAt: Date()), quiet: .seconds(5))
                    }),
                ]
                for (expected, call) in cases {
                    let error = await caught { try await call() }
                    #expect(code(error) == expected, "\(String(describing: error))")
                    #expect((error as? WorkflowError)?.message.contains("nothing was written") == true)
                }
                #expect(lastLSN(engine) == before)
                #expect(engine.pendingDebounces().count == 1)
            }
        }
    }
}
