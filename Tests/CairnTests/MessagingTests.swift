import Cairn
import CairnLog
import Foundation
import Testing

/// Receives `n` messages on topic "m", handling each in a counted, gated step "h<i>"; then checks the inbox is
/// empty with a receive that times out at once.
struct Consumer: Workflow {
    static let name = "test-consumer"

    struct Output: Codable, Sendable, Equatable {
        var received: [String]
        var leftOver: String?
    }

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Output {
        let probe = Probe.get(input.probe)
        var received: [String] = []
        for i in 0..<input.n {
            let message = try await context.receive(String.self, topic: "m") ?? "<timeout>"
            received.append(message)
            _ = try await context.step("h\(i)") {
                probe.hit("handled \(message)")
                try await probe.pass("h\(i)")
                return i
            }
        }
        let leftOver = try await context.receive(String.self, topic: "m", timeout: .zero)
        return Output(received: received, leftOver: leftOver)
    }
}

/// Sends `n` messages "<label>-<i>" to workflow "<label>" on topic "m", then waits at gate "sent".
struct Producer: Workflow {
    static let name = "test-producer"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = Probe.get(input.probe)
        for i in 0..<input.n {
            try await context.send("\(input.label)-\(i)", to: input.label, topic: "m")
        }
        _ = try await context.step("sent") {
            probe.hit("sent")
            try await probe.pass("sent")
            return 0
        }
        return input.n
    }
}

/// One receive with a timeout of `n` seconds; returns the message or "timeout".
struct TimedReceive: Workflow {
    static let name = "test-timed-receive"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = Probe.get(input.probe)
        let message = try await context.receive(String.self, topic: "t", timeout: .seconds(input.n))
        _ = try await context.step("after") {
            probe.hit("after")
            try await probe.pass("after")
            return 0
        }
        return message ?? "timeout"
    }
}

/// Keeps its context after returning, to show what a late operation does.
struct LeakedContext: Workflow {
    static let name = "test-leaked-context"
    static let contexts = LockedBox<[String: WorkflowContext]>([:])

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        contexts.set(input.probe, context)
        return 1
    }
}

@Suite("Messages: send, receive, exactly once across restarts")
struct MessagingTests {
    @Test("messages from outside and from a workflow are received in order, exactly once")
    func sendAndReceive() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Consumer.self, Producer.self]) { engine in
                // Sent before the consumer exists: kept until it receives.
                try await engine.send("early", to: "consumer", topic: "m")
                let consumer = try await engine.start(Consumer.self, input: ProbeInput(probe: probe.key, n: 5), id: "consumer")
                _ = try await engine.start(Producer.self, input: ProbeInput(probe: probe.key, n: 3, label: "consumer"))
                try await engine.send("late", to: "consumer", topic: "m")
                try await engine.send("other topic", to: "consumer", topic: "x")
                let output = try await result(consumer)
                #expect(output.received.count == 5)
                #expect(output.received.first == "early")
                #expect(Set(output.received) == ["early", "consumer-0", "consumer-1", "consumer-2", "late"])
                // The producer's messages keep their order.
                #expect(output.received.filter { $0.hasPrefix("consumer-") } == ["consumer-0", "consumer-1", "consumer-2"])
                #expect(output.leftOver == nil, "no message is delivered twice; the other topic's message stays")
            }
        }
    }

    @Test("exactly once across a crash: received messages are not received again, unreceived ones are not lost")
    func exactlyOnceAcrossCrash() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("h2")
            probe.close("sent")
            let workflows: [any Workflow.Type] = [Consumer.self, Producer.self]
            let first = try await RunningEngine.start(dir, workflows)
            _ = try await first.engine.start(Consumer.self, input: ProbeInput(probe: probe.key, n: 6), id: "inbox")
            try await first.engine.send("a", to: "inbox", topic: "m")
            try await first.engine.send("b", to: "inbox", topic: "m")
            try await first.engine.send("c", to: "inbox", topic: "m")
            try await first.engine.send("d", to: "inbox", topic: "m")
            // A workflow sends two more; its sends are recorded before it waits at "sent".
            _ = try await first.engine.start(Producer.self, input: ProbeInput(probe: probe.key, n: 2, label: "inbox"), id: "producer")
            try await probe.waitForArrival("h2")
            try await probe.waitForArrival("sent")
            try await first.crash()
            probe.openAll()

            let second = try await RunningEngine.start(dir, workflows)
            try await second.engine.send("e", to: "inbox", topic: "m")
            let output = try await result(second.engine.handle(for: "inbox", of: Consumer.self))
            #expect(try await result(second.engine.handle(for: "producer", of: Producer.self)) == 2)
            try await second.shutdown()

            // Seven were sent: four from outside, two by the producer (whose replay did not send them again), one
            // after the restart. The first three were received before the crash and are not received again.
            #expect(output.received == ["a", "b", "c", "d", "inbox-0", "inbox-1"])
            #expect(output.leftOver == "e")
            for message in ["a", "b", "d"] { #expect(probe.count("handled \(message)") == 1, "\(message) handled once") }
            #expect(probe.count("handled c") == 2, "the step in progress at the crash runs again (at least once)")
            #expect(probe.count("sent") == 2)
        }
    }

    @Test("a second send with the same idempotency key is ignored")
    func idempotencyKey() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Consumer.self]) { engine in
                try await engine.send("once", to: "keyed", topic: "m", idempotencyKey: "k1")
                try await engine.send("once again", to: "keyed", topic: "m", idempotencyKey: "k1")
                try await engine.send("twice", to: "keyed", topic: "m", idempotencyKey: "k2")
                // The same key for another workflow is another key.
                try await engine.send("elsewhere", to: "other", topic: "m", idempotencyKey: "k1")
                let output = try await result(try await engine.start(Consumer.self, input: ProbeInput(probe: probe.key, n: 2), id: "keyed"))
                #expect(output.received == ["once", "twice"])
                #expect(output.leftOver == nil)
            }
            // The keys survive a restart.
            try await withEngine(dir, [Consumer.self]) { engine in
                try await engine.send("after restart", to: "keyed2", topic: "m", idempotencyKey: "k3")
                try await engine.send("once", to: "keyed", topic: "m", idempotencyKey: "k1")
                try await engine.send("after restart, again", to: "keyed2", topic: "m", idempotencyKey: "k3")
                let output = try await result(try await engine.start(Consumer.self, input: ProbeInput(probe: probe.key, n: 1), id: "keyed2"))
                #expect(output.received == ["after restart"])
                #expect(output.leftOver == nil)
            }
        }
    }

    @Test("a receive times out on the workflow clock and records the timeout")
    func receiveTimeout() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock()
            let start = clock.now()
            try await withEngine(dir, [TimedReceive.self], configuration: testConfiguration(clock: clock)) { engine in
                let handle = try await engine.start(TimedReceive.self, input: ProbeInput(probe: probe.key, n: 60), id: "timed")
                try await clock.waitForSleeper(until: start + 60_000_000_000)
                clock.advance(by: .seconds(59))
                #expect(engine.summary(of: "timed")?.status == .running)
                #expect(clock.deadlines == [start + 60_000_000_000], "still waiting on its recorded deadline")
                clock.advance(by: .seconds(1))
                #expect(try await result(handle) == "timeout")
                let ops = try await operations(engine, "timed")
                #expect(ops.first?.kind == .receiveStarted)
                #expect(ops.first?.deadline == start + 60_000_000_000)
                #expect(ops.dropFirst().first?.kind == .messageReceived)
                #expect(ops.dropFirst().first?.flags == .timedOut)
            }
        }
    }

    @Test("a message that arrives before the timeout is received")
    func receiveBeforeTimeout() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock()
            try await withEngine(dir, [TimedReceive.self], configuration: testConfiguration(clock: clock)) { engine in
                let handle = try await engine.start(TimedReceive.self, input: ProbeInput(probe: probe.key, n: 60), id: "timed")
                try await clock.waitForSleeper(until: clock.now() + 60_000_000_000)
                try await engine.send("in time", to: "timed", topic: "t")
                #expect(try await result(handle) == "in time")
            }
        }
    }

    @Test("after a restart, a receive waits only for the rest of its timeout")
    func receiveTimeoutRemainder() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let clock = ManualClock()
            let deadline = clock.now() + 60_000_000_000
            let first = try await RunningEngine.start(dir, [TimedReceive.self], configuration: testConfiguration(clock: clock))
            _ = try await first.engine.start(TimedReceive.self, input: ProbeInput(probe: probe.key, n: 60), id: "timed")
            try await clock.waitForSleeper(until: deadline)
            clock.advance(by: .seconds(45))
            try await first.crash()

            let second = try await RunningEngine.start(dir, [TimedReceive.self], configuration: testConfiguration(clock: clock))
            // The recorded deadline, not 60 s from now.
            try await clock.waitForSleeper(until: deadline)
            #expect(clock.deadlines == [deadline])
            clock.advance(to: deadline)
            #expect(try await result(second.engine.handle(for: "timed", of: TimedReceive.self)) == "timeout")
            try await second.shutdown()
        }
    }

    @Test("sending to a finished workflow is accepted and never delivered")
    func sendToFinished() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Consumer.self]) { engine in
                try await engine.send("only", to: "done", topic: "m")
                let handle = try await engine.start(Consumer.self, input: ProbeInput(probe: probe.key, n: 1), id: "done")
                #expect(try await result(handle).received == ["only"])
                let before = try await engine.history(of: "done").collect().count
                try await engine.send("too late", to: "done", topic: "m")
                #expect(engine.summary(of: "done")?.status == .completed)
                #expect(try await result(handle).received == ["only"])
                // The send is in the log (it shows in the workflow's history) but changes nothing.
                let history = try await engine.history(of: "done").collect()
                #expect(history.count == before + 1)
                #expect(history.last?.event.kind == .messageSent)
            }
        }
    }

    @Test("an operation on a finished workflow's context (receive, send, step) is refused with .misuse and writes nothing")
    func operationsOnFinishedContext() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [LeakedContext.self]) { engine in
                _ = try await result(try await engine.start(LeakedContext.self, input: ProbeInput(probe: probe.key), id: "leaky"))
                let context = try #require(LeakedContext.contexts[probe.key])
                try await engine.send("waiting", to: "leaky", topic: "m")
                let before = try await engine.history(of: "leaky").collect().count
                let receiveError = await caught { _ = try await context.receive(String.self, topic: "m") }
                #expect(code(receiveError) == .misuse)
                #expect((receiveError as? WorkflowError)?.workflowID == "leaky")
                let sendError = await caught { try await context.send("x", to: "somewhere") }
                #expect(code(sendError) == .misuse)
                let stepError = await caught { _ = try await context.step("late") { 1 } }
                #expect(code(stepError) == .misuse)
                #expect(try await engine.history(of: "leaky").collect().count == before)
            }
        }
    }
}
