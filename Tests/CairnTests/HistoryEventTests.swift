import Cairn
import CairnLog
import CairnTesting
import Foundation
import Testing

/// A child that sets an event and returns its input doubled.
private struct TourChild: Workflow {
    static let name = "history-tour-child"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.setEvent("c-key", "set by the child")
        return input * 2
    }
}

/// One operation of (almost) every kind, in a fixed order, so that the history's view can be checked event by event.
private struct Tour: Workflow {
    static let name = "history-tour"
    struct StepError: Error, CustomStringConvertible {
        var description: String { "the card was declined" }
    }

    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        _ = try await context.step("charge", input: input) { 42 }                                  // 0
        do {
            _ = try await context.step("declined") { () throws -> Int in throw StepError() }       // 1
        } catch is StepFailure {}
        try await context.sleep(for: .seconds(90))                                                  // 2
        try await context.send("ping", to: "tour-peer", topic: "t")                                // 3
        _ = try await context.receive(String.self, topic: "in")                                     // 4
        _ = try await context.receive(String.self, topic: "none", timeout: .seconds(1))             // 5 (wait, timeout)
        try await context.setEvent("stage", "done")                                                 // 6
        _ = try await context.runChild(TourChild.self, input: 21, id: "tour-child")                 // 7, 8 (start, result)
        _ = try await context.event(String.self, key: "c-key", of: "tour-child")                    // 9
        _ = try await context.event(String.self, key: "missing", of: "tour-child", timeout: .seconds(2))  // 10
        _ = try await context.now()                                                                 // 11
        _ = try await context.patched("p1")                                                         // 12
        _ = try await context.parallel("fan") { branches in                                         // 13
            try await branches.start { try await $0.step("inner") { 1 } }.value
        }
        return "toured"
    }
}

/// Waits for a message that never comes (a durable wait): parked when it recovers where it is not registered.
private struct Waiter: Workflow {
    static let name = "history-waiter"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.receive(Int.self, topic: "never") ?? 0
    }
}

@Suite("History view: typed details, dates and durations for every kind")
struct HistoryEventTests {
    @Test("a real run's history shows each kind's details, times as Date, durations as Duration, payloads decodable")
    func realRun() async throws {
        let clock = TestClock()
        let start = clock.now()
        try await withTestEngine(workflows: [Tour.self, TourChild.self, Failing.self], clock: clock) { engine in
            try await engine.send("hello", to: "tour", topic: "in", idempotencyKey: "k-1")
            let output = try await engine.start(Tour.self, input: "card-7", id: "tour").result()
            #expect(output == "toured")
            let history = try await engine.history(of: "tour").collect()
            // The child may finish before the parent asks for its result: then no wait is recorded.
            let kinds = history.map(\.kind).filter { $0 != .childWaitStarted }
            #expect(kinds == [
                .messageSent, .workflowStarted, .stepCompleted, .stepFailed, .sleepStarted, .messageSent,
                .messageReceived, .receiveStarted, .messageReceived, .eventSet, .childStarted, .childCompleted,
                .eventRead, .receiveStarted, .eventRead, .valueRecorded, .patchMarker, .stepCompleted, .branchStarted,
                .workflowCompleted,
            ])
            func at(_ kind: EventKind, _ n: Int = 0) throws -> HistoryEvent {
                try #require(history.filter { $0.kind == kind }.dropFirst(n).first)
            }

            let outsideSend = try at(.messageSent)
            #expect(outsideSend.details == .sent(destination: "tour", topic: "in", idempotencyKey: "k-1"))
            #expect(outsideSend.workflowID == "" && outsideSend.position == nil && outsideSend.callSite == nil)
            #expect(try engine.decode(outsideSend, as: String.self) == "hello")

            let started = try at(.workflowStarted)
            #expect(started.details == .started(parentID: nil, parentPosition: nil))
            #expect(started.name == Tour.name)
            #expect(started.time == Date(nanosecondsSince1970: start))
            #expect(try engine.decode(started, as: String.self) == "card-7")

            let charged = try at(.stepCompleted)
            #expect(charged.details == .stepCompleted)
            #expect(charged.position == pos(0) && charged.name == "charge")
            #expect(charged.callSite?.file.hasSuffix("HistoryEventTests.swift") == true)
            #expect(charged.inputDigest != nil, "a step given an input records its digest")
            #expect(try engine.decode(charged, as: Int.self) == 42)

            let declined = try at(.stepFailed)
            guard case .stepFailed(let failure) = declined.details else { Issue.record("\(declined.details)"); return }
            #expect(failure.errorType.hasSuffix("StepError") && failure.message == "the card was declined")
            #expect(declined.payload == nil, "a failure's message is not a codec value")
            #expect(code(await caught { _ = try engine.decode(declined, as: String.self) }) == .invalidArgument)

            let slept = try at(.sleepStarted)
            #expect(slept.details == .sleep(wake: Date(nanosecondsSince1970: slept.event.time + 90_000_000_000), duration: .seconds(90)))

            #expect(try at(.messageSent, 1).details == .sent(destination: "tour-peer", topic: "t", idempotencyKey: nil))
            #expect(try at(.messageSent, 1).position == pos(3))

            let received = try at(.messageReceived)
            #expect(received.details == .received(topic: "in", messageID: outsideSend.lsn), "names its send by LSN")
            #expect(try engine.decode(received, as: String.self) == "hello")

            let waiting = try at(.receiveStarted)
            #expect(waiting.details == .waiting(deadline: Date(nanosecondsSince1970: waiting.event.time + 1_000_000_000), timeout: .seconds(1), eventOwner: nil))
            #expect(try at(.messageReceived, 1).details == .receiveTimedOut(topic: "none"))
            #expect(try at(.messageReceived, 1).payload == nil)

            #expect(try at(.eventSet).details == .eventSet(key: "stage"))
            #expect(try engine.decode(try at(.eventSet), as: String.self) == "done")

            #expect(try at(.childStarted).details == .childStarted(childID: "tour-child", workflowName: TourChild.name))
            let child = try at(.childCompleted)
            #expect(child.details == .childCompleted(childID: "tour-child", failure: nil))
            #expect(try engine.decode(child, as: Int.self) == 42)

            #expect(try at(.eventRead).details == .eventRead(key: "c-key", owner: "tour-child"))
            #expect(try engine.decode(try at(.eventRead), as: String.self) == "set by the child")
            let eventWait = try at(.receiveStarted, 1)
            #expect(eventWait.details == .waiting(deadline: Date(nanosecondsSince1970: eventWait.event.time + 2_000_000_000), timeout: .seconds(2), eventOwner: "tour-child"))
            #expect(try at(.eventRead, 1).details == .eventReadTimedOut(key: "missing", owner: "tour-child"))

            let now = try at(.valueRecorded)
            #expect(now.details == .recordedValue(name: "now"))
            #expect(try engine.decode(now, as: Int64.self) == now.event.time)
            #expect(try at(.patchMarker).details == .patch(id: "p1", deprecated: false))
            #expect(try at(.branchStarted).details == .branch(label: "fan"))
            let inner = try at(.stepCompleted, 1)
            #expect(inner.position == pos(13, 0, 0), "\(inner.position.map { "\($0)" } ?? "none")")

            let completed = try at(.workflowCompleted)
            #expect(completed.details == .completed)
            #expect(try engine.decode(completed, as: String.self) == "toured")
            #expect(history.allSatisfy { !$0.isCopied })

            // The child's own history: its start names the parent and the parent's position.
            let childStart = try #require(try await engine.history(of: "tour-child").collect().first)
            #expect(childStart.details == .started(parentID: "tour", parentPosition: pos(7)))

            // A failed workflow.
            let probe = Probe()
            _ = await caught { _ = try await engine.start(Failing.self, input: ProbeInput(probe: probe.key, label: "x"), id: "fails").result() }
            let failed = try #require(try await engine.history(of: "fails").collect().last)
            guard case .failed(let workflowFailure) = failed.details else { Issue.record("\(failed.details)"); return }
            #expect(workflowFailure.errorType.hasSuffix("TestFailure") && workflowFailure.message == "failed on purpose: x")

            // A fork: the forked event, then the copied operations (written before `fork` returns; the fork then
            // waits at the receive, whose message went to the original).
            let forkID = try await engine.fork("tour", before: 2, newID: "tour-fork")
            let forkHistory = try await engine.history(of: forkID).collect()
            #expect(forkHistory.map(\.details).contains(.forked(source: "tour", before: 2)))
            #expect(forkHistory.filter(\.isCopied).map(\.name) == ["charge", "declined"])
        }
    }

    @Test("cancel, resume and a park show as typed lifecycle details")
    func lifecycle() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await withTestEngine(workflows: [Waiter.self], directory: directory.path) { engine in
            _ = try await engine.start(Waiter.self, input: 0, id: "cancelled")
            _ = try await engine.start(Waiter.self, input: 0, id: "orphan")
            try await engine.cancel("cancelled")
            try await engine.resume("cancelled")
            let kinds = try await engine.history(of: "cancelled").collect().map(\.details)
            #expect(kinds.contains(.cancelled) && kinds.contains(.resumed))
        }
        // Reopened without the workflow registered: recovery parks what it cannot run.
        try await withTestEngine(workflows: [], directory: directory.path) { engine in
            try await waitForStatus(engine, "orphan", .parked)
            let parked = try #require(try await engine.history(of: "orphan").collect().last)
            guard case .parked(let reason, let message, let attempts) = parked.details else {
                Issue.record("\(parked.details)")
                return
            }
            #expect(reason == .unknownWorkflow)
            #expect(message.contains("not registered"))
            #expect(attempts == nil)
            #expect(engine.summary(of: "orphan")?.parkReason == message)
        }
    }

    @Test("every kind maps to its details; a kind missing a field it always records is a named error", arguments: EventKind.allCases)
    func everyKind(_ kind: EventKind) throws {
        // A summary's payload: an empty result, an empty input, no events; its number is the start time.
        let full = kind == .workflowSummary
            ? Event(kind: kind, workflowID: "w", name: "n", time: 7, number: UInt64(bitPattern: -5), payload: [0, 0, 0])
            : Event(
                kind: kind, workflowID: "w", position: pos(1), name: "n", time: 7, target: "other", deadline: 3_000_000_000,
                number: 9, errorType: "E", payload: Array("message".utf8))
        let details = try HistoryEvent.Details(full, lsn: LSN(5))
        switch (kind, details) {
        case (.workflowStarted, .started(parentID: "other", parentPosition: nil)),
            (.stepCompleted, .stepCompleted), (.stepFailed, .stepFailed(WorkflowFailure(errorType: "E", message: "message"))),
            (.sleepStarted, .sleep(wake: Date(timeIntervalSince1970: 3), duration: .nanoseconds(9))),
            (.retryWaitStarted, .retrying(
                attempt: 9, maxAttempts: nil, nextAttempt: Date(timeIntervalSince1970: 3),
                failure: WorkflowFailure(errorType: "E", message: "message"))),
            (.messageSent, .sent(destination: "other", topic: "n", idempotencyKey: nil)),
            (.messageReceived, .received(topic: "n", messageID: LSN(9))),
            (.receiveStarted, .waiting(deadline: Date(timeIntervalSince1970: 3), timeout: .nanoseconds(9), eventOwner: "other")),
            (.eventSet, .eventSet(key: "n")), (.eventRead, .eventRead(key: "n", owner: "other")),
            (.childStarted, .childStarted(childID: "other", workflowName: "n")),
            (.childWaitStarted, .childWaiting(childID: "other")),
            (.childCompleted, .childCompleted(childID: "other", failure: WorkflowFailure(errorType: "E", message: "message"))),
            (.valueRecorded, .recordedValue(name: "n")), (.patchMarker, .patch(id: "n", deprecated: false)),
            (.workflowCompleted, .completed), (.workflowFailed, .failed(WorkflowFailure(errorType: "E", message: "message"))),
            (.workflowCancelled, .cancelled), (.workflowResumed, .resumed), (.workflowForked, .forked(source: "other", before: 9)),
            (.workflowParked, .parked(reason: .undecodableValue, message: "message", attempts: 9)),
            (.branchStarted, .branch(label: "n")), (.recoveryAttempted, .recoveryAttempted),
            (.recoverySucceeded, .recoverySucceeded), (.engineStopped, .engineStopped),
            (.workflowSummary, .summary(status: .completed, startedAt: Date(nanosecondsSince1970: -5), failure: nil)),
            (.streamWritten, .streamWritten(key: "n")), (.streamClosed, .streamClosed(key: "n")),
            (.workflowEnqueued, .enqueued(
                queue: "n", priority: 9, partitionKey: "other", deduplicationID: nil, notBefore: Date(timeIntervalSince1970: 3))),
            (.workflowDequeued, .dequeued(queue: "n")),

            (.queueDeclared, .queueDeclared(queue: "n")),
            (.scheduleChanged, .scheduleChanged(schedule: "n", removed: false)),
            (.scheduleTicked, .scheduleTicked(schedule: "n", tick: Date(timeIntervalSince1970: 3), workflowID: "other")),
            (.debounceRequested, .debounceRequested(
                key: "other", fireAt: Date(timeIntervalSince1970: 3), latest: Date(nanosecondsSince1970: 9))):
            break
        default:
            Issue.record("\(kind) maps to \(details)")
        }

        // Without its optional fields, a kind that needs one is refused with a named error, never a trap.
        let bare = Event(kind: kind, workflowID: "w", name: "n", time: 7)
        let needsField: Set<EventKind> = [
            .stepFailed, .sleepStarted, .retryWaitStarted, .messageSent, .messageReceived, .eventRead, .childStarted, .childWaitStarted, .childCompleted,
            .workflowFailed, .workflowForked, .workflowSummary, .scheduleTicked, .debounceRequested,
        ]
        if needsField.contains(kind) {
            let error = #expect(throws: WorkflowError.self) { try HistoryEvent.Details(bare, lsn: LSN(5)) }
            #expect(error?.code == .undecodableEvent)
            #expect(error?.message.contains("LSN 5") == true)
        } else {
            #expect(throws: Never.self) { try HistoryEvent.Details(bare, lsn: LSN(5)) }
        }
    }

    @Test("park reasons come from the event's flags")
    func parkReasons() throws {
        let cases: [(Event.Flags, ParkReason)] = [
            (.diverged, .diverged), (.unknownWorkflow, .unknownWorkflow), (.recoveryExhausted, .recoveryExhausted), ([], .undecodableValue),
        ]
        for (flags, reason) in cases {
            let event = Event(kind: .workflowParked, workflowID: "w", name: "n", time: 0, flags: flags, payload: Array("why".utf8))
            #expect(try HistoryEvent.Details(event, lsn: LSN(1)) == .parked(reason: reason, message: "why", attempts: nil))
        }
    }

    @Test("a fork position beyond UInt32 is a named error")
    func forkPositionOutOfRange() {
        let event = Event(kind: .workflowForked, workflowID: "w", name: "n", time: 0, target: "s", number: UInt64(UInt32.max) + 1)
        let error = #expect(throws: WorkflowError.self) { try HistoryEvent.Details(event, lsn: LSN(1)) }
        #expect(error?.code == .undecodableEvent)
    }

    @Test("nanoseconds become Dates at the edges: 0, negative, Int64.min and Int64.max")
    func dates() {
        #expect(Date(nanosecondsSince1970: 0) == Date(timeIntervalSince1970: 0))
        #expect(Date(nanosecondsSince1970: 1_500_000_000) == Date(timeIntervalSince1970: 1.5))
        #expect(Date(nanosecondsSince1970: -1_500_000_000) == Date(timeIntervalSince1970: -1.5))
        #expect(Date(nanosecondsSince1970: -1_000) < Date(timeIntervalSince1970: 0))
        // Int64.max ns is 2262-04-11 23:47:16.854775807 UTC; a Double holds it to within a microsecond.
        let max = Date(nanosecondsSince1970: .max).timeIntervalSince1970
        #expect(abs(max - 9_223_372_036.854_775_807) < 1e-6)
        let min = Date(nanosecondsSince1970: .min).timeIntervalSince1970
        #expect(abs(min + 9_223_372_036.854_775_808) < 1e-6)
        // A recent time keeps microseconds.
        let recent = Date(nanosecondsSince1970: 1_700_000_000_123_456_789).timeIntervalSince1970
        #expect(abs(recent - 1_700_000_000.123_456_789) < 1e-6)
    }

    @Test("nanoseconds become Durations exactly: 0, Int64.max, UInt64.max")
    func durations() {
        #expect(Duration(nanoseconds: 0) == .zero)
        #expect(Duration(nanoseconds: 1) == .nanoseconds(1))
        #expect(Duration(nanoseconds: 90_000_000_000) == .seconds(90))
        #expect(Duration(nanoseconds: UInt64(Int64.max)) == .nanoseconds(Int64.max))
        let most = Duration(nanoseconds: .max)
        #expect(most.components.seconds == 18_446_744_073)
        #expect(most.components.attoseconds == 709_551_615 * 1_000_000_000)
        #expect(most > .nanoseconds(Int64.max))
    }

    @Test("summaries show their Int64 times as Dates")
    func summaryDates() async throws {
        let clock = TestClock(start: Date(timeIntervalSince1970: 1_000))
        try await withTestEngine(workflows: [TourChild.self], clock: clock) { engine in
            _ = try await engine.start(TourChild.self, input: 1, id: "c").result()
            let summary = try #require(engine.summary(of: "c"))
            #expect(summary.startedAt == 1_000_000_000_000)
            #expect(summary.startDate == Date(timeIntervalSince1970: 1_000))
            #expect(summary.updateDate == Date(nanosecondsSince1970: summary.updatedAt))
        }
    }
}
