import CairnLog
import CairnTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A log of `segments` segments of random (incompressible) records, closed; returns what it holds.
private func makeSegmentedLog(_ dir: String, segments: Int = 4, seed: UInt64 = 0x5E6) async throws -> [LogEntry] {
    var rng = SeededGenerator(seed: seed)
    let log = try await Log.open(at: dir, configuration: .small())
    var entries: [LogEntry] = []
    while try segmentNames(dir).count < segments {
        entries += try await log.appendEach([LogRecord(tag: 1, payload: randomBytes(2000, &rng))])
    }
    entries += try await log.appendEach([LogRecord(tag: 2, payload: randomBytes(100, &rng))])
    try await log.close()
    return entries
}

/// Frames as a writer would put them at `offset` of a segment with `header`: one record each, stored raw (the
/// payloads should be random), with the given commit indices.
private func craftFrames(
    _ records: [(lsn: LSN, payload: [UInt8], commitIndex: UInt16)], at offset: Int64, header: SegmentHeader
) -> [(offset: Int64, bytes: [UInt8])] {
    let encoder = FrameEncoder(maxBlockLength: 1 << 16)
    encoder.reset()
    var frames: [(Int64, [UInt8])] = []
    var position = offset
    for record in records {
        var buffer = ByteBuffer(capacity: 1 << 16)
        encoder.beginFrame(maxBlockLength: record.payload.count + RecordBlock.maxRecordOverhead)
        record.payload.withUnsafeBytes { encoder.add(lsn: record.lsn, tag: 3, payload: $0) }
        encoder.endFrame(into: &buffer, commitIndex: record.commitIndex, checksumSeed: header.checksumSeed(at: position))
        frames.append((position, Array(buffer.bytes)))
        position += Int64(buffer.count)
    }
    return frames
}

/// A frame stored raw, of one record with tag 3, checksummed from `checksumSeed`: what the writer makes of a
/// record that LZ4 does not shrink.
private func rawFrame(lsn: LSN, payload: [UInt8], commitIndex: UInt16 = 0, checksumSeed: UInt32) -> [UInt8] {
    var block = [UInt8](repeating: 0, count: payload.count + RecordBlock.maxRecordOverhead)
    let length = payload.withUnsafeBytes { p in
        block.withUnsafeMutableBytes { RecordBlock.write(lsnDelta: 0, tag: 3, payload: p, to: $0.baseAddress!, at: 0) }
    }
    block.removeSubrange(length...)
    let header = FrameHeader(
        flags: 0, storedLength: UInt32(length), rawLength: UInt32(length), recordCount: 1, firstLSN: lsn, commitIndex: commitIndex)
    var frame = [UInt8](repeating: 0, count: FrameHeader.size)
    frame.withUnsafeMutableBytes { header.write(to: $0.baseAddress!) }
    frame += block
    let crc = frame.withUnsafeBytes { CRC32C.checksum($0, continuing: checksumSeed) }
    return frame + withUnsafeBytes(of: crc.littleEndian) { Array($0) }
}

/// The faults of issue 9 on the log side: each test builds the situation the review found and checks the log no
/// longer gets it wrong.
@Suite struct HardeningTests {
    // MARK: A missing segment

    /// A segment deleted from the middle leaves LSNs no segment holds: the open refuses, naming the range and the
    /// file, and changes nothing.
    @Test(arguments: [0, 1, 2])
    func missingSegmentBeforeTheLastIsRefused(index: Int) async throws {
        let dir = temporaryPath("missing")
        defer { removeTree(dir) }
        _ = try await makeSegmentedLog(dir)
        let names = try segmentNames(dir)
        let base = try #require(LogDirectory.base(ofSegmentNamed: names[index]))
        try FileManager.default.removeItem(atPath: dir + "/" + names[index])
        let before = try snapshot(dir)

        let error = await expectLogError(.missingSegment) { try await Log.open(at: dir, configuration: .small()) }
        #expect(error?.lsn == base, "\(String(describing: error))")
        #expect(error?.message.contains(names[index]) == true, "names the missing file: \(String(describing: error))")
        #expect(error?.message.contains("\(base)...") == true, "names the missing LSN range: \(String(describing: error))")
        expectLogErrorSync(.missingSegment) { try LogReader(directory: dir).verify() }
        #expect(try snapshot(dir) == before, "nothing was changed")
    }

    /// Deleting the last segment must not let the log hand out its acknowledged LSNs again: the segment before it
    /// ends in a seal that names the next segment's base.
    @Test func missingLastSegmentIsRefused() async throws {
        let dir = temporaryPath("missinglast")
        defer { removeTree(dir) }
        let all = try await makeSegmentedLog(dir)
        let names = try segmentNames(dir)
        let lastBase = try #require(LogDirectory.base(ofSegmentNamed: names.last!))
        try FileManager.default.removeItem(atPath: dir + "/" + names.last!)
        let before = try snapshot(dir)

        let error = await expectLogError(.missingSegment) { try await Log.open(at: dir, configuration: .small()) }
        #expect(error?.lsn == lastBase)
        #expect(error?.message.contains(names.last!) == true, "\(String(describing: error))")
        #expect(all.last!.lsn >= lastBase, "records lived in the deleted segment")
        expectLogErrorSync(.missingSegment) { try LogReader(directory: dir).verify() }
        #expect(try snapshot(dir) == before)
    }

    /// A compaction output is never the last segment: if the segment after it is gone, so are acknowledged LSNs.
    @Test func missingSegmentAfterACompactionOutputIsRefused() async throws {
        let dir = temporaryPath("missingaftercompaction")
        defer { removeTree(dir) }
        _ = try await makeSegmentedLog(dir)
        let log = try await Log.open(at: dir, configuration: .small())
        let report = try await log.compact { $0.tag == 1 && $0.lsn.rawValue.isMultiple(of: 3) }
        try await log.close()
        #expect(report.inputSegments.count == 3)
        for name in try segmentNames(dir).dropFirst() { try FileManager.default.removeItem(atPath: dir + "/" + name) }
        await expectLogError(.missingSegment) { try await Log.open(at: dir, configuration: .small()) }
    }

    /// A roll that was interrupted after the new segment was created but before the old one got its seal leaves
    /// a sealed segment without a seal and an empty last segment: a legitimate state, which opens.
    @Test func rollInterruptedBeforeTheSealOpens() async throws {
        let dir = temporaryPath("unsealed")
        defer { removeTree(dir) }
        let all = try await makeSegmentedLog(dir, segments: 2)
        let maps = try segmentMaps(dir)
        let sealed = maps[0]
        #expect(sealed.fileSize == sealed.dataEnd && sealed.dataEnd == sealed.frames.last!.end + Int64(FrameHeader.overhead), "it ends in a seal")
        try writeBytes(Array(try readBytes(sealed.path).prefix(Int(sealed.frames.last!.end))), to: sealed.path)
        // The new segment as the roll made it: a header and nothing else.
        let survivors = sealed.entries
        try writeBytes(Array(try readBytes(maps[1].path).prefix(SegmentHeader.size)), to: maps[1].path)
        let log = try await Log.open(at: dir, configuration: .small())
        #expect(try await log.entries() == survivors)
        #expect(try await log.append(LogRecord(tag: 1, payload: [1])) == survivors.last!.lsn.next)
        try await log.close()
        #expect(all.count > survivors.count)
    }

    // MARK: A failed sync

    /// After a failed `fdatasync` the page cache may still hold the bytes the disk refused, marked clean; a reopen
    /// in the same process must not read the failed commit back as valid, and keeps everything acknowledged.
    @Test func failedSyncIsNotTrustedByAReopen() async throws {
        let dir = temporaryPath("fsyncgate")
        defer { removeTree(dir) }
        let plan = FaultPlan()
        let log = try await Log.open(at: dir, configuration: DurabilityTests.configuration(plan, durability: .always))
        let acknowledged = try await log.appendEach((0..<10).map(DurabilityTests.record))
        plan.state.withLock { $0.failNextSync = EIO }
        let failure = await expectLogError(.ioFailed) { try await log.append(DurabilityTests.record(99)) }
        #expect(failure?.errno == EIO)
        let poisoned = await expectLogError(.poisoned) { try await log.append(DurabilityTests.record(100)) }
        #expect(poisoned?.message.contains("cuts the segment back") == true, "\(String(describing: poisoned))")
        try await log.close()

        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(try await reopened.entries() == acknowledged, "the failed commit is not read back")
        #expect(reopened.recovery.cutAfterFailedSync?.file == (try segmentNames(dir).last!), "\(reopened.recovery)")
        #expect(try await reopened.append(DurabilityTests.record(1)) == acknowledged.last!.lsn.next)
        try await reopened.close()
        #expect(String(decoding: try readBytes(dir + "/LOCK"), as: UTF8.self) == "\(getpid())\n", "the mark is cleared")
    }

    /// The open side alone: a failed-sync mark in `LOCK` (the writer could not cut the file itself) makes the next
    /// open cut the segment back before it reads anything, and the mark is cleared.
    @Test func openAppliesTheFailedSyncMark() async throws {
        let dir = temporaryPath("syncmark")
        defer { removeTree(dir) }
        let log = try await Log.open(at: dir, configuration: .small())
        let first = try await log.appendEach((0..<5).map(DurabilityTests.record))
        let syncedUntil = try segmentMap(dir + "/" + (try segmentNames(dir).last!)).dataEnd
        _ = try await log.appendEach((5..<9).map(DurabilityTests.record))
        try await log.close()
        let name = try segmentNames(dir).last!
        try writeBytes(Array("4242\nsynced \(name) \(syncedUntil)\n".utf8), to: dir + "/LOCK")

        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(reopened.recovery.cutAfterFailedSync?.offset == syncedUntil, "\(reopened.recovery)")
        #expect((reopened.recovery.cutAfterFailedSync?.droppedBytes ?? 0) > 0)
        #expect(try await reopened.entries() == first)
        try await reopened.close()
        #expect(!String(decoding: try readBytes(dir + "/LOCK"), as: UTF8.self).contains("synced"))
    }

    /// Under `interval`, the sync in the zero fill also covers the commits written since the last one: its
    /// failure (a full disk included) must poison the log, not pass for a fill that did not fit.
    @Test func failedSyncWhilePreallocatingPoisons() async throws {
        let dir = temporaryPath("fillsync")
        defer { removeTree(dir) }
        let plan = FaultPlan()
        var configuration = DurabilityTests.configuration(plan, durability: .interval(milliseconds: 3_600_000), preallocationStep: 4096)
        configuration.segmentSize = 1 << 20
        let log = try await Log.open(at: dir, configuration: configuration)
        var rng = SeededGenerator(seed: 5)
        _ = try await log.append(LogRecord(tag: 1, payload: randomBytes(1000, &rng)))
        plan.state.withLock { $0.failNextSync = ENOSPC }
        var refusal: LogError?
        for _ in 0..<20 where refusal == nil {
            do { _ = try await log.append(LogRecord(tag: 1, payload: randomBytes(1000, &rng))) } catch let error as LogError { refusal = error }
        }
        #expect(plan.fired.count == 1, "the fill's sync failed: \(plan.fired)")
        #expect(refusal?.code == .poisoned, "\(String(describing: refusal))")
        #expect(refusal?.errno == ENOSPC)
        try await log.close()
    }

    /// `close()` syncs what `never` and `interval` left unsynced: when that sync fails, close throws (and
    /// releases the lock), and the reopen does not trust what it did not sync.
    @Test func failedFinalSyncMakesCloseThrow() async throws {
        let dir = temporaryPath("closesync")
        defer { removeTree(dir) }
        let plan = FaultPlan()
        let log = try await Log.open(at: dir, configuration: DurabilityTests.configuration(plan, durability: .never))
        _ = try await log.appendEach((0..<5).map(DurabilityTests.record))
        plan.state.withLock { $0.failNextSync = EIO }
        let error = await expectLogError(.ioFailed) { try await log.close() }
        #expect(error?.message.contains("final sync") == true, "\(String(describing: error))")
        #expect(plan.fired.count == 1)

        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(reopened.recovery.cutAfterFailedSync != nil, "\(reopened.recovery)")
        #expect(try await reopened.entries().isEmpty, "nothing was synced since the open")
        try await reopened.close()
    }

    // MARK: Stale frames

    /// A torn commit of several frames whose first page never reached the disk: zeros where its first frame
    /// should be, its later frames intact. Recovery must not leave them: a later commit of the same length ends
    /// exactly where the stale second frame starts, and the open after it would read that frame as the log's own.
    @Test func staleFramesAfterZerosAreNotResurrected() async throws {
        let dir = temporaryPath("stale")
        defer { removeTree(dir) }
        var rng = SeededGenerator(seed: 6)
        let log = try await Log.open(at: dir, configuration: .small())
        let acknowledged = try await log.appendEach((0..<3).map { _ in LogRecord(tag: 1, payload: randomBytes(500, &rng)) })
        try await log.close()

        let path = dir + "/" + (try segmentNames(dir).last!)
        let map = try segmentMap(path)
        let next = acknowledged.last!.lsn.next
        let torn = craftFrames(
            (0..<3).map { (LSN(next.rawValue + UInt64($0)), randomBytes(700, &rng), UInt16($0)) },
            at: map.dataEnd, header: map.header)
        var bytes = try readBytes(path)
        for frame in torn.dropFirst() { bytes.replaceSubrange(Int(frame.offset)..<(Int(frame.offset) + frame.bytes.count), with: frame.bytes) }
        try writeBytes(bytes, to: path)  // the first frame's bytes stay zero: its page was lost

        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(try await reopened.entries() == acknowledged)
        #expect(reopened.recovery.truncatedTail?.offset == map.dataEnd, "\(reopened.recovery)")
        // A commit exactly as long as the lost first frame.
        let record = LogRecord(tag: 3, payload: randomBytes(700, &rng))
        let lsn = try await reopened.append(record)
        try await reopened.close()
        #expect(try segmentMap(path).frames.last!.end == torn[1].offset, "the new commit ends where the stale frame starts")

        let third = try await Log.open(at: dir, configuration: .small())
        #expect(try await third.entries() == acknowledged + [LogEntry(lsn, record)])
        try await third.close()
    }

    // MARK: Format versions and forged frames

    /// A newer format version may checksum its header differently: the open says which version it found rather
    /// than calling the header corrupt.
    @Test func newerVersionIsNamedEvenWhenItsChecksumDiffers() async throws {
        let dir = temporaryPath("newerlayout")
        defer { removeTree(dir) }
        _ = try await makeSegmentedLog(dir, segments: 2)
        let path = dir + "/" + (try segmentNames(dir)[0])
        let original = try readBytes(path)
        var bytes = original
        bytes[8] = 7
        // A layout of its own: say, the checksum covers only the first 32 bytes.
        let crc = CRC32C.checksum(Array(bytes[0..<32]))
        bytes.replaceSubrange(36..<40, with: withUnsafeBytes(of: crc.littleEndian) { Array($0) })
        try writeBytes(bytes, to: path)
        let error = await expectLogError(.unsupportedFormatVersion) { try await Log.open(at: dir, configuration: .small()) }
        #expect(error?.message.contains("version 7") == true, "\(String(describing: error))")
        // A flipped bit in the version field of a header of ours is damage, not a newer version.
        bytes = original
        bytes[8] ^= 0x40
        try writeBytes(bytes, to: path)
        let damaged = await expectLogError(.corruptSegment) { try await Log.open(at: dir, configuration: .small()) }
        #expect(damaged?.offset == 0)
    }

    /// A record whose payload holds a forged frame (a checksum-valid image with commit index 0, as a user could
    /// store) must not turn a torn tail into a refused open: frames of a version-2 segment are checksummed with
    /// the segment's salt and their offset, which no payload can know.
    @Test func forgedFrameInAPayloadDoesNotDecideRecovery() async throws {
        let dir = temporaryPath("forged")
        defer { removeTree(dir) }
        var rng = SeededGenerator(seed: 9)
        let log = try await Log.open(at: dir, configuration: .small())
        let kept = try await log.appendEach([LogRecord(tag: 1, payload: randomBytes(300, &rng))])
        try await log.close()
        // The forged image: a raw frame of one record, plainly checksummed (what a version-1 reader accepts).
        let image = craftFrames([(LSN(1000), randomBytes(200, &rng), 0)], at: 0, header: SegmentHeader(baseLSN: .first))[0].bytes
        let payload = randomBytes(100, &rng) + image + randomBytes(100, &rng)
        // The frame the writer makes of a record of that payload when LZ4 does not shrink it (stored raw, so the
        // image lies in the file as is), torn before the image.
        let path = dir + "/" + (try segmentNames(dir).last!)
        let map = try segmentMap(path)
        let carrier = (offset: map.dataEnd, bytes: rawFrame(lsn: kept.last!.lsn.next, payload: payload, checksumSeed: map.header.checksumSeed(at: map.dataEnd)))
        var bytes = try readBytes(path)
        bytes.replaceSubrange(Int(carrier.offset)..<(Int(carrier.offset) + carrier.bytes.count), with: carrier.bytes)
        try writeBytes(bytes, to: path)
        #expect(try segmentMap(path).entries.count == 2, "the carrier is a valid frame of the segment")
        bytes[Int(carrier.offset) + FrameHeader.size + 20] ^= 0x01
        try writeBytes(bytes, to: path)

        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(reopened.recovery.truncatedTail?.offset == carrier.offset, "\(reopened.recovery)")
        #expect(try await reopened.entries() == kept)
        try await reopened.close()
    }

    /// Segments a writer made are version 2 with a salt; a version-1 segment continued by the writer stays
    /// version 1, plainly checksummed, and reads back.
    @Test func versionOneSegmentIsContinuedInVersionOne() async throws {
        let dir = temporaryPath("v1continued")
        defer { removeTree(dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        var rng = SeededGenerator(seed: 11)
        let header = SegmentHeader(baseLSN: .first)
        let frames = craftFrames([(LSN(1), randomBytes(100, &rng), 0), (LSN(2), randomBytes(100, &rng), 0)], at: Int64(SegmentHeader.size), header: header)
        let path = dir + "/" + LogDirectory.segmentName(base: .first)
        try writeBytes(header.encoded() + frames.flatMap(\.bytes), to: path)
        let log = try await Log.open(at: dir, configuration: .small())
        #expect(try await log.entries().map(\.lsn) == [LSN(1), LSN(2)])
        let record = LogRecord(tag: 1, payload: randomBytes(100, &rng))
        #expect(try await log.append(record) == LSN(3))
        try await log.close()
        let map = try segmentMap(path)
        #expect(map.header.version == 1)
        #expect(map.entries.map(\.lsn) == [LSN(1), LSN(2), LSN(3)])
        let fresh = temporaryPath("v2")
        defer { removeTree(fresh) }
        let other = try await Log.open(at: fresh, configuration: .small())
        try await other.close()
        #expect(try segmentMap(fresh + "/" + (try segmentNames(fresh)[0])).header.version == 2)
    }

    // MARK: File hygiene

    /// A `LOCK` that is a symbolic link is refused, and its target left alone (it used to be truncated).
    @Test func symlinkedLockIsRefused() async throws {
        let dir = temporaryPath("locklink")
        let target = temporaryPath("locktarget")
        defer { removeTree(dir); removeTree(target) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        try writeBytes(Array("precious".utf8), to: target)
        try FileManager.default.createSymbolicLink(atPath: dir + "/LOCK", withDestinationPath: target)
        let error = await expectLogError(.foreignFile) { try await Log.open(at: dir, configuration: .small()) }
        #expect(error?.message.contains("symbolic link") == true, "\(String(describing: error))")
        #expect(try readBytes(target) == Array("precious".utf8))
    }

    /// A FIFO under a segment's name is refused at once (opening it would wait for a writer forever); so are a
    /// directory and a symbolic link under a segment's name.
    @Test(arguments: ["fifo", "directory", "symlink"])
    func segmentNameThatIsNotARegularFileIsRefused(kind: String) async throws {
        let dir = temporaryPath("notregular")
        defer { removeTree(dir) }
        _ = try await makeSegmentedLog(dir, segments: 2)
        let path = dir + "/" + LogDirectory.segmentName(base: LSN(1_000_000))
        switch kind {
        case "fifo": #expect(mkfifo(path, 0o600) == 0)
        case "directory": try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        default: try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: dir + "/" + (try segmentNames(dir)[0]))
        }
        let error = try await withDeadline(seconds: 30, "opening a log with a \(kind) named like a segment") {
            await expectLogError(.foreignFile) { try await Log.open(at: dir, configuration: .small()) }
        }
        #expect(error?.path == path)
        let verifyError = try await withDeadline(seconds: 30, "verifying") {
            expectLogErrorSync(.foreignFile) { try LogReader(directory: dir).verify() }
        }
        #expect(verifyError?.path == path)
    }
}

extension HardeningTests {
    /// A power loss while a roll wrote a seal (the next segment already created) can leave the seal's bytes
    /// zero, or part of them: the sealed segment is complete all the same, and every reader accepts it.
    @Test(arguments: [0, 12, 31])
    func tornSealOfASealedSegmentIsAccepted(keptSealBytes: Int) async throws {
        let dir = temporaryPath("tornseal")
        defer { removeTree(dir) }
        let all = try await makeSegmentedLog(dir, segments: 3)
        let sealed = try segmentMaps(dir)[1]
        let sealStart = Int(sealed.frames.last!.end)
        #expect(sealed.dataEnd == Int64(sealStart + FrameHeader.overhead), "it ends in a seal")
        var bytes = try readBytes(sealed.path)
        for i in (sealStart + keptSealBytes)..<bytes.count { bytes[i] = 0 }
        try writeBytes(bytes, to: sealed.path)

        #expect(try readAll(dir) == all)
        #expect(try LogReader(directory: dir).verify().recordCount == all.count)
        let log = try await Log.open(at: dir, configuration: .small())
        #expect(try await log.entries() == all)
        #expect(log.recovery.truncatedTail == nil)
        let report = try await log.compact { _ in true }
        #expect(report.recordsKept > 0)
        #expect(try await log.entries() == all)
        try await log.close()
        #expect(try segmentMaps(dir).count == 2, "the compaction read the segment with the torn seal")
    }

    /// Damage after a sealed segment's last frame that is not a torn seal is still refused.
    @Test func junkInPlaceOfASealIsDamage() async throws {
        let dir = temporaryPath("junkseal")
        defer { removeTree(dir) }
        _ = try await makeSegmentedLog(dir, segments: 3)
        let sealed = try segmentMaps(dir)[1]
        var bytes = try readBytes(sealed.path)
        bytes[Int(sealed.frames.last!.end) + 5] ^= 0x80
        try writeBytes(bytes, to: sealed.path)
        let error = await expectLogError(.corruptSegment) { try await Log.open(at: dir, configuration: .small()) }
        #expect(error?.path == sealed.path)
    }
}
