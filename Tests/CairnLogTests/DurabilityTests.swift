import CairnLog
import CairnTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Failures the tests arm and the writer's fault hook fires.
final class FaultPlan: Sendable {
    struct State {
        /// errno for the next sync of a segment, fired once.
        var failNextSync: Int32?
        /// errno for writes of this kind, fired once unless `sticky`.
        var failWrite: (kind: LogFaults.Write, errno: Int32, sticky: Bool)?
        var fired: [String] = []
        /// Every sync the writer asked for, failed or not.
        var syncs = 0
        /// Every write the writer made, of any kind, failed or not.
        var writes = 0
        /// How many of `writes` the last successful sync followed: the writer is one thread, so it covers them.
        var writesSynced = 0
    }

    let state = Locked(State())

    var faults: LogFaults {
        LogFaults(
            beforeWrite: { [state] path, what in
                state.withLock { s in
                    s.writes += 1
                    guard let plan = s.failWrite, plan.kind == what else { return nil }
                    if !plan.sticky { s.failWrite = nil }
                    s.fired.append("write \(what) \(path)")
                    return plan.errno
                }
            },
            beforeSync: { [state] path in
                state.withLock { s in
                    s.syncs += 1
                    guard let code = s.failNextSync else {
                        s.writesSynced = s.writes
                        return nil
                    }
                    s.failNextSync = nil
                    s.fired.append("sync \(path)")
                    return code
                }
            })
    }

    var fired: [String] { state.value.fired }
    var syncs: Int { state.value.syncs }
    var writes: Int { state.value.writes }
    var writesSynced: Int { state.value.writesSynced }
}

@Suite struct DurabilityTests {
    static func configuration(_ plan: FaultPlan, durability: LogConfiguration.Durability, preallocationStep: Int = 4 << 20) -> LogConfiguration {
        var configuration = LogConfiguration.small(durability: durability, preallocationStep: preallocationStep)
        configuration._faults = plan.faults
        return configuration
    }

    static func record(_ i: Int) -> LogRecord { LogRecord(tag: UInt8(truncatingIfNeeded: i), payload: Array("durable record \(i)".utf8)) }

    /// Checks that after a refused append nothing more is acknowledged, whatever form the append takes.
    static func expectPoisoned(_ log: Log, by failure: LogError) async throws {
        let before = log.lastLSN
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask {
                    let error = await expectLogError(.poisoned) {
                        i.isMultiple(of: 4) ? try await log.append(contentsOf: [record(i), record(i + 1)]).upperBound : try await log.append(record(i))
                    }
                    #expect(error?.message.contains("open the directory again") == true, "\(String(describing: error))")
                    #expect(error?.errno == failure.errno)
                }
            }
            try await group.waitForAll()
        }
        #expect(log.lastLSN == before, "nothing more acknowledged")
    }

    /// What each durability policy syncs, seen through the writer's fault hook (no zero fill, one segment).
    @Test func durabilityPolicies() async throws {
        let plan = FaultPlan()
        let dir = temporaryPath("policies")
        defer { removeTree(dir) }

        // always: every acknowledged append was synced first.
        var log = try await Log.open(at: dir, configuration: Self.configuration(plan, durability: .always, preallocationStep: 0))
        for i in 0..<10 {
            let before = plan.syncs
            _ = try await log.append(Self.record(i))
            #expect(plan.syncs == before + 1, "append \(i) was acknowledged after exactly one sync")
        }
        try await log.close()
        #expect(plan.syncs == 10, "nothing left to sync at close")

        // never: no sync for appends; one when the log closes.
        log = try await Log.open(at: dir, configuration: Self.configuration(plan, durability: .never, preallocationStep: 0))
        _ = try await log.appendEach((10..<30).map(Self.record))
        #expect(plan.syncs == 10)
        try await log.close()
        #expect(plan.syncs == 11)

        // interval: an append is acknowledged without waiting for a sync; the writer syncs once the interval has
        // passed — during that append if it already has, else on its own, with no other append to wake it.
        log = try await Log.open(at: dir, configuration: Self.configuration(plan, durability: .interval(milliseconds: 5), preallocationStep: 0))
        _ = try await log.append(Self.record(30))
        #expect(await poll(seconds: 10) { plan.syncs == 12 }, "the idle writer synced within the interval")
        try await log.close()
        #expect(plan.syncs == 12, "nothing left to sync at close")
        #expect(try readAll(dir).count == 31)
    }

    /// A failed `fdatasync` poisons the log: the failing append throws, every later one is refused even though
    /// the next sync would succeed, and a reopen recovers every record acknowledged before.
    @Test(arguments: [0, 4 << 20])
    func failedSyncPoisonsTheLog(preallocationStep: Int) async throws {
        let dir = temporaryPath("fsyncgate")
        defer { removeTree(dir) }
        let plan = FaultPlan()
        let log = try await Log.open(at: dir, configuration: Self.configuration(plan, durability: .always, preallocationStep: preallocationStep))
        let acknowledged = try await log.appendEach((0..<30).map(Self.record))

        plan.state.withLock { $0.failNextSync = EIO }
        let failed = Self.record(1000)
        let failure = await expectLogError(.ioFailed) { try await log.append(failed) }
        #expect(failure?.errno == EIO)
        #expect(failure?.path?.hasSuffix(".seg") == true)
        #expect(plan.fired.count == 1)
        try await Self.expectPoisoned(log, by: try #require(failure))
        try await log.close()

        let reopened = try await Log.open(at: dir, configuration: .small())
        let entries = try await reopened.entries()
        // The failed record's bytes were written before the sync failed: whether they count is unknown, so it
        // may be there — but only it, after everything acknowledged.
        #expect(entries == acknowledged || entries == acknowledged + [LogEntry(acknowledged.last!.lsn.next, failed)])
        let next = try await reopened.append(Self.record(2000))
        #expect(next == LSN(UInt64(entries.count + 1)))
        try await reopened.close()
    }

    /// Under `interval` durability the failing sync is the writer's own, after the appends were acknowledged: it
    /// poisons the log all the same.
    @Test func failedIntervalSyncPoisonsTheLog() async throws {
        let dir = temporaryPath("intervalsync")
        defer { removeTree(dir) }
        let plan = FaultPlan()
        let log = try await Log.open(at: dir, configuration: Self.configuration(plan, durability: .interval(milliseconds: 2), preallocationStep: 0))
        var acknowledged = try await log.appendEach((0..<10).map(Self.record))
        // Acknowledged is not yet synced under `interval`: wait until a successful sync has followed their writes
        // (it may have already), so that the failing sync is a later one and the ten are durable whatever the
        // scheduling.
        let written = plan.writes
        #expect(await poll(seconds: 10) { plan.writesSynced >= written }, "the writer synced the ten within the interval")
        plan.state.withLock { $0.failNextSync = EIO }
        // The append that the failing sync follows may be acknowledged (the sync comes later) or refused.
        if let lsn = try? await log.append(Self.record(10)) { acknowledged.append(LogEntry(lsn, Self.record(10))) }
        #expect(await poll(seconds: 10) { !plan.fired.isEmpty }, "the writer synced within the interval")
        try await Self.expectPoisoned(log, by: LogError(.ioFailed, "", errno: EIO))
        try await log.close()
        #expect(try readAll(dir).prefix(acknowledged.count) == acknowledged[...])
    }

    /// A full disk refuses the write with `.diskFull`; the batch is not written, the log is poisoned, and a reopen
    /// finds exactly what was acknowledged.
    @Test(arguments: [LogConfiguration.Durability.always, .never])
    func diskFullOnWrite(durability: LogConfiguration.Durability) async throws {
        let dir = temporaryPath("enospc")
        defer { removeTree(dir) }
        let plan = FaultPlan()
        let log = try await Log.open(at: dir, configuration: Self.configuration(plan, durability: durability))
        let acknowledged = try await log.appendEach((0..<25).map(Self.record))
        plan.state.withLock { $0.failWrite = (.frames, ENOSPC, false) }
        let failure = await expectLogError(.diskFull) { try await log.append(contentsOf: [Self.record(100), Self.record(101)]) }
        #expect(failure?.errno == ENOSPC)
        #expect(failure?.message.contains("disk is full") == true)
        try await Self.expectPoisoned(log, by: try #require(failure))
        try await log.close()
        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(reopened.recovery.truncatedTail == nil)
        #expect(try await reopened.entries() == acknowledged)
        try await reopened.close()
    }

    /// No room for the zero fill is not an error: the writer carries on without pre-allocating.
    @Test func diskFullWhilePreallocatingIsNotAnError() async throws {
        let dir = temporaryPath("enospc-fill")
        defer { removeTree(dir) }
        let plan = FaultPlan()
        plan.state.withLock { $0.failWrite = (.zeroFill, ENOSPC, true) }
        let log = try await Log.open(at: dir, configuration: Self.configuration(plan, durability: .always))
        var rng = SeededGenerator(seed: 9)
        var acknowledged: [LogEntry] = []
        while try segmentNames(dir).count < 3 {
            acknowledged += try await log.appendEach([randomRecord(size: 1500, &rng)])
        }
        #expect(plan.fired.count >= 3, "the fill was attempted at open, after appends and after rolls")
        try await log.close()
        let maps = try segmentMaps(dir)
        #expect(maps.last!.fileSize == maps.last!.dataEnd, "no zero fill was left behind")
        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(try await reopened.entries() == acknowledged)
        try await reopened.close()
    }

    /// A failure while sealing a full segment (its fsync) or creating the next (no room for its header) poisons
    /// the log; the reopen removes the half-made segment and keeps everything acknowledged.
    @Test(arguments: ["seal", "header"])
    func failureDuringASegmentRoll(step: String) async throws {
        let dir = temporaryPath("rollfail")
        defer { removeTree(dir) }
        let plan = FaultPlan()
        // No per-commit syncs and no zero fill: the only syncs are the roll's.
        let log = try await Log.open(at: dir, configuration: Self.configuration(plan, durability: .never, preallocationStep: 0))
        var rng = SeededGenerator(seed: 10)
        var acknowledged: [LogEntry] = []
        while try segmentNames(dir).count < 2 { acknowledged += try await log.appendEach([randomRecord(size: 1500, &rng)]) }
        // The first segment was synced when it was sealed; nothing since has been.
        let synced = try segmentMap(dir + "/" + (try segmentNames(dir)[0])).entries
        plan.state.withLock {
            if step == "seal" { $0.failNextSync = EIO } else { $0.failWrite = (.segmentHeader, ENOSPC, false) }
        }
        var failure: LogError?
        while failure == nil {
            let record = randomRecord(size: 1500, &rng)
            do { acknowledged.append(LogEntry(try await log.append(record), record)) } catch let error as LogError { failure = error }
        }
        #expect(failure?.code == (step == "seal" ? .ioFailed : .diskFull))
        #expect(plan.fired.count == 1)
        try await Self.expectPoisoned(log, by: try #require(failure))
        try await log.close()

        let reopened = try await Log.open(at: dir, configuration: .small())
        if step == "seal" {
            // After a failed sync nothing written since the last successful one is trusted, not even in this
            // boot: under `never` that is everything after the first segment.
            #expect(reopened.recovery.cutAfterFailedSync != nil, "\(reopened.recovery)")
            #expect(try await reopened.entries() == synced)
            acknowledged = synced
        } else {
            #expect(try await reopened.entries() == acknowledged)
        }
        if step == "header" {
            #expect(reopened.recovery.removedTemporaryFiles == [LogDirectory.segmentName(base: acknowledged.last!.lsn.next) + ".tmp"])
        }
        #expect(try await reopened.append(Self.record(1)) == acknowledged.last!.lsn.next)
        try await reopened.close()
    }
}
