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

    @Test("list filters by status, name and start time, oldest first, with a limit")
    func list() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let clock = ManualClock()
            let t0 = clock.now()
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

                #expect(engine.list().map(\.id) == ["d0", "d1", "d2", "f", "held"])
                #expect(engine.list(status: [.completed]).map(\.id) == ["d0", "d1", "d2"])
                #expect(engine.list(status: [.failed, .running]).map(\.id) == ["f", "held"])
                #expect(engine.list(name: Doubler.name, limit: 2).map(\.id) == ["d0", "d1"])
                #expect(engine.list(startedAfter: t0 + 1_000_000_000).map(\.id) == ["d1", "d2", "f", "held"])
                #expect(engine.list(startedAfter: t0 + 1_000_000_000, startedBefore: t0 + 3_000_000_000).map(\.id) == ["d1", "d2"])
                #expect(engine.list(name: "no such workflow").isEmpty)
                probe.open("s0")
            }
            // The same after a restart, from the log.
            try await withEngine(dir, [CountedSteps.self, Doubler.self, Failing.self], configuration: testConfiguration(clock: clock)) { engine in
                _ = try await result(engine.handle(for: "held", output: [Int].self))
                #expect(engine.list().map(\.id) == ["d0", "d1", "d2", "f", "held"])
                #expect(engine.list(status: [.completed]).count == 4)
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
                let history = try await engine.history(of: "c")
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
