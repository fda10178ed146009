import CairnLog
import CairnTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether `chattr +i` works here (root on ext4 and friends): the immutable flag refuses writes even to root,
/// which ignores mode bits. Evaluated once; the permission tests are skipped, saying why, where it does not.
let immutableFlagWorks: Bool = {
    let probe = temporaryPath("chattr-probe")
    defer { removeTree(probe) }
    guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: false)) != nil,
        let set = try? runCommand("/usr/bin/chattr", ["+i", probe]), set.status == 0
    else { return false }
    defer { _ = try? runCommand("/usr/bin/chattr", ["-i", probe]) }
    return open(probe + "/x", O_CREAT | O_WRONLY, 0o600) < 0 && errno == EPERM
}()

/// Runs `body` with `path` made immutable (`chattr +i`), clearing the flag afterwards whatever happens.
func withImmutable<R>(_ path: String, _ body: () async throws -> R) async throws -> R {
    let set = try runCommand("/usr/bin/chattr", ["+i", path])
    try #require(set.status == 0, "chattr +i \(path) failed: \(set.output)")
    defer { _ = try? runCommand("/usr/bin/chattr", ["-i", path]) }
    return try await body()
}

@Suite struct BadInputTests {
    static func makeLog(_ dir: String) async throws -> (Log, [LogEntry]) {
        let log = try await Log.open(at: dir, configuration: .small())
        let entries = try await log.appendEach((0..<20).map { LogRecord(tag: UInt8($0), payload: Array("record \($0)".utf8)) })
        return (log, entries)
    }

    @Test func emptyRecordsAreRefusedAndNothingIsWritten() async throws {
        let dir = temporaryPath("empty-record")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir)
        let error = await expectLogError(.emptyRecord) { try await log.append(LogRecord(tag: 3, payload: [])) }
        #expect(error?.message.contains("nothing was written") == true)
        await expectLogError(.emptyRecord) { try await log.append(contentsOf: []) }
        // A batch is all or nothing: one empty record refuses the whole batch.
        await expectLogError(.emptyRecord) {
            try await log.append(contentsOf: [LogRecord(tag: 1, payload: [1]), LogRecord(tag: 2, payload: []), LogRecord(tag: 3, payload: [3])])
        }
        #expect(log.lastLSN == entries.last?.lsn)
        // The log is not harmed: the next record gets the next LSN.
        let next = try await log.append(LogRecord(tag: 4, payload: [4]))
        #expect(next == LSN(21))
        try await log.close()
        #expect(try readAll(dir) == entries + [LogEntry(lsn: next, tag: 4, payload: [4])])
    }

    @Test func oversizedRecordsAreRefusedAndNothingIsWritten() async throws {
        let dir = temporaryPath("oversized")
        defer { removeTree(dir) }
        var configuration = LogConfiguration.small()
        configuration.maxRecordSize = 1000
        let log = try await Log.open(at: dir, configuration: configuration)
        let error = await expectLogError(.recordTooLarge) { try await log.append(LogRecord(tag: 1, payload: [UInt8](repeating: 1, count: 1001))) }
        #expect(error?.message.contains("1001") == true)
        await expectLogError(.recordTooLarge) {
            try await log.append(contentsOf: [LogRecord(tag: 1, payload: [1]), LogRecord(tag: 2, payload: [UInt8](repeating: 2, count: 5000))])
        }
        #expect(log.lastLSN == nil)
        let fits = try await log.append(LogRecord(tag: 1, payload: [UInt8](repeating: 9, count: 1000)))
        #expect(fits == .first)
        try await log.close()
        #expect(try readAll(dir).map(\.lsn) == [.first])
    }

    @Test func pathThatIsARegularFile() async throws {
        let base = temporaryPath("regular")
        defer { removeTree(base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false)
        let file = base + "/log"
        try writeBytes(Array("not a log".utf8), to: file)
        let error = await expectLogError(.notADirectory) { try await Log.open(at: file, configuration: .small()) }
        #expect(error?.path == file)
        // A path running through a regular file.
        await expectLogError(.notADirectory) { try await Log.open(at: file + "/sub", configuration: .small()) }
        expectLogErrorSync(.notADirectory) { try LogReader(directory: file) }
        #expect(try readBytes(file) == Array("not a log".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: base) == ["log"])
    }

    /// An empty path names no directory; it must not be taken as the root (`/LOCK`, `/<segment>`).
    @Test func emptyPathIsRefused() async throws {
        try #require(!FileManager.default.fileExists(atPath: "/LOCK"), "a /LOCK exists already; cannot tell who made it")
        let rootBefore = Set(try FileManager.default.contentsOfDirectory(atPath: "/"))
        defer {
            // If the bug is back, do not leave its litter at the root of the machine: remove only what is new and
            // named like the log's files.
            let root = (try? FileManager.default.contentsOfDirectory(atPath: "/")) ?? []
            for name in root where !rootBefore.contains(name) && (name == "LOCK" || name.hasSuffix(".seg") || name.hasSuffix(".seg.tmp")) {
                try? FileManager.default.removeItem(atPath: "/" + name)
            }
        }
        await expectLogError(.invalidArgument) { try await Log.open(at: "", configuration: .small()) }
        #expect(!FileManager.default.fileExists(atPath: "/LOCK"))
        await expectLogError(.notFound) { try LogReader(directory: "") }
    }

    @Test(.enabled(if: immutableFlagWorks, "needs `chattr +i` (root on ext4) to make a directory unwritable for root"))
    func directoryWithoutPermission() async throws {
        let dir = temporaryPath("immutable")
        defer { removeTree(dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        try await withImmutable(dir) { () async throws in
            let error = await expectLogError(.permissionDenied) { try await Log.open(at: dir, configuration: .small()) }
            #expect(error?.errno == EPERM || error?.errno == EACCES)
            #expect(error?.path?.hasPrefix(dir) == true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "nothing was written")
        }
    }

    @Test(.enabled(if: immutableFlagWorks, "needs `chattr +i` (root on ext4) to make a directory unwritable for root"))
    func missingDirectoryInAParentWithoutPermission() async throws {
        let parent = temporaryPath("immutable-parent")
        defer { removeTree(parent) }
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: false)
        try await withImmutable(parent) { () async throws in
            let error = await expectLogError(.permissionDenied) { try await Log.open(at: parent + "/log", configuration: .small()) }
            #expect(error?.path == parent + "/log")
            #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty)
        }
    }

    /// An existing log in a directory where no file can be created: refused at open, not at the first segment
    /// roll hours later (which would poison the log).
    @Test(.enabled(if: immutableFlagWorks, "needs `chattr +i` (root on ext4) to make a directory unwritable for root"))
    func existingLogInADirectoryWithoutPermission() async throws {
        let dir = temporaryPath("immutable-log")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir)
        try await log.close()
        let before = try snapshot(dir)
        try await withImmutable(dir) { () async throws in
            let error = await expectLogError(.permissionDenied) { try await Log.open(at: dir, configuration: .small()) }
            #expect(error?.path == dir)
            #expect(try snapshot(dir) == before, "nothing was written")
            // Reading needs no write access.
            #expect(try readAll(dir) == entries)
        }
    }

    @Test(arguments: [false, true])
    func segmentFromANewerFormatVersion(inSealedSegment: Bool) async throws {
        let dir = temporaryPath("newer")
        defer { removeTree(dir) }
        let log = try await Log.open(at: dir, configuration: .small())
        var rng = SeededGenerator(seed: 3)
        while try segmentNames(dir).count < 3 { _ = try await log.append(randomRecord(size: 2000, &rng)) }
        try await log.close()
        let names = try segmentNames(dir)
        let path = dir + "/" + (inSealedSegment ? names[1] : names[2])
        var bytes = try readBytes(path)
        bytes[8] = 3  // format version 3, little-endian u16 at byte 8
        let crc = CRC32C.checksum(Array(bytes[0..<36]))
        bytes.replaceSubrange(36..<40, with: withUnsafeBytes(of: crc.littleEndian) { Array($0) })
        try writeBytes(bytes, to: path)
        let before = try snapshot(dir)

        let error = await expectLogError(.unsupportedFormatVersion) { try await Log.open(at: dir, configuration: .small()) }
        #expect(error?.path == path)
        #expect(error?.offset == 8)
        #expect(error?.message.contains("version 3") == true)
        expectLogErrorSync(.unsupportedFormatVersion) { try LogReader(directory: dir).verify() }
        expectLogErrorSync(.unsupportedFormatVersion) { try readAll(dir) }
        #expect(try snapshot(dir) == before, "nothing was written or lost")
    }

    @Test(arguments: ["notes.txt", "00000000000000000001.seg.bak", "1.seg", "00000000000000000000.seg", "lock", ".hidden"])
    func foreignFileIsRefusedAndLeftInPlace(name: String) async throws {
        let dir = temporaryPath("foreign")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir)
        try await log.close()
        try writeBytes(Array("mine".utf8), to: dir + "/" + name)
        let before = try snapshot(dir)
        let error = await expectLogError(.foreignFile) { try await Log.open(at: dir, configuration: .small()) }
        #expect(error?.path == dir + "/" + name)
        #expect(error?.message.contains(name) == true)
        expectLogErrorSync(.foreignFile) { try LogReader(directory: dir) }
        #expect(try snapshot(dir) == before, "the foreign file and the log are left as they were")
        try FileManager.default.removeItem(atPath: dir + "/" + name)
        #expect(try readAll(dir) == entries)
    }

    @Test func foreignDirectoryIsRefused() async throws {
        let dir = temporaryPath("foreign-dir")
        defer { removeTree(dir) }
        try await Self.makeLog(dir).0.close()
        try FileManager.default.createDirectory(atPath: dir + "/backup", withIntermediateDirectories: false)
        await expectLogError(.foreignFile) { try await Log.open(at: dir, configuration: .small()) }
        #expect(FileManager.default.fileExists(atPath: dir + "/backup"))
    }

    enum InvalidConfiguration: String, CaseIterable, Sendable {
        case segmentTooSmall, segmentNegative, maxRecordZero, maxRecordNegative, maxRecordTooLarge, maxRecordHuge
        case frameTooSmall, frameTooLarge, frameHuge, preallocationNegative, preallocationTooLarge, preallocationHuge
        case intervalZero, intervalNegative

        func apply(_ c: inout LogConfiguration) {
            switch self {
            case .segmentTooSmall: c.segmentSize = (64 << 10) - 1
            case .segmentNegative: c.segmentSize = .min
            case .maxRecordZero: c.maxRecordSize = 0
            case .maxRecordNegative: c.maxRecordSize = -5
            case .maxRecordTooLarge: c.maxRecordSize = (64 << 20) + 1
            case .maxRecordHuge: c.maxRecordSize = .max
            case .frameTooSmall: c.targetFrameSize = 1023
            case .frameTooLarge: c.targetFrameSize = (64 << 20) + 1
            case .frameHuge: c.targetFrameSize = .max  // once an overflow trap in the writer
            case .preallocationNegative: c.preallocationStep = -1
            case .preallocationTooLarge: c.preallocationStep = (1 << 30) + 1
            case .preallocationHuge: c.preallocationStep = .max  // once an overflow trap in the writer
            case .intervalZero: c.durability = .interval(milliseconds: 0)
            case .intervalNegative: c.durability = .interval(milliseconds: -10)
            }
        }
    }

    @Test(arguments: InvalidConfiguration.allCases)
    func invalidConfigurationIsRefusedBeforeTouchingTheDisk(invalid: InvalidConfiguration) async throws {
        let dir = temporaryPath("config")
        defer { removeTree(dir) }
        var configuration = LogConfiguration.small()
        invalid.apply(&configuration)
        await expectLogError(.invalidArgument) { try await Log.open(at: dir, configuration: configuration) }
        #expect(!FileManager.default.fileExists(atPath: dir), "the directory was not created")
    }

    @Test func limitsAreInclusive() async throws {
        let dir = temporaryPath("limits")
        defer { removeTree(dir) }
        var configuration = LogConfiguration.small(segmentSize: 64 << 10, preallocationStep: 0)
        configuration.maxRecordSize = 64 << 20
        configuration.targetFrameSize = 64 << 20
        try await Log.open(at: dir, configuration: configuration).close()
        configuration.targetFrameSize = 1 << 10
        configuration.preallocationStep = 1 << 30
        try await Log.open(at: dir, configuration: configuration).close()
        configuration.preallocationStep = 0
        configuration.durability = .interval(milliseconds: 1)
        let log = try await Log.open(at: dir, configuration: configuration)
        configuration.maxRecordSize = 1
        try await log.close()
        let tiny = try await Log.open(at: dir, configuration: configuration)
        #expect(try await tiny.append(LogRecord(tag: 0, payload: [0])) == .first)
        await expectLogError(.recordTooLarge) { try await tiny.append(LogRecord(tag: 0, payload: [0, 0])) }
        try await tiny.close()
    }

    /// A batch is one frame, and readers refuse frames over 256 MiB as damage: so the writer refuses such a batch
    /// up front rather than write what a reopen would cut off.
    @Test func batchLargerThanTheLargestFrameIsRefused() async throws {
        let dir = temporaryPath("bigbatch")
        defer { removeTree(dir) }
        var configuration = LogConfiguration.small()
        configuration.maxRecordSize = 64 << 20
        let log = try await Log.open(at: dir, configuration: configuration)
        let big = LogRecord(tag: 1, payload: [UInt8](repeating: 7, count: 64 << 20))  // shared, not copied
        let error = await expectLogError(.recordTooLarge) { try await log.append(contentsOf: [big, big, big, big, big]) }
        #expect(error?.message.contains("smaller batches") == true)
        #expect(log.lastLSN == nil)
        #expect(try await log.append(LogRecord(tag: 2, payload: [2])) == .first)
        try await log.close()
        #expect(try readAll(dir).count == 1)
    }

    @Test func appendAfterCloseIsRefused() async throws {
        let dir = temporaryPath("closed")
        defer { removeTree(dir) }
        let (log, entries) = try await Self.makeLog(dir)
        try await log.close()
        try await log.close()  // closing twice is harmless
        let error = await expectLogError(.closed) { try await log.append(LogRecord(tag: 1, payload: [1])) }
        #expect(error?.path == dir)
        await expectLogError(.closed) { try await log.append(contentsOf: [LogRecord(tag: 1, payload: [1])]) }
        #expect(try readAll(dir) == entries)
    }
}
