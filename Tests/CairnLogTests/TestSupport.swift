import CairnLog
import CairnTestSupport
import Foundation
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Directories and files

/// A unique, not yet existing directory path under the temporary directory. Remove it with ``removeTree(_:)``.
func temporaryPath(_ label: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("cairn-\(label)-\(UUID().uuidString)").path
}

/// Removes `path` and everything under it (clearing the immutable flag a permission test may have left).
func removeTree(_ path: String) {
    if (try? FileManager.default.removeItem(atPath: path)) == nil, FileManager.default.fileExists(atPath: path) {
        _ = try? runCommand("/usr/bin/chattr", ["-R", "-i", path])
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs a program to completion; returns its exit status and combined output.
@discardableResult
func runCommand(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Every file in `directory` (not recursive) with its bytes: compare two snapshots to prove nothing changed.
func snapshot(_ directory: String) throws -> [String: [UInt8]] {
    var files: [String: [UInt8]] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
        files[name] = try readBytes(directory + "/" + name)
    }
    return files
}

/// Makes `directory` hold exactly the files of `files` with exactly their bytes.
func restore(_ directory: String, to files: [String: [UInt8]]) throws {
    for name in try FileManager.default.contentsOfDirectory(atPath: directory) where files[name] == nil {
        try FileManager.default.removeItem(atPath: directory + "/" + name)
    }
    for (name, bytes) in files { try writeBytes(bytes, to: directory + "/" + name) }
}

/// The segment file names of a log directory, in LSN order.
func segmentNames(_ directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted()
}

func fileMode(_ path: String) throws -> Int {
    var st = stat()
    guard stat(path, &st) == 0 else { throw POSIXError(.ENOENT) }
    return Int(st.st_mode & 0o7777)
}

// MARK: Frames

/// One frame of a segment as the package's reader sees it.
struct FrameInfo {
    var offset: Int64
    var length: Int
    var header: FrameHeader
    var entries: [LogEntry]
    var end: Int64 { offset + Int64(length) }
}

/// A segment's frames, where they stop, and why.
struct SegmentMap {
    var path: String
    var name: String
    var header: SegmentHeader
    var frames: [FrameInfo]
    /// The end of the last valid frame.
    var dataEnd: Int64
    var fileSize: Int64
    var end: SegmentReader.End

    var entries: [LogEntry] { frames.flatMap(\.entries) }

    /// The frame holding byte `offset`, if any.
    func frame(containing offset: Int64) -> Int? {
        frames.firstIndex { $0.offset <= offset && offset < $0.end }
    }
}

func segmentMap(_ path: String) throws -> SegmentMap {
    let reader = try SegmentReader(path: path)
    var frames: [FrameInfo] = []
    while true {
        let start = reader.offset
        var entries: [LogEntry] = []
        let step = try reader.next { lsn, tag, bytes in entries.append(LogEntry(lsn: lsn, tag: tag, payload: Array(bytes))) }
        switch step {
        case .frame(let header):
            frames.append(
                FrameInfo(offset: start, length: Int(reader.offset - start), header: header, entries: entries))
        case .end(let end):
            return SegmentMap(
                path: path, name: URL(fileURLWithPath: path).lastPathComponent, header: reader.header, frames: frames,
                dataEnd: reader.offset, fileSize: try reader.file.size(), end: end)
        }
    }
}

/// The maps of every segment of a log directory, in order.
func segmentMaps(_ directory: String) throws -> [SegmentMap] {
    try segmentNames(directory).map { try segmentMap(directory + "/" + $0) }
}

// MARK: Random data

/// The seed for a randomized test: `CAIRN_TEST_SEED` when set (to replay a failure), else a fresh one. Printed
/// either way, so every failure can be reproduced.
func testSeed(_ name: String) -> UInt64 {
    let seed = ProcessInfo.processInfo.environment["CAIRN_TEST_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
    print("\(name): seed \(seed) (rerun with CAIRN_TEST_SEED=\(seed))")
    return seed
}

func randomBytes(_ count: Int, _ rng: inout SeededGenerator) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        var word = rng.next()
        for _ in 0..<8 where i < count {
            bytes[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            i += 1
        }
    }
    return bytes
}

/// Bytes that compress like workflow events: words from a small vocabulary with numbers.
func textBytes(_ count: Int, _ rng: inout SeededGenerator) -> [UInt8] {
    let words = ["workflow", "order", "step", "charge-card", "reserve", "ship", "event", "started", "completed",
        "{\"id\":", "\"amount\":", "retry", "timeout", "customer"]
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 32)
    while bytes.count < count {
        bytes += Array(words[Int.random(in: 0..<words.count, using: &rng)].utf8)
        bytes += Array(" \(Int.random(in: 0..<1000, using: &rng)) ".utf8)
    }
    return Array(bytes.prefix(count))
}

/// A record of `size` bytes, compressible or not, with a random tag.
func randomRecord(size: Int, _ rng: inout SeededGenerator) -> LogRecord {
    let payload = Bool.random(using: &rng) ? randomBytes(size, &rng) : textBytes(size, &rng)
    return LogRecord(tag: UInt8.random(in: 0...255, using: &rng), payload: payload)
}

/// A size mix: many small records, some of 1 byte, some medium, a few near `maxSize` (and exactly it).
func randomSize(maxSize: Int, _ rng: inout SeededGenerator) -> Int {
    switch Int.random(in: 0..<100, using: &rng) {
    case 0..<8: 1
    case 8..<70: Int.random(in: 2...300, using: &rng)
    case 70..<95: Int.random(in: 301...8_000, using: &rng)
    case 95..<98: maxSize - Int.random(in: 0...64, using: &rng)
    default: maxSize
    }
}

// MARK: Logs

/// Recovery repairs are logged at `warning`; the tests make hundreds on purpose.
let quietLogger = Logger(label: "cairn.log.test") { _ in SwiftLogNoOpLogHandler() }

extension LogConfiguration {
    /// Small segments and no syncs: what most tests want.
    static func small(
        durability: Durability = .never, segmentSize: Int = 64 << 10, preallocationStep: Int = 4 << 20
    ) -> LogConfiguration {
        var configuration = LogConfiguration(durability: durability)
        configuration.logger = quietLogger
        configuration.segmentSize = segmentSize
        configuration.preallocationStep = preallocationStep
        return configuration
    }
}

extension LogEntry {
    init(_ lsn: LSN, _ record: LogRecord) { self.init(lsn: lsn, tag: record.tag, payload: record.payload) }
}

extension Log {
    /// Appends each record on its own (one frame per record) and returns the entries they became.
    func appendEach(_ records: [LogRecord]) async throws -> [LogEntry] {
        var entries: [LogEntry] = []
        for record in records { entries.append(LogEntry(try await append(record), record)) }
        return entries
    }

    /// Appends the records as one batch (one frame) and returns the entries they became.
    func appendBatch(_ records: [LogRecord]) async throws -> [LogEntry] {
        let lsns = try await append(contentsOf: records)
        #expect(lsns.upperBound.rawValue - lsns.lowerBound.rawValue + 1 == UInt64(records.count))
        return zip(lsns.lowerBound.rawValue...lsns.upperBound.rawValue, records).map { LogEntry(LSN($0), $1) }
    }
}

/// Every record of the log at `directory`, read without a lock.
func readAll(_ directory: String) throws -> [LogEntry] {
    try LogReader(directory: directory).entries()
}

// MARK: Errors

/// Runs `body`, which must throw a ``LogError`` with `code`; returns the error for further checks.
@discardableResult
func expectLogError<R>(
    _ code: LogError.Code, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> R
) async -> LogError? {
    do {
        _ = try await body()
        Issue.record("expected LogError .\(code), nothing was thrown. \(comment ?? "")", sourceLocation: sourceLocation)
    } catch let error as LogError {
        #expect(error.code == code, "\(error) \(comment ?? "")", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected LogError .\(code), got \(error). \(comment ?? "")", sourceLocation: sourceLocation)
    }
    return nil
}

/// The synchronous form of ``expectLogError(_:_:sourceLocation:_:)``.
@discardableResult
func expectLogErrorSync<R>(
    _ code: LogError.Code, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> R
) -> LogError? {
    do {
        _ = try body()
        Issue.record("expected LogError .\(code), nothing was thrown. \(comment ?? "")", sourceLocation: sourceLocation)
    } catch let error as LogError {
        #expect(error.code == code, "\(error) \(comment ?? "")", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected LogError .\(code), got \(error). \(comment ?? "")", sourceLocation: sourceLocation)
    }
    return nil
}

// MARK: Sharing

/// A value behind a lock that tasks can share.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout sending Value) throws -> sending R) rethrows -> sending R { try mutex.withLock(body) }
    var value: Value { mutex.withLock { $0 } }
}

// MARK: Waiting

struct DeadlineExceeded: Error, CustomStringConvertible {
    var what: String
    var description: String { "deadline exceeded: \(what)" }
}

/// Runs `body` and returns its result, or throws ``DeadlineExceeded`` (cancelling it) after `seconds`.
func withDeadline<T: Sendable>(
    seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await raceDeadline(.seconds(seconds), body, expired: { DeadlineExceeded(what: what) })
}


/// Polls `condition` every few milliseconds until it holds or `seconds` pass; returns whether it held.
func poll(seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try condition()
}
