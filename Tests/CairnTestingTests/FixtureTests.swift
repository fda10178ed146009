import Cairn
import CairnLog
import CairnTesting
import Foundation
import Synchronization
import Testing

/// Records the fixtures under Fixtures/ (only with CAIRN_RECORD_FIXTURES=1) and replays them (always).
@Suite struct FixtureTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CAIRN_RECORD_FIXTURES"] == "1"))
    func recordFixtures() async throws {
        let root = replayFixtures
        try await FixtureRecorder.record(FxSteps.self, input: Order(id: "o-7", amount: 42), id: "steps-1", into: root + "/steps")
        try await FixtureRecorder.record(FxStepFailure.self, input: Order(id: "o-8", amount: 1), id: "step-failure-1", into: root + "/step-failure")
        try await FixtureRecorder.record(FxSleep.self, input: 41, id: "sleep-1", into: root + "/sleep")
        try await FixtureRecorder.record(FxRetry.self, input: 7, id: "retry-1", into: root + "/retry")
        try await FixtureRecorder.record(FxReceive.self, input: "r", id: "receive-1", into: root + "/receive") { engine in
            try await engine.send("approved", to: "receive-1", topic: "approval")
        }
        try await FixtureRecorder.record(FxSend.self, input: "mailbox-1", id: "send-1", into: root + "/send")
        try await FixtureRecorder.record(FxEvents.self, input: "owner-1", id: "events-1", workflows: [FxEventOwner.self], into: root + "/events") { engine in
            _ = try await engine.start(FxEventOwner.self, input: "blue", id: "owner-1").result()
        }
        try await FixtureRecorder.record(FxChild.self, input: 21, id: "child-1", workflows: [FxChildWorker.self], into: root + "/child")
        try await FixtureRecorder.record(FxRecorded.self, input: 1, id: "recorded-1", into: root + "/recorded")
        try await FixtureRecorder.record(FxParallel.self, input: 12, id: "parallel-1", into: root + "/parallel")
        try await FixtureRecorder.record(FxFailure.self, input: 3, id: "failure-1", into: root + "/failure")
        try await FixtureRecorder.record(FxStreams.self, input: "durable streams here", id: "streams-1", into: root + "/streams")
        try await FixtureRecorder.record(VersionedV1.self, input: 5, id: "versioned-1", into: root + "/versioned-v1")
        try await FixtureRecorder.record(Versioned.self, input: 6, id: "versioned-2", into: root + "/versioned-v2")
        // An unfinished history: the workflow waits for a message that never comes.
        let unfinished = root + "/unfinished"
        try? FileManager.default.removeItem(atPath: unfinished)
        try await withTestEngine(workflows: [FxUnfinished.self], directory: unfinished) { engine in
            _ = try await engine.start(FxUnfinished.self, input: 1, id: "unfinished-1")
            try await waitUntil { engine.summary(of: "unfinished-1")?.historyCount == 1 }
        }
        try? FileManager.default.removeItem(atPath: unfinished + "/LOCK")
        // Schedules and debounces: a schedule that ticked once, a paused one, a debounce that fired after two calls
        // and one left pending (`ScheduleTests` rebuilds them from this log).
        let schedules = root + "/schedules"
        try? FileManager.default.removeItem(atPath: schedules)
        let clock = TestClock(start: Date(timeIntervalSince1970: 1_800_000_000), mode: .manual)
        try await withTestEngine(workflows: [FxTick.self, FxSteps.self], clock: clock, directory: schedules) { engine in
            try await engine.setSchedule("every-minute", cron: CronExpression("0 * * * * *"), workflow: FxTick.self)
            try await engine.setSchedule(
                "paused", cron: CronExpression("0 0 9 * * *"), timeZone: TimeZone(identifier: "Europe/Berlin") ?? .gmt,
                workflow: FxSteps.self, input: Order(id: "o-daily", amount: 5), catchUp: .all(max: 3))
            try await engine.pauseSchedule("paused")
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(60))
            try await waitUntil { engine.summary(of: "every-minute@2027-01-15T08:01:00Z") != nil }
            _ = try await engine.handle(for: "every-minute@2027-01-15T08:01:00Z", of: FxTick.self).result()
            let fired = try await engine.debounce(FxSteps.self, key: "order-9", input: Order(id: "o-9", amount: 1), quiet: .seconds(5))
            _ = try await engine.debounce(FxSteps.self, key: "order-9", input: Order(id: "o-9", amount: 2), quiet: .seconds(5))
            clock.advance(by: .seconds(5))
            _ = try await fired.result()
            _ = try await engine.debounce(FxSteps.self, key: "order-10", input: Order(id: "o-10", amount: 3), quiet: .seconds(3600))
        }
        try? FileManager.default.removeItem(atPath: schedules + "/LOCK")
        // The format-compatibility log: several workflows and every event kind, in one log. Written once by
        // format version 1 and never rewritten: later versions must read it as it is.
        let format = packageRoot + "/Fixtures/format-v1"
        guard !FileManager.default.fileExists(atPath: format) else { return }
        try await withTestEngine(workflows: fixtureWorkflows, directory: format) { engine in
            try await engine.send("approved", to: "receive-1", topic: "approval")
            _ = try await engine.start(FxEventOwner.self, input: "blue", id: "owner-1").result()
            _ = try await engine.start(FxSteps.self, input: Order(id: "o-1", amount: 3), id: "steps-1").result()
            _ = try await engine.start(FxReceive.self, input: "r", id: "receive-1").result()
            _ = try await engine.start(FxSend.self, input: "mailbox-1", id: "send-1").result()
            _ = try await engine.start(FxEvents.self, input: "owner-1", id: "events-1").result()
            _ = try await engine.start(FxChild.self, input: 4, id: "child-1").result()
            _ = try await engine.start(FxRecorded.self, input: 1, id: "recorded-1").result()
            _ = try await engine.start(FxParallel.self, input: 4, id: "parallel-1").result()
            _ = try await engine.start(Versioned.self, input: 2, id: "versioned-1").result()
            _ = try await engine.start(FxSleep.self, input: 1, id: "sleep-1").result()
            _ = try? await engine.start(FxFailure.self, input: 1, id: "failure-1").result()
            _ = try? await engine.start(FxStepFailure.self, input: Order(id: "o-2", amount: 1), id: "step-failure-1").result()
            _ = try await engine.start(FxUnfinished.self, input: 1, id: "unfinished-1")
            try await waitUntil { engine.summary(of: "unfinished-1")?.historyCount == 1 }
            try await engine.cancel("unfinished-1")
        }
        try? FileManager.default.removeItem(atPath: format + "/LOCK")
    }

    @Test(arguments: DeterminismMode.allCases)
    func everyFixtureReplaysClean(mode: DeterminismMode) async throws {
        try await Replayer(workflows: fixtureWorkflows, mode: mode).verifyFixtures(in: replayFixtures)
    }

    @Test func fixturesCoverEveryOperationKind() async throws {
        var kinds: Set<EventKind> = []
        for name in try FileManager.default.contentsOfDirectory(atPath: replayFixtures) {
            try LogReader(directory: replayFixtures + "/" + name).scan { record in
                kinds.insert(try #require(EventKind(rawValue: record.tag)))
                return true
            }
        }
        let operations: Set<EventKind> = [
            .stepCompleted, .stepFailed, .sleepStarted, .messageSent, .messageReceived, .receiveStarted, .eventSet,
            .eventRead, .childStarted, .childCompleted, .valueRecorded, .branchStarted, .patchMarker,
            .workflowCompleted, .workflowFailed, .streamWritten, .streamClosed, .retryWaitStarted,
        ]
        #expect(operations.subtracting(kinds).isEmpty, "kinds missing from the fixtures: \(operations.subtracting(kinds))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: replayFixtures).count >= 10)
    }

    /// A history with retry waits replays without running the failed attempts (nor any other): the step's recorded
    /// retries and result are consumed as its one position.
    @Test func retriesReplayWithoutRunningAttempts() async throws {
        let report = try await Replayer(workflows: fixtureWorkflows, mode: .strict).replay(directory: replayFixtures + "/retry")
        let result = try #require(report.results.first)
        #expect(report.isClean, "\(report)")
        #expect(result.operationsReplayed == 2)
        let kinds = try LogReader(directory: replayFixtures + "/retry").entries().map(\.tag)
        #expect(kinds.filter { $0 == EventKind.retryWaitStarted.rawValue }.count == 2)
        #expect(FxRetry.attempts.withLock { $0["retry-1"] } == nil, "replay ran the step's body")
    }

    @Test func unfinishedFixtureReplaysToItsEnd() async throws {
        let report = try await Replayer(workflows: fixtureWorkflows).replay(directory: replayFixtures + "/unfinished")
        let result = try #require(report.results.first)
        #expect(result.recordedStatus == .pending)
        guard case .clean(let reachedEnd) = result.outcome else {
            Issue.record("expected a clean replay, got \(result)")
            return
        }
        #expect(!reachedEnd)
        #expect(result.operationsReplayed == 1)
    }

    /// The v1 history (no fraud check) replays with v2 code thanks to the patch marker; v2 code without the
    /// marker diverges on the same history.
    @Test func patchedCodeReplaysOldHistory() async throws {
        let v1 = replayFixtures + "/versioned-v1"
        try await Replayer(workflows: [Versioned.self]).verify(directory: v1)
        let report = try await Replayer(workflows: [VersionedUnpatched.self]).replay(directory: v1)
        let divergence = try #require(report.divergences.first)
        #expect(divergence.position == Position([0]))
        #expect(divergence.recorded?.name == "charge")
        #expect(divergence.attempted?.name == "fraud-check")
    }

    /// New histories of v2 carry the marker and replay with v2, then with v3 that deprecates the patch.
    @Test func newHistoriesRecordThePatchMarker() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await FixtureRecorder.record(Versioned.self, input: 4, id: "v2", into: directory.path)
        let kinds = try LogReader(directory: directory.path).entries().map(\.tag)
        #expect(kinds.contains(EventKind.patchMarker.rawValue))
        try await Replayer(workflows: [Versioned.self]).verify(directory: directory.path)
        try await Replayer(workflows: [VersionedV3.self]).verify(directory: directory.path)
    }

    /// A log written by this version: every later version must open it and replay it.
    @Test func formatCompatibilityFixtureOpensAndReplays() async throws {
        let source = packageRoot + "/Fixtures/format-v1"
        let copy = TemporaryDirectory()
        defer { copy.remove() }
        try FileManager.default.copyItem(atPath: source, toPath: copy.path)
        let expected = try LogReader(directory: source).entries()
        #expect(expected.count > 50)
        let log = try await Log.open(at: copy.path)
        #expect(log.recovery.recordCount == expected.count)
        #expect(log.recovery.truncatedTail == nil)
        #expect(try await log.entries() == expected)
        try await log.close()
        var kinds: Set<EventKind> = []
        for entry in expected {
            let event = try entry.payload.withUnsafeBytes { try Event(lsn: entry.lsn, tag: entry.tag, bytes: $0) }
            kinds.insert(event.kind)
        }
        #expect(kinds.isSuperset(of: [.workflowStarted, .stepCompleted, .patchMarker, .workflowCancelled, .childStarted]))
        let report = try await Replayer(workflows: fixtureWorkflows).replay(directory: source)
        #expect(report.isClean, "\(report)")
        #expect(report.results.count >= 12)
        // And the engine itself opens it: every workflow's status as recorded.
        let engine = try await WorkflowEngine.open(directory: copy.path, workflows: fixtureWorkflows)
        #expect(engine.summary(of: "steps-1")?.status == .completed)
        #expect(engine.summary(of: "failure-1")?.status == .failed)
        #expect(engine.summary(of: "unfinished-1")?.status == .cancelled)
        // Every recorded history reads as the public view (every kind's fields present as its details need).
        var viewed: Set<EventKind> = []
        for summary in engine.list() {
            let history = try await engine.history(of: summary.id).collect()
            #expect(history.first?.kind == .workflowStarted || history.first?.kind == .messageSent, "\(summary.id)")
            viewed.formUnion(history.map(\.kind))
        }
        #expect(viewed.isSuperset(of: kinds.subtracting([.engineStopped])))
        await engine.shutdown()
    }
}

/// Version 2 of fx-versioned written without a patch marker: breaks old histories.
enum VersionedUnpatched: Workflow {
    static let name = "fx-versioned"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        _ = try await context.step("fraud-check", input: input) { true }
        return try await context.step("charge", input: input) { input * 2 }
    }
}

/// Version 3: every history with the old path is gone, the patch is deprecated.
enum VersionedV3: Workflow {
    static let name = "fx-versioned"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        try await context.deprecatePatch("add-fraud-check")
        _ = try await context.step("fraud-check", input: input) { true }
        return try await context.step("charge", input: input) { input * 2 }
    }
}

/// Polls `condition` until it holds, failing after a generous deadline (no fixed sleeps).
func waitUntil(_ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not reached within 30 s")
            return
        }
        try await Task.sleep(for: .milliseconds(2))
    }
}
