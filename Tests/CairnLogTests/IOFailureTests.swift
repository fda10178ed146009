import CairnLog
import CairnTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fail the Nth I/O call: for every kind of call the log makes and every N (spread over the range in CI; all of
/// them with `CAIRN_LONG=1`), run a workload — open, appends, a batch, segment rolls, a compaction, close — on a
/// simulated disk where that one call fails with `EIO` or `ENOSPC`, is interrupted (`EINTR`) or does only part of
/// its work. Then:
/// - every error is a ``LogError`` (never a crash, never another type), naming the injected `errno`;
/// - `EINTR` and short reads and writes are retried: the workload succeeds as if nothing happened;
/// - after a power loss ("reboot": only what was synced survives) the log opens, every acknowledged record is
///   there with its bytes, nothing is there that was not appended, and new appends get LSNs above all of them.
@Suite struct IOFailureTests {
    static let garbageTag: UInt8 = 0xEE

    /// What a workload did: the acknowledged appends, the records whose append failed, the errors.
    struct Outcome {
        var acknowledged: [LSN: LogEntry] = [:]
        var failed: [LogRecord] = []
        var errors: [any Error] = []
        var opened = false
    }

    static func records(_ count: Int, seed: UInt64) -> [LogRecord] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            // Incompressible, so that the workload fills three segments.
            let payload = randomBytes(Int.random(in: 1_500...3_000, using: &rng), &rng)
            return LogRecord(tag: i % 3 == 0 ? garbageTag : UInt8(i % 200), payload: payload)
        }
    }

    static let workloadRecords = records(90, seed: 42)

    /// One appender, so the calls come in the same order every run and "the Nth call" is the same call. Appends
    /// enough for three segments, a batch, compacts the two sealed ones (rename, unlinks), appends on, closes; then
    /// reopens (recovery reads every frame), appends and closes again.
    static func workload(on disk: SimulatedFileSystem, sameBootReopen: Bool = true) async -> Outcome {
        var outcome = Outcome()
        let records = workloadRecords
        var log: Log?
        func open() async {
            do {
                log = try await Log.open(at: simulatedLogPath, configuration: .simulated(disk))
                outcome.opened = true
            } catch {
                log = nil
                outcome.errors.append(error)
            }
        }
        func append(_ batch: ArraySlice<LogRecord>) async {
            guard let log else { return }
            do {
                let lsns = try await log.append(contentsOf: Array(batch))
                for (lsn, record) in zip(lsns.lowerBound.rawValue...lsns.upperBound.rawValue, batch) {
                    outcome.acknowledged[LSN(lsn)] = LogEntry(LSN(lsn), record)
                }
            } catch {
                outcome.errors.append(error)
                outcome.failed += batch
            }
        }
        func close() async {
            do { try await log?.close() } catch { outcome.errors.append(error) }
        }
        await open()
        for i in 0..<66 { await append(records[i...i]) }
        await append(records[66..<72])
        do { _ = try await log?.compact { $0.tag != garbageTag } } catch { outcome.errors.append(error) }
        for i in 72..<84 { await append(records[i...i]) }
        await close()
        guard log != nil, sameBootReopen else { return outcome }
        await open()
        do { _ = try await log?.entries() } catch { outcome.errors.append(error) }
        for i in 84..<90 { await append(records[i...i]) }
        await close()
        return outcome
    }

    /// Reopens the log on `disk` and checks it against what the workload acknowledged (see the suite's comment).
    static func checkAfterReboot(_ disk: SimulatedFileSystem, _ outcome: Outcome, _ context: String) async {
        let log: Log
        do {
            log = try await Log.open(at: simulatedLogPath, configuration: .simulated(disk))
        } catch {
            Issue.record("\(context): the log did not open after the reboot: \(error)")
            return
        }
        do {
            let entries = try await log.entries()
            var previous: LSN?
            for entry in entries {
                if let previous, entry.lsn <= previous { Issue.record("\(context): LSN \(entry.lsn) follows \(previous)") }
                previous = entry.lsn
                if let acknowledged = outcome.acknowledged[entry.lsn] {
                    if acknowledged != entry { Issue.record("\(context): LSN \(entry.lsn) has other bytes than acknowledged") }
                } else if !outcome.failed.contains(where: { $0.tag == entry.tag && $0.payload == entry.payload }) {
                    Issue.record("\(context): LSN \(entry.lsn) holds a record nobody appended")
                }
            }
            let present = Set(entries.map(\.lsn))
            for (lsn, entry) in outcome.acknowledged where !present.contains(lsn) && entry.tag != garbageTag {
                Issue.record("\(context): acknowledged LSN \(lsn) was lost")
            }
            let floor = max(outcome.acknowledged.keys.max() ?? LSN(0), entries.last?.lsn ?? LSN(0))
            let next = try await log.append(LogRecord(tag: 1, payload: [1, 2, 3]))
            if next <= floor { Issue.record("\(context): a new append got LSN \(next), not above \(floor)") }
            try await log.close()
        } catch {
            Issue.record("\(context): the rebooted log failed: \(error)")
        }
    }

    static func injections(for call: SimulatedFileSystem.Call) -> [SimulatedFileSystem.Injection] {
        call == .read || call == .write ? [.fail(EIO), .fail(ENOSPC), .interrupt, .short] : [.fail(EIO), .fail(ENOSPC), .interrupt]
    }

    /// The Ns to try: all in the long mode; else the first, the last and a few between.
    static func numbers(_ count: Int, sample: Int) -> [Int] {
        guard count > 0 else { return [] }
        if isLongRun || count <= sample { return Array(1...count) }
        return Array(Set((0..<sample).map { 1 + $0 * (count - 1) / (sample - 1) })).sorted()
    }

    /// Runs the workload with the Nth call of `call` faulty, for every N (or a spread), checks the errors and, after
    /// a power loss, the records. `sameBootReopen`: the workload also closes and reopens the log after the failure
    /// (a restart of the process, the page cache intact) and appends more before the power loss.
    static func failEachCall(_ call: SimulatedFileSystem.Call, sameBootReopen: Bool) async {
        let dry = SimulatedFileSystem()
        let clean = await Self.workload(on: dry, sameBootReopen: sameBootReopen)
        #expect(clean.errors.isEmpty, "\(clean.errors)")
        #expect(clean.acknowledged.count == (sameBootReopen ? 90 : 84))
        let count = dry.callCounts[call, default: 0]
        var injected: [String: Int] = [:]
        for injection in Self.injections(for: call) {
            for n in Self.numbers(count, sample: 6) {
                let disk = SimulatedFileSystem()
                disk.failCall(call, number: n, with: injection)
                let context = "\(call) #\(n) of \(count): \(injection)\(sameBootReopen ? ", reopened in the same boot" : "")"
                let outcome = await Self.workload(on: disk, sameBootReopen: sameBootReopen)
                let fired = disk.injectedFaults
                guard fired.count == 1 else { continue }  // the run took another path and made fewer calls
                injected["\(injection)", default: 0] += 1
                for error in outcome.errors {
                    guard let error = error as? LogError else {
                        Issue.record("\(context): not a LogError: \(error)")
                        continue
                    }
                    #expect(!error.message.isEmpty, "\(context)")
                }
                switch injection {
                case .interrupt, .short:
                    #expect(outcome.errors.isEmpty, "\(context): retried transparently, yet \(outcome.errors)")
                    #expect(outcome.acknowledged == clean.acknowledged, "\(context)")
                case .fail(let code):
                    if let first = outcome.errors.first as? LogError {
                        #expect(first.errno == code, "\(context): the first error names the injected errno: \(first)")
                    }
                }
                await Self.checkAfterReboot(disk.crash(), outcome, context)
            }
        }
        print("fail the Nth call\(sameBootReopen ? " (and reopen)" : ""): \(call): \(count) calls in the workload; injected \(injected.sorted { $0.key < $1.key })")
    }

    /// A faulty call, then a power loss.
    @Test(arguments: SimulatedFileSystem.Call.allCases)
    func failTheNthCall(_ call: SimulatedFileSystem.Call) async throws {
        await Self.failEachCall(call, sameBootReopen: false)
    }

    /// A faulty call, a restart of the process (close, reopen, append more), then a power loss. File syncs are
    /// apart: after a failed `fsync` the reopen must not trust the unsynced pages (issue 9 item 4).
    @Test(arguments: SimulatedFileSystem.Call.allCases.filter { $0 != .syncData && $0 != .sync })
    func failTheNthCallThenReopen(_ call: SimulatedFileSystem.Call) async throws {
        await Self.failEachCall(call, sameBootReopen: true)
    }

    @Test(arguments: [SimulatedFileSystem.Call.syncData, .sync])
    func failTheNthSyncThenReopen(_ call: SimulatedFileSystem.Call) async throws {
        await Self.failEachCall(call, sameBootReopen: true)
    }

    /// After a failed `fdatasync`, a reopen in the same boot (the kernel still caches the unsynced pages, marked
    /// clean) must not trust them: records appended and acknowledged after that reopen must survive a later power
    /// loss. (Issue 9, item 4.)
    @Test
    func reopenInTheSameBootAfterAFailedSync() async throws {
        let disk = SimulatedFileSystem()
        var log = try await Log.open(at: simulatedLogPath, configuration: .simulated(disk, preallocationStep: 0))
        let records = Self.records(10, seed: 4)
        var acknowledged = try await log.appendEach(Array(records[0..<5]))
        disk.failCall(.syncData, number: disk.callCounts[.syncData, default: 0] + 1, with: .fail(EIO))
        await expectLogError(.ioFailed) { try await log.append(records[5]) }
        try? await log.close()
        log = try await Log.open(at: simulatedLogPath, configuration: .simulated(disk, preallocationStep: 0))
        acknowledged += try await log.appendEach(Array(records[6..<10]))
        try await log.close()
        let rebooted = try await Log.open(at: simulatedLogPath, configuration: .simulated(disk.crash(), preallocationStep: 0))
        let entries = try await rebooted.entries()
        for entry in acknowledged { #expect(entries.contains(entry), "acknowledged LSN \(entry.lsn) survives") }
        try await rebooted.close()
    }
}
