import CairnLog
import CairnTestSupport
import Foundation
import Testing

/// Power loss at every point of a workload, on a simulated disk that keeps only what was synced, tears the last
/// unsynced write at sector granularity and loses unsynced directory entries (see ``SimulatedFileSystem``).
///
/// Each workload runs once on a fresh disk that records every write and sync; then, for every cut point in the
/// trace (all of them in the long mode, `CAIRN_LONG=1`; a few hundred spread over it otherwise), the disk a power
/// loss there would leave is rebuilt, the log reopened on it and checked (``checkRecovered``).
@Suite struct PowerLossTests {
    struct Workload: Sendable, CustomStringConvertible {
        var appenders: Int
        var appendsEach: Int
        var batchEvery: Int
        var recordSize: ClosedRange<Int>
        var preallocationStep: Int
        var compactEvery: Int?
        var description: String {
            "\(appenders) appenders × \(appendsEach), records \(recordSize), zero fill \(preallocationStep), compact every \(compactEvery.map(String.init) ?? "never")"
        }
    }

    /// Records with this tag are the ones the workload's compactions drop.
    static let garbageTag: UInt8 = 0xEE

    /// Runs `workload` on a fresh disk under `.always` and returns the disk (with its trace), the ledger of
    /// acknowledged appends, and every record by LSN.
    static func run(_ workload: Workload, seed: UInt64) async throws -> (SimulatedFileSystem, AppendLedger, [LSN: LogEntry]) {
        let disk = SimulatedFileSystem()
        let ledger = AppendLedger()
        let configuration = LogConfiguration.simulated(disk, preallocationStep: workload.preallocationStep)
        let log = try await Log.open(at: simulatedLogPath, configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for appender in 0..<workload.appenders {
                group.addTask {
                    var rng = SeededGenerator(seed: seed &+ UInt64(appender) &* 7919)
                    for i in 0..<workload.appendsEach {
                        func record() -> LogRecord {
                            let size = Int.random(in: workload.recordSize, using: &rng)
                            var r = randomRecord(size: size, &rng)
                            if r.tag == garbageTag || Int.random(in: 0..<3, using: &rng) == 0 { r.tag = garbageTag }
                            return r
                        }
                        if i % workload.batchEvery == workload.batchEvery - 1 {
                            let records = (0..<Int.random(in: 2...5, using: &rng)).map { _ in record() }
                            let entries = try await log.appendBatch(records)
                            ledger.acknowledged(entries, at: disk.traceLength)
                        } else {
                            let r = record()
                            let lsn = try await log.append(r)
                            ledger.acknowledged([LogEntry(lsn, r)], at: disk.traceLength)
                        }
                        if let every = workload.compactEvery, appender == 0, i % every == every - 1 {
                            _ = try await log.compact { $0.tag != garbageTag }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await log.close()
        return (disk, ledger, ledger.byLSN)
    }

    static func check(_ workload: Workload, seed: UInt64, cuts maximum: Int?) async throws -> Int {
        let (disk, ledger, appended) = try await run(workload, seed: seed)
        let segments = disk.trace.filter { if case .create(_, let name, _) = $0 { name.hasSuffix(".seg.tmp") } else { false } }.count
        let length = disk.traceLength
        let cuts = maximum.map { cutPoints(length, count: $0) } ?? Array(0...length)
        var checked = 0
        await disk.forEachCrash(at: cuts, tear: { _ in .none }) { cut, crashed in
            try? await checkRecovered(
                on: crashed, cut: cut, tear: .none, ledger: ledger, appended: appended,
                droppable: { $0.tag == Self.garbageTag }, configuration: { .simulated($0, preallocationStep: workload.preallocationStep) })
            checked += 1
        }
        // The same cut points again, now with the last unsynced write torn: a seeded subset of its sectors kept.
        let torn = cuts.filter { disk.hasUnsyncedWrite(before: $0) }
        await disk.forEachCrash(at: torn, tear: { .sectors(seed: seed ^ UInt64($0)) }) { cut, crashed in
            try? await checkRecovered(
                on: crashed, cut: cut, tear: .sectors(seed: seed ^ UInt64(cut)), ledger: ledger, appended: appended,
                droppable: { $0.tag == Self.garbageTag }, configuration: { .simulated($0, preallocationStep: workload.preallocationStep) })
            checked += 1
        }
        print("power loss: \(workload), seed \(seed): \(length) events, \(segments) segments created, \(checked) crash states checked (\(cuts.count) cut points, \(torn.count) with a torn write)")
        #expect(segments >= 2, "the workload rolled segments")
        return checked
    }

    static let seeds: [UInt64] = isLongRun ? [1, 2, 3, 4, 5, 6, 7, 8] : [1]

    /// Concurrent appenders, single and batched appends, segment rolls, a zero fill smaller than a segment (so
    /// pre-allocation happens mid-segment too).
    @Test func appendsAndRolls() async throws {
        let workload = Workload(
            appenders: 4, appendsEach: isLongRun ? 120 : 30, batchEvery: 5, recordSize: 100...2_500,
            preallocationStep: 8 << 10, compactEvery: nil)
        for seed in Self.seeds {
            _ = try await Self.check(workload, seed: seed, cuts: isLongRun ? nil : 200)
        }
    }

    /// The same with compactions that drop a third of the records running while the appends go on.
    @Test func appendsRollsAndCompactions() async throws {
        let workload = Workload(
            appenders: 3, appendsEach: isLongRun ? 150 : 45, batchEvery: 4, recordSize: 200...2_500,
            preallocationStep: 16 << 10, compactEvery: isLongRun ? 40 : 15)
        for seed in Self.seeds {
            _ = try await Self.check(workload, seed: seed, cuts: isLongRun ? nil : 200)
        }
    }

    /// Without pre-allocation every commit extends the file: its size must be durable with the data.
    @Test func appendsWithoutZeroFill() async throws {
        let workload = Workload(
            appenders: 2, appendsEach: isLongRun ? 150 : 40, batchEvery: 3, recordSize: 500...3_000,
            preallocationStep: 0, compactEvery: nil)
        for seed in Self.seeds {
            _ = try await Self.check(workload, seed: seed, cuts: isLongRun ? nil : 120)
        }
    }

    /// A process crash at a cut point (the page cache survives), a restart that appends more, then a power loss:
    /// what either life acknowledged must survive. Catches a restart that trusts what the dead process wrote but
    /// never made durable (a segment whose directory entry was not synced yet, pages of a failed sync).
    @Test func processCrashRestartThenPowerLoss() async throws {
        let workload = Workload(
            appenders: 3, appendsEach: isLongRun ? 100 : 30, batchEvery: 4, recordSize: 200...2_500,
            preallocationStep: 8 << 10, compactEvery: isLongRun ? 30 : 12)
        var checked = 0
        for seed in Self.seeds {
            let (disk, ledger, appended) = try await Self.run(workload, seed: seed)
            let length = disk.traceLength
            for cut in isLongRun ? Array(0...length) : cutPoints(length, count: 100) {
                let restarted = disk.restart(after: cut)
                let configuration = LogConfiguration.simulated(restarted, preallocationStep: workload.preallocationStep)
                let log = try await Log.open(at: simulatedLogPath, configuration: configuration)
                let before = try await log.entries()
                var second: [LogEntry] = []
                for i in 0..<3 {
                    let record = LogRecord(tag: 9, payload: Array("second life \(i) after \(cut)".utf8))
                    second.append(LogEntry(try await log.append(record), record))
                }
                try await log.close()
                var all = appended
                for entry in second { all[entry.lsn] = entry }
                let lives = AppendLedger()
                for append in ledger.appends where append.acknowledgedAt <= cut { lives.acknowledged(append.entries, at: 0) }
                lives.acknowledged(second, at: 0)
                // Whatever the restart saw it may have built on: those records count as acknowledged too.
                lives.acknowledged(before.filter { $0.tag != Self.garbageTag }, at: 0)
                try await checkRecovered(
                    on: restarted.crash(), cut: cut, tear: .none, ledger: lives, appended: all,
                    droppable: { $0.tag == Self.garbageTag },
                    configuration: { .simulated($0, preallocationStep: workload.preallocationStep) })
                checked += 1
            }
        }
        print("process crash, restart, power loss: \(checked) crash states checked")
    }

    /// The simulation itself: what is synced survives, what is not is lost, and a tear keeps whole sectors only.
    @Test func simulatedDiskKeepsOnlyWhatWasSynced() throws {
        let disk = SimulatedFileSystem()
        try disk.makeDirectory("/d", mode: 0o700)
        let dir = try disk.open("/", flags: O_RDONLY | O_DIRECTORY, mode: 0)
        try disk.sync(dir)
        let fd = try disk.open("/d/f", flags: O_RDWR | O_CREAT, mode: 0o600)
        let synced = [UInt8](repeating: 1, count: 1000)
        _ = synced.withUnsafeBytes { try? disk.write(fd, $0, at: 0) }
        try disk.syncData(fd)
        let cutAfterSync = disk.traceLength
        let unsynced = [UInt8](repeating: 2, count: 1500)
        _ = unsynced.withUnsafeBytes { try? disk.write(fd, $0, at: 600) }

        // The file's entry was never synced into /d: a power loss loses the file, however much of it was synced.
        #expect(disk.crash().contents(of: "/d/f") == nil)
        let ddir = try disk.open("/d", flags: O_RDONLY | O_DIRECTORY, mode: 0)
        try disk.sync(ddir)
        #expect(disk.crash().contents(of: "/d/f") == synced)
        #expect(disk.crash(after: cutAfterSync).contents(of: "/d/f") == nil, "the entry was synced after the cut")
        let all = disk.crash(tear: .all).contents(of: "/d/f")
        #expect(all == Array(synced.prefix(600)) + unsynced)
        for seed in UInt64(1)...20 {
            let torn = try #require(disk.crash(tear: .sectors(seed: seed)).contents(of: "/d/f"))
            // Sector by sector (512-byte aligned in the file), each is all old or all new.
            #expect(torn.count >= 1000)
            for sector in 0..<5 {
                let range = (sector * 512)..<min((sector + 1) * 512, 2100)
                let now = range.map { $0 < torn.count ? torn[$0] : nil } as [UInt8?]
                let new = range.map { $0 < 600 ? 1 : 2 } as [UInt8?]
                let old = range.allSatisfy { i in i < 1000 ? torn[i] == 1 : (i >= torn.count || torn[i] == 0) }
                #expect(now == new || old, "sector \(sector), seed \(seed): all old or all new")
            }
        }
        // A failed sync loses the writes for good: reads still see them, a later sync does not make them durable.
        disk.failCall(.syncData, number: disk.callCounts[.syncData, default: 0] + 1, with: .fail(EIO))
        #expect(throws: Errno(EIO)) { try disk.syncData(fd) }
        try disk.syncData(fd)
        #expect(disk.contents(of: "/d/f") == all)
        #expect(disk.crash().contents(of: "/d/f")?.prefix(1000) == synced.prefix(1000))
        #expect(disk.crash().contents(of: "/d/f")?.count == 2100, "the size became durable with the later sync")
    }
}
