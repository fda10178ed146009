import Cairn
import CairnLog
import Foundation
import Testing

@Suite("Queries: summary, list, history")
struct QueryTests {
    @Test("summary reports status, name, times, parent, failure and history size")
    func summary() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let clock = ManualClock()
            let t0 = clock.now()
            probe.close("s1")
            try await withEngine(dir, [CountedSteps.self, Failing.self], configuration: testConfiguration(clock: clock)) { engine in
                #expect(engine.summary(of: "nothing") == nil)
                let handle = try await engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 2), id: "steps")
                try await probe.waitForArrival("s1")
                let running = try #require(engine.summary(of: "steps"))
                #expect(running.id == "steps")
                #expect(running.name == CountedSteps.name)
                #expect(running.status == .running)
                #expect(try await handle.status() == .running)
                #expect(running.startedAt == t0)
                #expect(running.parentID == nil)
                #expect(running.failure == nil)
                #expect(running.historyCount == 1)
                clock.advance(by: .seconds(10))
                probe.open("s1")
                _ = try await result(handle)
                let done = try #require(engine.summary(of: "steps"))
                #expect(done.status == .completed)
                #expect(done.updatedAt == t0 + 10_000_000_000)
                #expect(done.historyCount == 0, "a finished workflow keeps no history in memory")

                let failing = try await engine.start(Failing.self, input: ProbeInput(probe: probe.key, label: "on purpose"), id: "failing")
                let error = await caught { _ = try await result(failing) }
                let failure = try #require(error as? WorkflowFailure)
                #expect(failure.errorType.hasSuffix("TestFailure"))
                #expect(failure.message == "failed on purpose: on purpose")
                #expect(engine.summary(of: "failing")?.status == .failed)
                #expect(engine.summary(of: "failing")?.failure == failure)
            }
        }
    }

    @Test("list filters by status, name and start time, newest first, with a limit")
    func list() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let clock = ManualClock()
            let t0 = clock.now()
            func at(_ seconds: Int64) -> Date { Date(nanosecondsSince1970: t0 + seconds * 1_000_000_000) }
            probe.close("s0")
            try await withEngine(dir, [CountedSteps.self, Doubler.self, Failing.self], configuration: testConfiguration(clock: clock)) { engine in
                for i in 0..<3 {
                    _ = try await result(try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: i), id: "d\(i)"))
                    clock.advance(by: .seconds(1))
                }
                _ = await caught { _ = try await result(try await engine.start(Failing.self, input: ProbeInput(probe: probe.key), id: "f")) }
                clock.advance(by: .seconds(1))
                _ = try await engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 1), id: "held")
                try await probe.waitForArrival("s0")

                #expect(engine.list().map(\.id) == ["held", "f", "d2", "d1", "d0"])
                #expect(engine.list().next == nil)
                #expect(engine.list(status: [.completed]).map(\.id) == ["d2", "d1", "d0"])
                #expect(engine.list(status: [.failed, .running]).map(\.id) == ["held", "f"])
                #expect(engine.list(name: Doubler.name, limit: 2).map(\.id) == ["d2", "d1"])
                #expect(engine.list(startedSince: at(1)).map(\.id) == ["held", "f", "d2", "d1"])
                #expect(engine.list(startedSince: at(1), startedBefore: at(3)).map(\.id) == ["d2", "d1"])
                #expect(engine.list(name: "no such workflow").isEmpty)
                #expect(engine.list(limit: 0).isEmpty)
                #expect(engine.list(startedSince: .distantPast, startedBefore: .distantFuture).count == 5)
                probe.open("s0")
            }
            // The same after a restart, from the log.
            try await withEngine(dir, [CountedSteps.self, Doubler.self, Failing.self], configuration: testConfiguration(clock: clock)) { engine in
                _ = try await result(engine.handle(for: "held", of: CountedSteps.self))
                #expect(engine.list().map(\.id) == ["held", "f", "d2", "d1", "d0"])
                #expect(engine.list(status: [.completed]).count == 4)
            }
        }
    }

    @Test("a Date filter converts to nanoseconds within a microsecond, and far-off dates saturate instead of trapping")
    func dateBounds() {
        for n: Int64 in [0, 1, 999, 1_700_000_000_123_456_789, -1_234_567_890_123, 9_000_000_000_000_000_000] {
            #expect(abs(Date(nanosecondsSince1970: n).nanosecondsSince1970 - n) <= 1_000, "\(n)")
        }
        #expect(Date.distantFuture.nanosecondsSince1970 == .max)
        #expect(Date.distantPast.nanosecondsSince1970 == .min)
        #expect(Date(timeIntervalSince1970: .infinity).nanosecondsSince1970 == .max)
    }

    @Test("list pages newest first with a cursor: every workflow once, ties by ID, filters kept across pages")
    func listPages() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock()
            try await withEngine(dir, [Doubler.self, Failing.self], configuration: testConfiguration(clock: clock)) { engine in
                // 12 doublers, three to each start time (so pages split ties), and failures between them.
                var expected: [String] = []
                for t in 0..<4 {
                    for k in 0..<3 {
                        let id = "d\(t)-\(k)"
                        _ = try await result(try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: k), id: id))
                        expected.insert(id, at: 0)
                    }
                    _ = await caught { _ = try await result(try await engine.start(Failing.self, input: ProbeInput(probe: probe.key), id: "f\(t)")) }
                    clock.advance(by: .seconds(1))
                }
                for limit in [1, 2, 5, 12, 50] {
                    var seen: [String] = []
                    var page = engine.list(name: Doubler.name, limit: limit)
                    var pages = 1
                    while let next = page.next {
                        #expect(page.count == limit, "only the last page is short")
                        seen += page.map(\.id)
                        // The cursor survives its text form (an HTTP API's "next" link).
                        let cursor = try #require(WorkflowCursor(next.description))
                        #expect(cursor == next)
                        page = engine.list(name: Doubler.name, limit: limit, after: cursor)
                        pages += 1
                    }
                    seen += page.map(\.id)
                    #expect(seen == expected, "limit \(limit)")
                    #expect(pages == (expected.count + limit - 1) / limit, "limit \(limit): no empty page at the end")
                }
                // A cursor made from a summary continues after it.
                let d2 = try #require(engine.summary(of: "d2-1"))
                #expect(engine.list(name: Doubler.name, limit: 3, after: WorkflowCursor(after: d2)).map(\.id) == ["d2-0", "d1-2", "d1-1"])
                #expect(WorkflowCursor("not a cursor") == nil)
            }
        }
    }

    @Test("summaries give dates and the result of a completed workflow; a handle gives the same summary")
    func summaryResultAndDates() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock()
            let t0 = clock.now()
            try await withEngine(dir, [Doubler.self, Failing.self], configuration: testConfiguration(clock: clock)) { engine in
                let handle = try await engine.start(Doubler.self, input: ProbeInput(probe: probe.key, n: 21), id: "d")
                #expect(try await result(handle) == 42)
                let summary = try await handle.summary()
                #expect(try summary.output(as: Int.self) == 42)
                #expect(summary.startDate == Date(nanosecondsSince1970: t0))
                #expect(engine.list(status: [.completed]).first == summary)
                #expect(code(await caught { _ = try summary.output(as: [String].self) }) == .undecodablePayload)
                let failing = try await engine.start(Failing.self, input: ProbeInput(probe: probe.key, label: "x"), id: "f")
                _ = await caught { _ = try await result(failing) }
                let failed = try await failing.summary()
                #expect(try failed.output(as: Int.self) == nil)
                #expect(failed.failure?.message == "failed on purpose: x")
            }
            // After a restart, from the log.
            try await withEngine(dir, [Doubler.self, Failing.self], configuration: testConfiguration(clock: clock)) { engine in
                let restored = try #require(engine.summary(of: "d"))
                #expect(try restored.output(as: Int.self) == 42)
            }
        }
    }

    @Test("query summaries carry the current value of each event the workflow set, live, in a list and after a restart")
    func summaryEventValues() async throws {
        try await withDirectory { dir in
            try await withEngine(dir, [Progressing.self]) { engine in
                let handle = try await engine.start(Progressing.self, input: "p", id: "p")
                try await eventually("progress 2 to be set") { (try? engine.summary(of: "p")?.eventValue(Int.self, key: "progress")) == 2 }
                let waiting = try #require(engine.summary(of: "p"))
                #expect(waiting.eventValues.keys.sorted() == ["progress"], "only what is set so far, the latest value")
                #expect(try waiting.eventValue(String.self, key: "stage") == nil)
                #expect(code(await caught { _ = try waiting.eventValue(String.self, key: "progress") }) == .undecodablePayload)
                #expect(engine.list(name: Progressing.name).first?.eventValues == waiting.eventValues)
                #expect(try await handle.summary().eventValues == waiting.eventValues)
            }
            try await withEngine(dir, [Progressing.self]) { engine in
                let handle = engine.handle(for: "p", of: Progressing.self)
                #expect(try await handle.summary().eventValue(Int.self, key: "progress") == 2, "rebuilt from the log")
                try await handle.send("go", topic: "go")
                _ = try await result(handle)
                let done = try await handle.summary()
                #expect(try done.eventValue(Int.self, key: "progress") == 3 && done.eventValue(String.self, key: "stage") == "shipped")
            }
        }
    }

    @Test("history lists a workflow's events in log order with positions, call sites, payloads and outside sends")
    func history() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Consumer.self]) { engine in
                try await engine.send("hi", to: "c", topic: "m")
                let handle = try await engine.start(Consumer.self, input: ProbeInput(probe: probe.key, n: 1), id: "c")
                _ = try await result(handle)
                let history = try await engine.history(of: "c").collect()
                #expect(history.map(\.event.kind) == [.messageSent, .workflowStarted, .messageReceived, .stepCompleted, .receiveStarted, .messageReceived, .workflowCompleted])
                #expect(zip(history, history.dropFirst()).allSatisfy { $0.lsn < $1.lsn })
                let received = history[2].event
                #expect(received.position == pos(0))
                #expect(received.name == "m")
                #expect(received.callSite?.file.hasSuffix("MessagingTests.swift") == true)
                #expect(received.number == history[0].lsn.rawValue, "the message received is the send at that LSN")
                #expect(try decodePayload(String.self, received.payload) == "hi")
                #expect(history[3].event.position == pos(1))
                #expect(history[3].event.name == "h0")
                #expect(history[0].event.position == nil && history[0].event.target == "c")
                let output = try decodePayload(Consumer.Output.self, history.last!.event.payload)
                #expect(output == Consumer.Output(received: ["hi"], leftOver: nil))
            }
        }
    }
}

/// Sets "progress" twice, waits for "go", then sets "progress" and "stage".
private struct Progressing: Workflow {
    static let name = "progressing"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        try await context.setEvent("progress", 1)
        try await context.setEvent("progress", 2)
        _ = try await context.receive(String.self, topic: "go")
        try await context.setEvent("progress", 3)
        try await context.setEvent("stage", "shipped")
        return input
    }
}
