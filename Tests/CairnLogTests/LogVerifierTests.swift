import CairnLog
import CairnTestSupport
import Foundation
import Testing

/// `LogVerifier` (what `cairn verify` lists) and the open (what `Recovery` throws or cuts) judge a segment by one
/// rule, `SegmentVerdict`, and say it in the same words.
@Suite struct LogVerifierTests {
    /// Every finding and note of a read-only verification, one segment after another on this thread.
    static func verify(_ dir: String, lockHolder: Int32? = nil) throws -> (findings: [LogVerifier.Finding], notes: [String]) {
        let verifier = try LogVerifier(directory: LogDirectory(path: dir), lockHolder: lockHolder)
        var findings = verifier.headerFindings
        var notes = verifier.notes
        var sequence = LogVerifier.Sequence()
        for i in verifier.segments.indices {
            var visitor = FramesOnly()
            let check = verifier.check(segment: i, visitor: &visitor)
            findings += sequence.findings(after: check, of: verifier.segments[i], isLast: i == verifier.segments.count - 1)
            findings += check.findings
            notes += check.notes
        }
        return (findings, notes)
    }

    /// Flips random bits anywhere in a log and checks that the verifier lists what the open does: the error it
    /// throws (same file, offset and words), the tail it cuts (as the one repairable finding), or nothing.
    @Test func findingsAreWhatTheOpenDoes() async throws {
        let dir = temporaryPath("verifier")
        defer { removeTree(dir) }
        let seed = testSeed("findingsAreWhatTheOpenDoes")
        var rng = SeededGenerator(seed: seed)
        _ = try await CorruptionTests.makeLog(dir, segments: 3)
        let pristine = try snapshot(dir)
        let maps = try segmentMaps(dir)
        var seen: Set<String> = []
        for iteration in 0..<120 {
            try restore(dir, to: pristine)
            let file = Int.random(in: 0..<maps.count, using: &rng)
            let map = maps[file]
            let offset: Int64
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: offset = Int64.random(in: 0..<map.dataEnd, using: &rng)
            case 1: offset = map.frames.randomElement(using: &rng)!.offset + Int64.random(in: 0..<28, using: &rng)
            case 2: offset = map.frames.last!.offset + Int64.random(in: 0..<28, using: &rng)
            default:
                // The last segment's zero fill: where its next frame header would start (a torn tail), or beyond
                // (never read: clean).
                let last = maps[maps.count - 1]
                let near = Bool.random(using: &rng)
                offset = Int64.random(in: last.dataEnd..<(near ? last.dataEnd + 28 : last.fileSize), using: &rng)
                var bytes = pristine[last.name]!
                bytes[Int(offset)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                try writeBytes(bytes, to: last.path)
                try check(dir, context: "iteration \(iteration), seed \(seed): byte \(offset) of \(last.name)", seen: &seen)
                continue
            }
            var bytes = pristine[map.name]!
            bytes[Int(offset)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            try writeBytes(bytes, to: map.path)
            try check(dir, context: "iteration \(iteration), seed \(seed): byte \(offset) of \(map.name)", seen: &seen)
        }
        #expect(seen.count >= 3, "damage of several kinds was exercised: \(seen)")
    }

    /// Compares the verifier's findings with what a read-only open of `dir` says.
    private func check(_ dir: String, context: String, seen: inout Set<String>) throws {
        let (findings, _) = try Self.verify(dir)
        do {
            let report = try LogReader(directory: dir).verify()
            if let tail = report.truncatedTail {
                seen.insert("torn")
                #expect(findings.count == 1, "\(context): \(findings)")
                #expect(findings.first?.repairable == true, "\(context)")
                #expect(findings.first?.file == tail.file && findings.first?.offset == tail.offset, "\(context): \(findings)")
                #expect(findings.first?.message.contains(tail.reason) == true, "\(context): \(findings)")
            } else {
                seen.insert("clean")
                #expect(findings.isEmpty, "\(context): \(findings)")
            }
        } catch let error as LogError {
            seen.insert(error.code.description)
            let name = URL(fileURLWithPath: error.path ?? "").lastPathComponent
            let same = findings.first { $0.file == name && $0.offset == error.offset }
            #expect(same != nil, "\(context): the open threw \(error); the verifier found \(findings)")
            #expect(same.map { error.message.hasPrefix($0.message) } == true, "\(context): \(error.message) vs \(same?.message ?? "")")
            #expect(same?.repairable == false, "\(context)")
        }
    }

    @Test func missingSegmentIsFoundInTheOpensWords() async throws {
        let dir = temporaryPath("verifier-missing")
        defer { removeTree(dir) }
        _ = try await CorruptionTests.makeLog(dir, segments: 4)
        let names = try segmentNames(dir)
        try FileManager.default.removeItem(atPath: dir + "/" + names[1])
        let error = try #require(expectLogErrorSync(.missingSegment) { try LogReader(directory: dir).verify() })
        let (findings, _) = try Self.verify(dir)
        #expect(findings.count == 1, "\(findings)")
        #expect(findings.first?.message == error.message)
        #expect(findings.first?.lsn == error.lsn)
    }

    /// A bad tail while an engine holds the lock is a write in progress: a note, not a problem.
    @Test func incompleteTailUnderALockIsANote() async throws {
        let dir = temporaryPath("verifier-tail")
        defer { removeTree(dir) }
        _ = try await CorruptionTests.makeLog(dir, segments: 2)
        let last = try #require(try segmentMaps(dir).last)
        try writeBytes(Array(try readBytes(last.path).prefix(Int(last.dataEnd) - 5)), to: last.path)
        let free = try Self.verify(dir)
        #expect(free.findings.count == 1 && free.findings.first?.repairable == true, "\(free.findings)")
        #expect(free.findings.first?.message.hasPrefix("torn tail") == true)
        let locked = try Self.verify(dir, lockHolder: 4242)
        #expect(locked.findings.isEmpty, "\(locked.findings)")
        #expect(locked.notes.contains { $0.contains("write in progress") && $0.contains("4242") }, "\(locked.notes)")
    }

    /// The verifier reads segments two at a time on threads of their own and hands them back in order.
    @Test func checkAllHandsSegmentsBackInOrder() async throws {
        let dir = temporaryPath("verifier-order")
        defer { removeTree(dir) }
        let entries = try await CorruptionTests.makeLog(dir, segments: 5)
        let verifier = try LogVerifier(directory: LogDirectory(path: dir), lockHolder: nil)
        var order: [Int] = []
        var records = 0
        await verifier.checkAll(makeVisitor: { _ in FramesOnly() }) { index, check, _ in
            order.append(index)
            records += check.records
            #expect(check.findings.isEmpty)
        }
        #expect(order == Array(verifier.segments.indices))
        #expect(records == entries.count)
    }
}
