import CairnLog
import CairnTestSupport
import Foundation
import Testing

@Suite struct CorruptionTests {
    /// A closed log of `segments` segments (the last with its zero fill) and everything in it.
    static func makeLog(_ dir: String, segments: Int = 4, seed: UInt64 = 0xB17F) async throws -> [LogEntry] {
        var rng = SeededGenerator(seed: seed)
        let log = try await Log.open(at: dir, configuration: .small())
        var expected: [LogEntry] = []
        while try segmentNames(dir).count < segments {
            if Int.random(in: 0..<4, using: &rng) == 0 {
                expected += try await log.appendBatch((0..<Int.random(in: 2...6, using: &rng)).map { _ in
                    randomRecord(size: Int.random(in: 1...400, using: &rng), &rng)
                })
            } else {
                expected += try await log.appendEach([randomRecord(size: Int.random(in: 1...2500, using: &rng), &rng)])
            }
        }
        // Some small frames in the last segment, so it has a middle as well as an end.
        expected += try await log.appendEach((0..<12).map { _ in randomRecord(size: Int.random(in: 1...300, using: &rng), &rng) })
        try await log.close()
        return expected
    }

    /// What opening must do after damage at byte `offset` of segment `file`.
    enum Verdict: Equatable, CustomStringConvertible {
        case corrupt(path: String, offset: Int64)
        case truncated(file: String, offset: Int64, survivors: Int)
        case clean

        var description: String {
            switch self {
            case .corrupt(let path, let offset): "corruptSegment at \(URL(fileURLWithPath: path).lastPathComponent):\(offset)"
            case .truncated(let file, let offset, let survivors): "truncatedTail \(file):\(offset) keeping \(survivors)"
            case .clean: "clean open"
            }
        }
    }

    static func verdict(forDamageAt offset: Int64, in file: Int, of maps: [SegmentMap]) -> Verdict {
        let map = maps[file]
        let isLast = file == maps.count - 1
        let before = maps[..<file].map(\.entries.count).reduce(0, +)
        if offset < Int64(SegmentHeader.size) { return .corrupt(path: map.path, offset: 0) }
        if let k = map.frame(containing: offset) {
            let frame = map.frames[k]
            if isLast && k == map.frames.count - 1 {
                return .truncated(file: map.name, offset: frame.offset, survivors: before + map.frames[..<k].map(\.entries.count).reduce(0, +))
            }
            return .corrupt(path: map.path, offset: frame.offset)
        }
        // Past the records of a sealed segment: its seal (format 2, the last frame, which names the next segment's
        // base). Damaged, it is damage to a sealed segment.
        if !isLast { return .corrupt(path: map.path, offset: map.dataEnd - Int64(FrameHeader.overhead)) }
        // Past the data of the last segment: its zero fill. A damaged "next frame header" is a torn tail with nothing
        // lost; damage further into the fill is never read.
        precondition(offset >= map.dataEnd)
        if offset < map.dataEnd + Int64(FrameHeader.size) {
            return .truncated(file: map.name, offset: map.dataEnd, survivors: before + map.entries.count)
        }
        return .clean
    }

    /// Flips random bits anywhere in the segments — headers, frame headers, payloads, checksums, the zero fill —
    /// and checks that opening reports exactly the damage and never returns a wrong or silently shortened log.
    @Test func randomBitFlipsAreAlwaysDetected() async throws {
        let dir = temporaryPath("bitflip")
        defer { removeTree(dir) }
        let seed = testSeed("randomBitFlipsAreAlwaysDetected")
        var rng = SeededGenerator(seed: seed)
        let all = try await Self.makeLog(dir, segments: 3)
        let pristine = try snapshot(dir)
        let maps = try segmentMaps(dir)
        #expect(maps.count == 3)
        #expect(maps.flatMap(\.entries) == all)
        let last = maps[maps.count - 1]
        #expect(last.fileSize > last.dataEnd, "the last segment keeps its zero fill")

        var outcomes: [String: Int] = [:]
        var dirty: Set<String> = []
        for iteration in 0..<250 {
            let kind = Int.random(in: 0..<10, using: &rng)
            let file = kind == 4 || kind == 5 ? maps.count - 1 : Int.random(in: 0..<maps.count, using: &rng)
            let map = maps[file]
            let offset: Int64
            switch kind {
            case 0: offset = Int64.random(in: 0..<Int64(SegmentHeader.size), using: &rng)  // segment header
            case 1: offset = map.frames.randomElement(using: &rng)!.offset + Int64.random(in: 0..<28, using: &rng)  // frame header
            case 2: offset = map.frames.randomElement(using: &rng)!.end - Int64.random(in: 1...4, using: &rng)  // checksum
            case 3: offset = Int64.random(in: 0..<map.fileSize, using: &rng)  // anywhere
            case 4:  // the zero fill, often where the next frame header would start
                offset = Int64.random(in: map.dataEnd..<(Bool.random(using: &rng) ? map.dataEnd + 28 : map.fileSize), using: &rng)
            case 5: offset = Int64.random(in: map.frames.last!.offset..<map.dataEnd, using: &rng)  // the last frame
            default: offset = Int64.random(in: 0..<map.dataEnd, using: &rng)  // any byte of data
            }
            let bit = UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            let context = "iteration \(iteration), seed \(seed): bit \(bit) of byte \(offset) in \(map.name)"
            // Only the file damaged last time and the last segment (which an open may cut) differ from the pristine log.
            for name in dirty.union([last.name]) { try writeBytes(pristine[name]!, to: dir + "/" + name) }
            dirty = [map.name]
            var bytes = pristine[map.name]!
            bytes[Int(offset)] ^= bit
            try writeBytes(bytes, to: map.path)
            let damaged = try snapshot(dir)
            let expected = Self.verdict(forDamageAt: offset, in: file, of: maps)
            outcomes[expected.description.components(separatedBy: " ").first!, default: 0] += 1

            // The read-only verifier predicts what the open does, and changes nothing.
            do {
                let report = try LogReader(directory: dir).verify()
                switch expected {
                case .truncated(let file, let offset, _):
                    #expect(report.truncatedTail?.file == file && report.truncatedTail?.offset == offset, "\(context): \(report)")
                case .clean:
                    #expect(report.truncatedTail == nil, "\(context): \(report)")
                case .corrupt:
                    Issue.record("\(context): verify() passed, expected \(expected)")
                }
            } catch let error as LogError {
                #expect(expected == .corrupt(path: error.path ?? "", offset: error.offset ?? -1) && error.code == .corruptSegment, "\(context): verify() threw \(error), expected \(expected)")
            }
            #expect(try snapshot(dir) == damaged, "\(context): verify() changed files")

            do {
                let log = try await Log.open(at: dir, configuration: .small())
                let entries = try await log.entries()
                log._abandon()
                switch expected {
                case .corrupt:
                    Issue.record("\(context): opened (\(log.recovery)), expected \(expected)")
                case .truncated(let file, let offset, let survivors):
                    let tail = log.recovery.truncatedTail
                    #expect(tail?.file == file && tail?.offset == offset, "\(context): \(log.recovery)")
                    #expect(entries == Array(all.prefix(survivors)), "\(context)")
                case .clean:
                    #expect(log.recovery.truncatedTail == nil, "\(context): \(log.recovery)")
                    #expect(entries == all, "\(context)")
                }
                // Whatever the verdict, an open that succeeds returns only what was written, in order, and
                // loses nothing without saying so.
                #expect(entries == Array(all.prefix(entries.count)), "\(context): wrong data returned")
                #expect(entries.count == all.count || log.recovery.truncatedTail != nil, "\(context): records vanished silently")
            } catch let error as LogError {
                #expect(error.code == .corruptSegment, "\(context): \(error)")
                #expect(expected == .corrupt(path: error.path ?? "", offset: error.offset ?? -1), "\(context): threw \(error), expected \(expected)")
                #expect(try snapshot(dir) == damaged, "\(context): a refused open changed files")
            }
        }
        print("randomBitFlipsAreAlwaysDetected: \(outcomes)")
        #expect(outcomes.count == 3, "every kind of verdict was exercised: \(outcomes)")
    }

    enum SealedDamage: String, CaseIterable, Sendable {
        case payloadBit, frameMagic, checksum, segmentHeader, zeroedFrame, cutShort, trailingGarbage, trailingZeros
    }

    /// Damages segment 2 of 4 and returns the offset the error must name.
    static func damage(_ kind: SealedDamage, _ map: SegmentMap) throws -> Int64 {
        var bytes = try readBytes(map.path)
        let frame = map.frames[map.frames.count / 2]
        let offset: Int64
        switch kind {
        case .payloadBit:
            bytes[Int(frame.offset) + 28 + Int(frame.header.storedLength) / 2] ^= 0x04
            offset = frame.offset
        case .frameMagic:
            bytes[Int(frame.offset) + 1] = UInt8(ascii: "X")
            offset = frame.offset
        case .checksum:
            bytes[Int(frame.end) - 1] ^= 0x80
            offset = frame.offset
        case .segmentHeader:
            bytes[20] ^= 0x01
            offset = 0
        case .zeroedFrame:
            for i in Int(frame.offset)..<Int(frame.end) { bytes[i] = 0 }
            offset = frame.offset
        case .cutShort:
            let lastFrame = map.frames.last!
            bytes.removeSubrange((Int(lastFrame.offset) + lastFrame.length / 2)...)
            offset = lastFrame.offset
        case .trailingGarbage:
            bytes += [0x43, 0x46, 0x52, 0x4D, 1, 2, 3]
            offset = map.dataEnd
        case .trailingZeros:
            bytes += [UInt8](repeating: 0, count: 4096)
            offset = map.dataEnd
        }
        try writeBytes(bytes, to: map.path)
        return offset
    }

    /// Damage inside a sealed segment stops the open with `.corruptSegment` naming the file and offset, whatever
    /// else the directory holds, and changes no file.
    @Test(arguments: SealedDamage.allCases, [false, true])
    func corruptSealedSegmentIsRefused(damage: SealedDamage, withLeftovers: Bool) async throws {
        let dir = temporaryPath("sealed")
        defer { removeTree(dir) }
        let all = try await Self.makeLog(dir)
        var maps = try segmentMaps(dir)
        if withLeftovers {
            // A torn tail in the last segment and the temporary files of an interrupted roll and compaction: an
            // open that refuses must not repair any of them either.
            let last = maps[3]
            var bytes = try readBytes(last.path)
            bytes.removeSubrange((Int(last.frames.last!.offset) + 10)...)
            try writeBytes(bytes, to: last.path)
            try writeBytes(SegmentHeader(baseLSN: all.last!.lsn.next).encoded(), to: dir + "/" + LogDirectory.segmentName(base: all.last!.lsn.next) + ".tmp")
            try writeBytes(Array(try readBytes(maps[0].path).prefix(500)), to: dir + "/" + maps[0].name.replacingOccurrences(of: ".seg", with: ".seg.compact"))
            maps = try segmentMaps(dir)
        }
        let sealed = maps[1]
        let offset = try Self.damage(damage, sealed)
        let before = try snapshot(dir)

        let error = await expectLogError(.corruptSegment) { try await Log.open(at: dir, configuration: .small()) }
        #expect(error?.path == sealed.path)
        #expect(error?.offset == offset)
        #expect(error?.message.contains(sealed.name) == true, "\(String(describing: error))")
        #expect(try snapshot(dir) == before, "the refused open changed the directory")

        // The read-only paths say the same and change nothing either.
        let verified = expectLogErrorSync(.corruptSegment) { try LogReader(directory: dir).verify() }
        #expect(verified?.path == sealed.path && verified?.offset == offset)
        let scanned = expectLogErrorSync(.corruptSegment) { try readAll(dir) }
        #expect(scanned?.path == sealed.path && scanned?.offset == offset)
        #expect(try snapshot(dir) == before)
        // And the directory is not locked afterwards: a reopen reports the same again.
        let again = await expectLogError(.corruptSegment) { try await Log.open(at: dir, configuration: .small()) }
        #expect(again?.offset == offset)
    }

    /// Damage in the middle of the last segment with valid frames after it is not a torn write: acknowledged
    /// records lie beyond it, so the open refuses instead of cutting them off.
    @Test(arguments: [0, 1, 2])
    func damageBeforeTheLastFramesOfTheLastSegmentIsRefused(fromEnd: Int) async throws {
        let dir = temporaryPath("lastmid")
        defer { removeTree(dir) }
        _ = try await Self.makeLog(dir)
        let last = try segmentMaps(dir).last!
        let frame = last.frames[last.frames.count - 2 - fromEnd]
        var bytes = try readBytes(last.path)
        bytes[Int(frame.offset) + 30] ^= 0x20
        try writeBytes(bytes, to: last.path)
        let before = try snapshot(dir)
        let error = await expectLogError(.corruptSegment) { try await Log.open(at: dir, configuration: .small()) }
        #expect(error?.path == last.path)
        #expect(error?.offset == frame.offset)
        #expect(error?.message.contains("a later commit's frame follows") == true)
        #expect(try snapshot(dir) == before, "nothing was cut")
    }

    /// One group commit may write several frames with one `pwrite`; a power loss can leave later frames of that
    /// write on disk and an earlier one torn. Nothing of that commit was acknowledged, so it is a torn tail, cut
    /// back — unless a valid frame beyond the damage starts a commit of its own (even after frames that continue
    /// the damaged one's commit), which proves the damaged frame was synced before it.
    @Test(arguments: [([UInt16(1)], false), ([0], true), ([1, 2], false), ([1, 0], true)])
    func validFrameAfterDamageIsTornOnlyWithinOneCommit(laterIndices: [UInt16], refused: Bool) async throws {
        let dir = temporaryPath("commitindex")
        defer { removeTree(dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let encoder = FrameEncoder(maxBlockLength: 1 << 16)
        encoder.reset()
        var frames = ByteBuffer(capacity: 1 << 16)
        var offsets: [Int] = []
        let indices: [UInt16] = [0, 0] + laterIndices
        for (lsn, index) in zip(UInt64(1)..., indices) {
            offsets.append(SegmentHeader.size + frames.count)
            encoder.beginFrame(maxBlockLength: 1 << 10)
            let payload = Array("record \(lsn) of a commit".utf8)
            payload.withUnsafeBytes { encoder.add(lsn: LSN(lsn), tag: 1, payload: $0) }
            encoder.endFrame(into: &frames, commitIndex: index)
        }
        var bytes = SegmentHeader(baseLSN: .first).encoded() + Array(frames.bytes)
        bytes[offsets[1] + FrameHeader.size + 1] ^= 0x40  // tear the second frame
        let path = dir + "/" + LogDirectory.segmentName(base: .first)
        try writeBytes(bytes, to: path)
        if refused {
            let error = await expectLogError(.corruptSegment) { try await Log.open(at: dir, configuration: .small()) }
            #expect(error?.offset == Int64(offsets[1]))
        } else {
            let log = try await Log.open(at: dir, configuration: .small())
            #expect(log.recovery.truncatedTail?.offset == Int64(offsets[1]))
            #expect(try await log.entries().map(\.lsn) == [LSN(1)])
            try await log.close()
        }
    }

    /// A frame whose checksum is right but whose records do not parse (only a buggy writer makes one) at the end
    /// of the last segment is cut like a torn tail — and must not leave its bytes in the compression history the
    /// writer continues from, or frames appended afterwards decode differently on the next open.
    @Test(arguments: [0, 4 << 20])
    func checksummedButMalformedTailFrameIsCutCleanly(preallocationStep: Int) async throws {
        let dir = temporaryPath("malformed")
        defer { removeTree(dir) }
        let configuration = LogConfiguration.small(preallocationStep: preallocationStep)
        var rng = SeededGenerator(seed: 0xBAD)
        let log = try await Log.open(at: dir, configuration: configuration)
        var expected = try await log.appendEach((0..<20).map { _ in LogRecord(tag: 1, payload: textBytes(200, &rng)) })
        try await log.close()

        // The decoy: a raw frame holding one record of `pattern` but claiming two records.
        let pattern = randomBytes(3000, &rng)
        var block: [UInt8] = [0, 7, 0xB8, 0x17]  // delta 0, tag 7, length 3000
        block += pattern
        let header = FrameHeader(flags: 0, storedLength: UInt32(block.count), rawLength: UInt32(block.count), recordCount: 2, firstLSN: expected.last!.lsn.next)
        var frame = [UInt8](repeating: 0, count: FrameHeader.size)
        frame.withUnsafeMutableBytes { header.write(to: $0.baseAddress!) }
        frame += block
        let path = dir + "/" + (try segmentNames(dir).last!)
        let map = try segmentMap(path)
        // Checksummed as the segment's own frames are at that offset (format version 2: salt and offset).
        let crc = frame.withUnsafeBytes { CRC32C.checksum($0, continuing: map.header.checksumSeed(at: map.dataEnd)) }
        frame += withUnsafeBytes(of: crc.littleEndian) { Array($0) }
        var bytes = try readBytes(path)
        bytes.replaceSubrange(Int(map.dataEnd)..<min(bytes.count, Int(map.dataEnd) + frame.count), with: frame)
        try writeBytes(bytes, to: path)

        let reopened = try await Log.open(at: dir, configuration: configuration)
        #expect(reopened.recovery.truncatedTail?.offset == map.dataEnd, "\(reopened.recovery)")
        #expect(try await reopened.entries() == expected)
        // Records that the decoy's bytes would compress well against.
        expected += try await reopened.appendEach([
            LogRecord(tag: 8, payload: pattern), LogRecord(tag: 9, payload: Array(pattern[100..<2000]) + [1, 2, 3]),
        ])
        expected += try await reopened.appendBatch([LogRecord(tag: 10, payload: Array(pattern.reversed())), LogRecord(tag: 11, payload: pattern)])
        try await reopened.close()

        let third = try await Log.open(at: dir, configuration: configuration)
        #expect(third.recovery.truncatedTail == nil, "\(third.recovery)")
        #expect(try await third.entries() == expected)
        try await third.close()
    }

    /// A segment whose header names another base than its file name is damage, not a compaction leftover.
    @Test func segmentHeaderDisagreeingWithItsName() async throws {
        let dir = temporaryPath("misnamed")
        defer { removeTree(dir) }
        _ = try await Self.makeLog(dir)
        let maps = try segmentMaps(dir)
        var bytes = try readBytes(maps[2].path)
        let header = SegmentHeader(baseLSN: maps[2].header.baseLSN.next).encoded()
        bytes.replaceSubrange(0..<SegmentHeader.size, with: header)
        try writeBytes(bytes, to: maps[2].path)
        let before = try snapshot(dir)
        let error = await expectLogError(.corruptSegment) { try await Log.open(at: dir, configuration: .small()) }
        #expect(error?.path == maps[2].path)
        #expect(error?.offset == 16)
        #expect(try snapshot(dir) == before)
    }
}
