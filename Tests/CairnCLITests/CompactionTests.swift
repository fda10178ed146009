import Cairn
import CairnLog
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `cairn compact` and `WorkflowEngine.compact(policy:)`: what stays, what goes, and that a rebuilt projection
/// and the workflows themselves cannot tell the difference for everything retained.
@Suite struct CompactionTests {
    /// Expects every workflow of `before` to be in `after` with an equal state, except `dropped` (absent).
    func expectRetained(
        _ before: [String: LogProjection.WorkflowState], _ after: [String: LogProjection.WorkflowState],
        dropped: Set<String>, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for (id, state) in before {
            if dropped.contains(id) {
                #expect(after[id] == nil, "\(id) should be dropped", sourceLocation: sourceLocation)
            } else {
                #expect(after[id] == state, "\(id): before \(state), after \(String(describing: after[id]))", sourceLocation: sourceLocation)
            }
        }
        #expect(Set(after.keys).isSubset(of: Set(before.keys)), sourceLocation: sourceLocation)
    }

    /// Everything a restarted engine says about the recorded workflows, and that the unfinished ones still finish.
    func expectEngineWorks(_ log: RecordedLog, dropped: Set<String>) async throws {
        let running = try await RunningEngine.open(log.directory)
        let engine = running.engine
        for (id, result) in log.completed where !dropped.contains(id) {
            #expect(try await engine.handle(for: id, of: Greet.self).result() == result)
        }
        for (id, result) in log.parents {
            #expect(try await engine.handle(for: id, of: Parent.self).result() == result)
        }
        for id in log.failed where !dropped.contains(id) {
            await #expect(throws: WorkflowFailure.self) { try await engine.handle(for: id, of: Fails.self).result() }
        }
        for id in dropped { #expect(engine.summary(of: id) == nil) }
        // Idempotent start of a retained workflow: its handle, no new run.
        if let (id, result) = log.completed.first(where: { !dropped.contains($0.key) }) {
            #expect(try await engine.start(Greet.self, input: "again", id: id).result() == result)
        }
        // Unfinished workflows resume and finish with the results they would have had.
        for id in log.waiting { try await engine.send("go", to: id, topic: "go") }
        for (i, id) in log.waiting.enumerated() {
            #expect(try await engine.handle(for: id, of: Waits.self).result() == "w\(i):go")
        }
        // The message sent before its workflow existed is still delivered.
        #expect(try await engine.start(Waits.self, input: "late", id: "not-yet").result() == "late:early")
        try await running.stop()
    }

    @Test func compactKeepsRetainedWorkflowsIdenticalAndDropsTheRest() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let before = try projectionStates(log.directory)
        let bytesBefore = try segmentFiles(log.directory).reduce(0) { $0 + fileSize($1) }
        let dropped = Set(log.completed.keys.filter { $0.hasPrefix("old-") })

        let dry = try #require(try cairn(["compact", log.directory, "--keep-finished", "7d", "--dry-run", "--json"]).json() as? [String: Any])
        #expect(dry["dryRun"] as? Bool == true)
        #expect(Set((dry["droppedWorkflows"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }) == dropped)
        #expect(try projectionStates(log.directory) == before, "a dry run changes nothing")
        let dryTable = try cairn(["compact", log.directory, "--keep-finished", "7d", "--dry-run"])
        #expect(dryTable.stdout.contains("dry run"))
        #expect(dryTable.stdout.contains("old-"))

        let result = try cairn(["compact", log.directory, "--keep-finished", "7d", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try result.json() as? [String: Any])
        #expect(report["dropped"] as? Int == dropped.count)
        #expect((report["summariesToWrite"] as? Int ?? 0) > 0)
        #expect((report["bytesAfter"] as? Int ?? .max) < (report["bytesBefore"] as? Int ?? 0))
        let bytesAfter = try segmentFiles(log.directory).reduce(0) { $0 + fileSize($1) }
        #expect(bytesAfter < bytesBefore)

        let after = try projectionStates(log.directory)
        expectRetained(before, after, dropped: dropped)
        let verify = try cairn(["verify", log.directory])
        #expect(verify.status == 0, "\(verify.stdout)")
        // A finished, summarized workflow shows its summary.
        let show = try #require(try cairn(["show", log.directory, "greet-5", "--json"]).json() as? [String: Any])
        #expect((show["workflow"] as? [String: Any])?["output"] as? String == log.completed["greet-5"])

        // Compacting again changes nothing visible.
        #expect(try cairn(["compact", log.directory, "--keep-finished", "7d"]).status == 0)
        expectRetained(before, try projectionStates(log.directory), dropped: dropped)
        try await expectEngineWorks(log, dropped: dropped)
    }

    @Test func keepLastKeepsTheMostRecentlyFinished() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let before = try projectionStates(log.directory)
        let result = try cairn(["compact", log.directory, "--keep-last", "10", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let after = try projectionStates(log.directory)
        let finishedAfter = after.values.filter { $0.summary.status.isFinished }
        let finishedBefore = before.values.filter { $0.summary.status.isFinished }.sorted { ($0.summary.updatedAt, $0.summary.id) > ($1.summary.updatedAt, $1.summary.id) }
        // The ten most recent survive; so does every workflow whose records are not all sealed yet, and children
        // of unfinished parents (none here).
        for state in finishedBefore.prefix(10) { #expect(after[state.summary.id] == state) }
        #expect(finishedAfter.count >= 10)
        #expect(finishedAfter.count < finishedBefore.count)
        let dropped = Set(before.keys).subtracting(after.keys)
        expectRetained(before, after, dropped: dropped)
        for id in log.waiting { #expect(after[id] == before[id]) }
    }

    @Test func summarizingWithoutRetentionDropsNothing() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let before = try projectionStates(log.directory)
        let result = try cairn(["compact", log.directory])
        #expect(result.status == 0, "\(result.stderr)")
        expectRetained(before, try projectionStates(log.directory), dropped: [])
        try await expectEngineWorks(log, dropped: [])
    }

    @Test func runningEngineCompactsThroughItsAPI() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let before = try projectionStates(log.directory)
        let dropped = Set(log.completed.keys.filter { $0.hasPrefix("old-") })
        let running = try await RunningEngine.open(log.directory)
        let plan = try await running.engine.compactionPlan(policy: CompactionPolicy(keepFinished: .seconds(7 * 86_400)))
        #expect(Set(plan.dropped.map(\.id)) == dropped)
        // The CLI refuses while the engine holds the lock.
        expectOneLineError(try cairn(["compact", log.directory]), status: 6, containing: "locked")
        let report = try await running.engine.compact(policy: CompactionPolicy(keepFinished: .seconds(7 * 86_400)))
        #expect(Set(report.plan.dropped.map(\.id)) == dropped)
        #expect(report.bytesAfter < report.bytesBefore)
        // In memory too: dropped workflows are forgotten, retained ones answer as before.
        for id in dropped { #expect(running.engine.summary(of: id) == nil) }
        #expect(try await running.engine.handle(for: "greet-7", of: Greet.self).result() == log.completed["greet-7"])
        try await running.stop()
        var after = try projectionStates(log.directory)
        // Reopening recorded a recovery attempt for the unfinished workflows, and stopping cleared it.
        for id in log.waiting { after[id]?.history.removeAll { $0.event?.kind == .recoveryAttempted } }
        let comparable = before.filter { !log.waiting.contains($0.key) }
        expectRetained(comparable, after.filter { !log.waiting.contains($0.key) }, dropped: dropped)
        for id in log.waiting { #expect(after[id]?.summary.status == .pending) }
        try await expectEngineWorks(log, dropped: dropped)
    }

    @Test func scheduledCompactionRuns() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let running = try await RunningEngine.open(log.directory)
        let service = CompactionService(
            engine: running.engine, policy: CompactionPolicy(keepFinished: .seconds(7 * 86_400)), every: .milliseconds(20))
        let task = Task { try await service.run() }
        let deadline = ContinuousClock.now + .seconds(20)
        while running.engine.summary(of: "old-0") != nil && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        try await task.value
        #expect(running.engine.summary(of: "old-0") == nil)
        try await running.stop()
    }

    /// `cairn compact` stopped as a crash would after each durable step, then the log reopened: the same state
    /// for every retained workflow; the dropped ones either all still there or all gone; a second run finishes.
    @Test(arguments: ["appendedSummaries", "wroteOutput", "syncedOutput", "renamedOutput", "syncedDirectory", "removedFirstInput", "removedInputs"])
    func interruptedAtEachStep(_ step: String) async throws {
        let log = try await Fixture.copy("interrupted-\(step)")
        defer { removeDirectory(log.directory) }
        let before = try projectionStates(log.directory)
        let dropped = Set(log.completed.keys.filter { $0.hasPrefix("old-") })
        let crashed = try cairn(["compact", log.directory, "--keep-finished", "7d", "--crash-after", step])
        #expect(crashed.status == 70, "\(crashed.stderr)")
        try expectConsistent(log, before: before, dropped: dropped)
        #expect(try cairn(["compact", log.directory, "--keep-finished", "7d"]).status == 0)
        expectRetained(before, try projectionStates(log.directory), dropped: dropped)
        #expect(try cairn(["verify", log.directory]).status == 0)
    }

    /// A compaction killed with SIGKILL at random moments.
    @Test func killedAtRandomPoints() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let before = try projectionStates(log.directory)
        let dropped = Set(log.completed.keys.filter { $0.hasPrefix("old-") })
        var finished = false
        for attempt in 0..<8 where !finished {
            let process = Process()
            process.executableURL = cairnBinary
            process.arguments = ["compact", log.directory, "--keep-finished", "7d", "--quiet"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 0...UInt32(2_000 + attempt * 15_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            finished = process.terminationReason == .exit
            try expectConsistent(log, before: before, dropped: dropped)
        }
        #expect(try cairn(["compact", log.directory, "--keep-finished", "7d"]).status == 0)
        expectRetained(before, try projectionStates(log.directory), dropped: dropped)
        try await expectEngineWorks(log, dropped: dropped)
    }

    /// After a crash: reading (as the next open will) gives the retained workflows unchanged, and the dropped ones
    /// all or nothing.
    func expectConsistent(_ log: RecordedLog, before: [String: LogProjection.WorkflowState], dropped: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) throws {
        // A kill in the middle of a write may leave a torn tail (which the next open cuts): nothing else.
        let verify = try cairn(["verify", log.directory, "--json"])
        let problems = (try verify.json() as? [String: Any])?["problems"] as? [[String: Any]] ?? []
        #expect(problems.allSatisfy { $0["repairable"] as? Bool == true }, "\(verify.stdout)", sourceLocation: sourceLocation)
        let after = try projectionStates(log.directory)
        let present = dropped.filter { after[$0] != nil }
        #expect(present.isEmpty || present == dropped, "dropped workflows half gone: \(present.count)", sourceLocation: sourceLocation)
        expectRetained(before, after, dropped: dropped.subtracting(present), sourceLocation: sourceLocation)
        // The open that recovers it (and removes leftovers) sees the same.
        let opened = try Log.openBlocking(at: log.directory)
        opened._abandon()
        #expect(try projectionStates(log.directory) == after, sourceLocation: sourceLocation)
    }
}
