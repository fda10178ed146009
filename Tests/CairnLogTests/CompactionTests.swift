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

@Suite struct CompactionTests {
    static let keepEven: @Sendable (LogRecordView) -> Bool = { $0.lsn.rawValue % 2 == 0 }

    /// An open log with `sealed` sealed segments and a few records in the active one.
    static func makeLog(_ dir: String, sealed: Int, seed: UInt64 = 0xC0C0) async throws -> (Log, [LogEntry]) {
        var rng = SeededGenerator(seed: seed)
        let log = try await Log.open(at: dir, configuration: .small())
        var entries: [LogEntry] = []
        while try segmentNames(dir).count < sealed + 1 {
            if Int.random(in: 0..<5, using: &rng) == 0 {
                entries += try await log.appendBatch((0..<Int.random(in: 2...8, using: &rng)).map { _ in
                    randomRecord(size: Int.random(in: 1...500, using: &rng), &rng)
                })
            } else {
                entries += try await log.appendEach([randomRecord(size: Int.random(in: 1...2000, using: &rng), &rng)])
            }
        }
        entries += try await log.appendEach((0..<9).map { _ in randomRecord(size: Int.random(in: 1...300, using: &rng), &rng) })
        return (log, entries)
    }

    /// The records of a compaction that kept even LSNs below `until`.
    static func compacted(_ entries: [LogEntry], until: LSN) -> [LogEntry] {
        entries.filter { $0.lsn >= until || $0.lsn.rawValue % 2 == 0 }
    }

    @Test func keepsWhatThePredicateSelectsWithTheirLSNs() async throws {
        let dir = temporaryPath("compact")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir, sealed: 5)
        let names = try segmentNames(dir)
        let active = try #require(names.last)
        let activeBytes = try readBytes(dir + "/" + active)
        let until = try #require(LogDirectory.base(ofSegmentNamed: active))

        let report = try await log.compact(keeping: Self.keepEven)
        #expect(report.inputSegments == Array(names.dropLast()))
        #expect(report.outputSegment == names.first)
        let sealed = entries.filter { $0.lsn < until }
        #expect(report.recordsKept == sealed.filter { $0.lsn.rawValue % 2 == 0 }.count)
        #expect(report.recordsDropped == sealed.filter { $0.lsn.rawValue % 2 == 1 }.count)
        #expect(report.bytesAfter < report.bytesBefore)
        #expect(report.description.contains("kept \(report.recordsKept)"))
        #expect(try segmentNames(dir) == [names[0], active])
        #expect(try readBytes(dir + "/" + active) == activeBytes, "the active segment is untouched")
        #expect(try fileMode(dir + "/" + names[0]) == 0o600)
        #expect(try segmentMap(dir + "/" + names[0]).header.replacesUntil == until.rawValue)

        let expected = Self.compacted(entries, until: until)
        #expect(try await log.entries() == expected)
        #expect(try readAll(dir) == expected)
        // Scans from a dropped LSN start at the next kept one.
        #expect(try await log.entries(from: LSN(3)).first?.lsn == LSN(4))
        // Appends go on with the next LSN.
        let more = try await log.appendEach([LogRecord(tag: 1, payload: [1])])
        #expect(more[0].lsn == entries.last!.lsn.next)
        try await log.close()

        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(reopened.recovery.truncatedTail == nil)
        #expect(reopened.recovery.removedTemporaryFiles.isEmpty && reopened.recovery.removedSupersededSegments.isEmpty)
        #expect(reopened.recovery.recordCount == expected.count + 1)
        #expect(reopened.recovery.firstLSN == LSN(2))
        #expect(try await reopened.entries() == expected + more)
        try await reopened.close()
    }

    @Test func compactThroughAnLSNAndCompactAgain() async throws {
        let dir = temporaryPath("through")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir, sealed: 5)
        let names = try segmentNames(dir)
        let bases = names.map { LogDirectory.base(ofSegmentNamed: $0)! }
        // An LSN inside segment 2: segments 0 and 1 hold only records at or below it; segment 2 does not.
        let through = LSN(bases[2].rawValue + 1)
        let first = try await log.compact(through: through, keeping: Self.keepEven)
        #expect(first.inputSegments == Array(names[0..<2]))
        #expect(try segmentNames(dir) == [names[0]] + names[2...])
        var expected = Self.compacted(entries, until: bases[2])
        #expect(try await log.entries() == expected)

        // Through the last LSN of segment 3 exactly: segments 0 (already compacted) to 3.
        let second = try await log.compact(through: LSN(bases[4].rawValue - 1)) { $0.lsn.rawValue % 4 == 0 || $0.lsn >= bases[2] && $0.lsn.rawValue % 2 == 0 }
        #expect(second.inputSegments == [names[0], names[2], names[3]])
        #expect(second.recordsKept + second.recordsDropped == expected.filter { $0.lsn < bases[4] }.count)
        expected = expected.filter { $0.lsn >= bases[4] || $0.lsn.rawValue % 4 == 0 || $0.lsn >= bases[2] && $0.lsn.rawValue % 2 == 0 }
        #expect(try await log.entries() == expected)
        #expect(try segmentNames(dir) == [names[0], names[4], names[5]])

        // Through the largest LSN there is: every sealed segment (no overflow in "through + 1").
        let all = try await log.compact(through: LSN(.max), keeping: { _ in true })
        #expect(all.inputSegments == [names[0], names[4]])
        #expect(try segmentNames(dir) == [names[0], names[5]])
        #expect(try await log.entries() == expected)

        // Nothing sealed up to LSN 1 but the first segment, which has a successor starting above 2: nothing to do.
        let none = try await log.compact(through: LSN(1), keeping: { _ in true })
        #expect(none.outputSegment == nil && none.inputSegments.isEmpty)
        #expect(none.description == "nothing to compact")
        try await log.close()
        #expect(try readAll(dir) == expected)
    }

    @Test func singleSegmentHasNothingToCompact() async throws {
        let dir = temporaryPath("single")
        defer { removeTree(dir) }
        let log = try await Log.open(at: dir, configuration: .small())
        _ = try await log.appendEach((0..<10).map { LogRecord(tag: 1, payload: [UInt8($0)]) })
        let before = try snapshot(dir)
        let report = try await log.compact(keeping: { _ in false })
        #expect(report.outputSegment == nil)
        #expect(report.recordsDropped == 0)
        #expect(try snapshot(dir) == before)
        #expect(try await log.entries().count == 10)
        try await log.close()
    }

    @Test func keepingNothingLeavesAnEmptyFirstSegment() async throws {
        let dir = temporaryPath("nothing")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir, sealed: 3)
        let names = try segmentNames(dir)
        let until = LogDirectory.base(ofSegmentNamed: names.last!)!
        let report = try await log.compact(keeping: { _ in false })
        #expect(report.recordsKept == 0)
        let remaining = entries.filter { $0.lsn >= until }
        #expect(try await log.entries() == remaining)
        #expect(try await log.entries(from: .first).first?.lsn == until)
        try await log.close()
        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(reopened.recovery.firstLSN == until)
        #expect(try await reopened.entries() == remaining)
        #expect(try await reopened.append(LogRecord(tag: 1, payload: [1])) == entries.last!.lsn.next)
        try await reopened.close()
    }

    /// Appends and reads go on while a compaction runs; nothing appended is lost, nothing kept is lost, and no
    /// read ever sees a record twice or out of order.
    @Test func appendsAndReadsDuringCompaction() async throws {
        let dir = temporaryPath("concurrentcompact")
        defer { removeTree(dir) }
        var rng = SeededGenerator(seed: testSeed("appendsAndReadsDuringCompaction"))
        let (log, entries) = try await Self.makeLog(dir, sealed: 6)
        let original = Dictionary(uniqueKeysWithValues: entries.map { ($0.lsn, $0) })
        let firstUnsealed = LogDirectory.base(ofSegmentNamed: try segmentNames(dir).last!)!
        let newRecords = (0..<800).map { i in LogRecord(tag: 200, payload: Array("new \(i) ".utf8) + textBytes(Int.random(in: 1...400, using: &rng), &rng)) }
        let newSet = Set(newRecords)

        let reads = Locked<[Set<LSN>]>([])
        let (report, appended) = try await withThrowingTaskGroup(of: (CompactionReport?, [LogEntry]).self) { group in
            group.addTask { (try await log.compact(keeping: Self.keepEven), []) }
            for chunk in stride(from: 0, to: newRecords.count, by: 100) {
                let records = Array(newRecords[chunk..<(chunk + 100)])
                group.addTask {
                    let entries = try await withThrowingTaskGroup(of: LogEntry.self) { inner in
                        for record in records { inner.addTask { LogEntry(try await log.append(record), record) } }
                        return try await inner.reduce(into: []) { $0.append($1) }
                    }
                    return (nil, entries)
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    let seen = try await log.entries()
                    #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.lsn < $1.lsn })
                    for entry in seen {
                        if let old = original[entry.lsn] { #expect(entry == old) } else {
                            #expect(newSet.contains(LogRecord(tag: entry.tag, payload: entry.payload)))
                        }
                    }
                    reads.withLock { $0.append(Set(seen.map(\.lsn))) }
                    return (nil, [])
                }
            }
            var report: CompactionReport?
            var appended: [LogEntry] = []
            for try await (r, e) in group {
                report = report ?? r
                appended += e
            }
            return (try #require(report), appended.sorted { $0.lsn < $1.lsn })
        }
        #expect(appended.count == newRecords.count)
        let after = try segmentNames(dir)
        #expect(after.first == report.outputSegment)
        let until = LogDirectory.base(ofSegmentNamed: after[1])!
        #expect(until >= firstUnsealed)
        // Whatever a read saw of the compaction, it lost nothing that the compaction keeps. The boundary is the
        // compaction's own: appends may seal more segments before it takes its snapshot.
        for lsns in reads.withLock({ $0 }) {
            for entry in entries where entry.lsn >= until || entry.lsn.rawValue % 2 == 0 {
                #expect(lsns.contains(entry.lsn), "kept record \(entry.lsn) missing from a concurrent read")
            }
        }
        let expected = Self.compacted(entries + appended, until: until)
        #expect(try await log.entries() == expected)
        try await log.close()
        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(try await reopened.entries() == expected)
        try await reopened.close()
    }

    /// A damaged sealed input is judged as recovery and `cairn verify` judge it (`SegmentVerdict`), and the
    /// compaction stops before it has written anything.
    @Test func damagedSealedInputStopsCompactionAndChangesNothing() async throws {
        let dir = temporaryPath("damagedcompact")
        defer { removeTree(dir) }
        let (log, _) = try await Self.makeLog(dir, sealed: 3)
        let names = try segmentNames(dir)
        let victim = URL(fileURLWithPath: dir + "/" + names[1])
        var bytes = try Data(contentsOf: victim)
        bytes[bytes.count / 2] ^= 0xFF  // inside a frame: a sealed segment has no zero fill
        try bytes.write(to: victim)
        let before = try names.map { try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0)) }

        let error = await #expect(throws: LogError.self) { try await log.compact(keeping: Self.keepEven) }
        #expect(error?.code == .corruptSegment)
        #expect(error?.path == victim.path)
        #expect(error?.message.hasPrefix("sealed segment \(names[1]) is damaged at this offset") == true, "\(String(describing: error))")
        #expect(error?.message.hasSuffix("compaction stopped and changed nothing") == true, "\(String(describing: error))")
        // The verdict's words and where: what to do, and the last good record.
        #expect(error?.message.contains("restore it from a backup") == true, "\(String(describing: error))")
        #expect(error?.lsn != nil)
        #expect(try segmentNames(dir) == names)
        #expect(try names.map { try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0)) } == before)
        try await log.close()
    }

    @Test func oneCompactionAtATime() async throws {
        let dir = temporaryPath("twocompactions")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir, sealed: 2)
        let entered = Locked(false)
        let release = Locked(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            defer { release.withLock { $0 = true } }  // whatever fails below, the held compaction ends
            group.addTask {
                // The predicate runs on the compaction's own thread, so holding it there blocks no task.
                _ = try await log.compact { _ in
                    entered.withLock { $0 = true }
                    while !release.value { usleep(1000) }
                    return true
                }
            }
            #expect(await poll(seconds: 10) { entered.value })
            let error = await expectLogError(.invalidArgument) { try await log.compact(keeping: { _ in true }) }
            #expect(error?.message.contains("already running") == true)
            release.withLock { $0 = true }
            try await group.waitForAll()
        }
        // The first finished; another may start now.
        _ = try await log.compact(keeping: { _ in true })
        #expect(try await log.entries() == entries)
        try await log.close()
    }

    /// A scan working from a segment listing taken before a compaction finished reads the output in place of the
    /// first input; it must then skip the inputs the output replaced (still on disk until they are removed), not
    /// read the records the compaction dropped from them.
    @Test(arguments: [CompactionStep.renamedOutput, .syncedDirectory, .removedFirstInput])
    func scanWithAListingFromBeforeTheCompaction(step: CompactionStep) async throws {
        let dir = temporaryPath("stale")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir, sealed: 4)
        let stale = try LogDirectory(path: dir).catalog().segments
        let until = stale.last!.base
        // The dropped (odd) last record of the last input is what a careless scan brings back after the output.
        try #require(entries.last { $0.lsn < until }!.lsn.rawValue % 2 == 1)
        await #expect(throws: CompactionInterrupted.self) {
            try await log.compact(through: nil, interruptAfter: step, keeping: Self.keepEven)
        }
        for from in [LSN.first, LSN(3), stale[2].base, until] {
            var seen: [LogEntry] = []
            _ = try SegmentScan(from: from, in: PosixFileSystem(), segments: { (stale, nil) }) { record in
                seen.append(record.entry)
                return true
            }
            // Starting inside a replaced input, a stale listing reads the original records of that range; starting
            // at the output, the compacted ones. Either is a consistent view; a mix of the two is not.
            let compacted = Self.compacted(entries, until: until).filter { $0.lsn >= from }
            let original = entries.filter { $0.lsn >= from }
            #expect(seen == compacted || seen == original, "from \(from)")
            if from < stale[1].base { #expect(seen == compacted, "from \(from): the output was read") }
        }
        log._abandon()
    }

    /// A compaction that fails after its rename (a directory sync or an unlink failing) has still replaced its
    /// inputs: the running log must go on from the new segment list, and compact again without reopening.
    @Test(arguments: [CompactionStep.renamedOutput, .syncedDirectory, .removedFirstInput])
    func runningLogCompactsAgainAfterAFailureLateInACompaction(step: CompactionStep) async throws {
        let dir = temporaryPath("again")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir, sealed: 4)
        let until = try LogDirectory(path: dir).catalog().segments.last!.base
        await #expect(throws: CompactionInterrupted.self) {
            try await log.compact(through: nil, interruptAfter: step, keeping: Self.keepEven)
        }
        let report = try await log.compact { $0.lsn.rawValue % 4 == 0 || $0.lsn >= until }
        #expect(report.inputSegments == [LogDirectory.segmentName(base: .first)])
        let expected = entries.filter { $0.lsn >= until || $0.lsn.rawValue % 4 == 0 }
        #expect(try await log.entries() == expected)
        try await log.close()
        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(try await reopened.entries() == expected)
        try await reopened.close()
    }

    /// A compaction stopped after each of its durable steps, then the process "crashes": the next open finds either
    /// every original record (stopped before the rename) or exactly the compacted set (after) — never a mix.
    @Test(arguments: CompactionStep.allCases)
    func interruptedCompactionIsFinishedOrDiscarded(step: CompactionStep) async throws {
        let dir = temporaryPath("interrupted")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir, sealed: 4)
        let names = try segmentNames(dir)
        let inputs = Array(names.dropLast())
        let until = LogDirectory.base(ofSegmentNamed: names.last!)!
        let compacted = Self.compacted(entries, until: until)
        let renamed = ![CompactionStep.wroteOutput, .syncedOutput].contains(step)
        let expected = renamed ? compacted : entries

        do {
            _ = try await log.compact(through: nil, interruptAfter: step, keeping: Self.keepEven)
            Issue.record("compaction was not interrupted after \(step)")
        } catch let interrupted as CompactionInterrupted {
            #expect(interrupted.step == step)
        }
        // The running log and a read-only reader already read one consistent set.
        #expect(try await log.entries() == expected)
        #expect(try readAll(dir) == expected)
        log._abandon()

        let reopened = try await Log.open(at: dir, configuration: .small())
        let report = reopened.recovery
        #expect(try await reopened.entries() == expected)
        #expect(report.truncatedTail == nil)
        switch step {
        case .wroteOutput, .syncedOutput:
            #expect(report.removedTemporaryFiles == [inputs[0].replacingOccurrences(of: ".seg", with: ".seg.compact")])
            #expect(report.removedSupersededSegments.isEmpty)
        case .renamedOutput, .syncedDirectory:
            #expect(report.removedTemporaryFiles.isEmpty)
            #expect(report.removedSupersededSegments == Array(inputs.dropFirst()))
        case .removedFirstInput:
            #expect(report.removedTemporaryFiles.isEmpty)
            #expect(report.removedSupersededSegments == Array(inputs.dropFirst(2)))
        case .removedInputs:
            #expect(report.removedTemporaryFiles.isEmpty && report.removedSupersededSegments.isEmpty)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == (["LOCK"] + (renamed ? [inputs[0], names.last!] : names)).sorted())

        // The log carries on: appends, a complete compaction, another reopen.
        let more = try await reopened.appendEach([LogRecord(tag: 7, payload: [7, 7])])
        #expect(more[0].lsn == entries.last!.lsn.next)
        _ = try await reopened.compact(keeping: Self.keepEven)
        try await reopened.close()
        let third = try await Log.open(at: dir, configuration: .small())
        #expect(try await third.entries() == compacted + more)
        try await third.close()
    }
}
