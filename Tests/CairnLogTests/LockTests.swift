import CairnLog
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `cairn-testhost` (Tools/cairn-testhost) running as a child process, its standard output collected as it comes.
///
/// The output is read without waiting for end-of-file: when tests run in parallel, a child started at the same
/// moment by another test can inherit the write end of this child's pipe and keep it open long after this child
/// exited. What a child wrote before it exited is in the pipe, so reading what is there after the exit gets it all.
final class TestHost: @unchecked Sendable {
    // @unchecked: `process` and `pipe` are set up in init, then only read (`processIdentifier`, `isRunning`,
    // `terminationStatus` are safe from any thread); the collected bytes are behind a Mutex.
    private let process = Process()
    private let pipe = Pipe()
    private let output = Locked<[UInt8]>([])

    /// The executable, built by `swift build` / `swift test` next to the test bundle.
    static var path: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cairn-testhost").path
    }

    init(_ arguments: String...) throws {
        let path = Self.path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw TestHostMissing(path: path) }
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        let fd = pipe.fileHandleForReading.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        try process.run()
    }

    deinit {
        if process.isRunning { Platform.kill(process.processIdentifier, SIGKILL) }
    }

    var pid: Int32 { process.processIdentifier }

    /// Reads whatever the child has written so far, without blocking.
    private func drain() {
        let fd = pipe.fileHandleForReading.fileDescriptor
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        output.withLock { bytes in
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n <= 0 { break }  // 0: end of file; -1: EAGAIN, nothing more for now
                bytes += buffer[0..<n]
            }
        }
    }

    /// The complete lines printed so far (a line cut short by a kill is not one).
    var lines: [String] {
        drain()
        let bytes = output.value
        guard let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        return String(decoding: bytes[...lastNewline], as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Waits until the printed lines satisfy `condition`; false when `seconds` pass first or the child exits.
    func waitFor(seconds: Double = 30, _ condition: ([String]) -> Bool) async -> Bool {
        _ = await poll(seconds: seconds) { condition(lines) || !process.isRunning }
        return condition(lines)
    }

    func kill(_ signal: Int32 = SIGKILL) {
        Platform.kill(process.processIdentifier, signal)
    }

    /// Waits for the child to exit; returns its exit status. Its output is complete afterwards.
    func waitForExit(seconds: Double = 30) async throws -> Int32 {
        guard await poll(seconds: seconds, { !process.isRunning }) else {
            kill()
            throw DeadlineExceeded(what: "cairn-testhost \(process.arguments ?? []) did not exit")
        }
        drain()
        return process.terminationStatus
    }
}

struct TestHostMissing: Error, CustomStringConvertible {
    var path: String
    var description: String { "cairn-testhost is not built at \(path): `swift build` builds it next to the test bundle" }
}

/// The payload `cairn-testhost log-append` gives record `index` (the same function as in Tools/cairn-testhost).
func testhostPayload(_ index: Int) -> [UInt8] {
    var bytes = Array("testhost record \(index) ".utf8)
    let extra = 16 + (index * 37) % 360
    for k in 0..<extra { bytes.append(UInt8(truncatingIfNeeded: index &* 31 &+ k &* 7)) }
    return bytes
}

@Suite struct LockTests {
    static func makeLog(_ dir: String) async throws -> [LogEntry] {
        let log = try await Log.open(at: dir, configuration: .small())
        let entries = try await log.appendEach((0..<50).map { LogRecord(tag: UInt8($0), payload: Array("record \($0)".utf8)) })
        try await log.close()
        return entries
    }

    @Test func secondOpenInTheSameProcessIsLocked() async throws {
        let dir = temporaryPath("lock")
        defer { removeTree(dir) }
        let entries = try await Self.makeLog(dir)
        let holder = try await Log.open(at: dir, configuration: .small())
        let before = try snapshot(dir)

        let error = await expectLogError(.locked) { try await Log.open(at: dir, configuration: .small()) }
        #expect(error?.path == dir)
        #expect(error?.message.contains("held by process \(getpid())") == true, "\(String(describing: error))")
        expectLogErrorSync(.locked) { try Log.openBlocking(at: dir, configuration: .small()) }
        expectLogErrorSync(.locked) { try Log.openBlocking(at: dir + "/", configuration: .small()) }
        #expect(try snapshot(dir) == before, "the refused opener wrote nothing")

        // The holder is unaffected; read-only readers need no lock.
        let lsn = try await holder.append(LogRecord(tag: 1, payload: [1]))
        #expect(lsn == LSN(51))
        #expect(try readAll(dir).count == 51)
        try await holder.close()

        let next = try await Log.open(at: dir, configuration: .small())
        #expect(try await next.entries().prefix(50) == entries[...])
        try await next.close()
    }

    /// An open that fails after taking the lock (here the caller's `visit` throws) gives it back.
    @Test func failedOpenReleasesTheLock() async throws {
        let dir = temporaryPath("failedopen")
        defer { removeTree(dir) }
        let entries = try await Self.makeLog(dir)
        struct Stop: Error {}
        let before = try snapshot(dir)
        await #expect(throws: Stop.self) {
            try await Log.open(at: dir, configuration: .small()) { record in if record.lsn == LSN(10) { throw Stop() } }
        }
        #expect(try snapshot(dir) == before)
        let log = try await Log.open(at: dir, configuration: .small())
        #expect(try await log.entries() == entries)
        try await log.close()
    }

    @Test func abandonReleasesTheLock() async throws {
        let dir = temporaryPath("abandon")
        defer { removeTree(dir) }
        let log = try await Log.open(at: dir, configuration: .small())
        _ = try await log.append(LogRecord(tag: 1, payload: [1]))
        log._abandon()
        await expectLogError(.closed) { try await log.append(LogRecord(tag: 1, payload: [2])) }
        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(reopened.recovery.recordCount == 1)
        try await reopened.close()
    }

    /// A `Log` dropped without `close()` lets its writer finish and then releases the lock.
    @Test func droppedLogReleasesTheLock() async throws {
        let dir = temporaryPath("dropped")
        defer { removeTree(dir) }
        func openAndDrop() async throws -> LSN {
            let log = try await Log.open(at: dir, configuration: .small())
            return try await log.append(LogRecord(tag: 1, payload: [1]))
        }
        let lsn = try await openAndDrop()
        var reopened: Log?
        let released = try await poll(seconds: 10) {
            do {
                reopened = try Log.openBlocking(at: dir, configuration: .small())
                return true
            } catch let error as LogError where error.code == .locked {
                return false
            }
        }
        #expect(released)
        #expect(try await reopened?.entries().map(\.lsn) == [lsn])
        try await reopened?.close()
    }

    @Test func secondProcessIsRefusedWhileAnotherHoldsTheLog() async throws {
        let dir = temporaryPath("xlock")
        defer { removeTree(dir) }
        let entries = try await Self.makeLog(dir)
        let holder = try TestHost("log-hold", dir)
        #expect(await holder.waitFor { $0.contains("ready") }, "holder printed \(holder.lines)")
        let before = try snapshot(dir)
        #expect(String(decoding: before["LOCK"] ?? [], as: UTF8.self) == "\(holder.pid)\n", "the lock file names its holder")

        // This process is refused, and told who holds the log.
        let error = await expectLogError(.locked) { try await Log.open(at: dir, configuration: .small()) }
        #expect(error?.message.contains("held by process \(holder.pid)") == true, "\(String(describing: error))")
        // So is a third process.
        let opener = try TestHost("log-open", dir)
        #expect(try await opener.waitForExit() == 3)
        #expect(opener.lines == ["locked"])
        #expect(try snapshot(dir) == before, "the refused openers wrote nothing")

        // The lock dies with its holder, however it dies.
        holder.kill(SIGKILL)
        _ = try await holder.waitForExit()
        let log = try await Log.open(at: dir, configuration: .small())
        #expect(try await log.entries() == entries)
        try await log.close()
    }

    @Test func anotherProcessIsRefusedWhileThisOneHoldsTheLog() async throws {
        let dir = temporaryPath("xlock2")
        defer { removeTree(dir) }
        _ = try await Self.makeLog(dir)
        let log = try await Log.open(at: dir, configuration: .small())
        let before = try snapshot(dir)
        let refused = try TestHost("log-open", dir)
        #expect(try await refused.waitForExit() == 3)
        #expect(refused.lines == ["locked"])
        #expect(try snapshot(dir) == before, "the refused process wrote nothing")
        try await log.close()
        let opened = try TestHost("log-open", dir)
        #expect(try await opened.waitForExit() == 0)
        #expect(opened.lines == ["opened"])
    }

    /// A process appending with `durability: .always` is SIGKILLed mid-stream: every record it was told is
    /// durable is there after recovery, with its bytes.
    @Test func killDuringAppendLosesNothingAcknowledged() async throws {
        let dir = temporaryPath("kill")
        defer { removeTree(dir) }
        let host = try TestHost("log-append", dir, "1000000", "8")
        #expect(await host.waitFor { $0.count >= 400 }, "printed \(host.lines.count) lines")
        host.kill(SIGKILL)
        _ = try await host.waitForExit()
        let acknowledged = host.lines.compactMap { line -> (lsn: LSN, index: Int)? in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let lsn = UInt64(parts[0]), let index = Int(parts[1]) else { return nil }
            return (LSN(lsn), index)
        }
        #expect(acknowledged.count >= 400)
        #expect(!host.lines.contains("done"), "killed before it finished")

        let log = try await Log.open(at: dir, configuration: .small())
        let entries = try await log.entries()
        try await log.close()
        #expect(entries.map(\.lsn.rawValue) == (0..<entries.count).map { UInt64($0 + 1) }, "no gaps")
        let byLSN = Dictionary(uniqueKeysWithValues: entries.map { ($0.lsn, $0) })
        for (lsn, index) in acknowledged {
            let entry = byLSN[lsn]
            #expect(entry?.payload == testhostPayload(index), "acknowledged LSN \(lsn) (record \(index))")
            #expect(entry?.tag == UInt8(truncatingIfNeeded: index))
        }
        // Whatever else survived is a record the host appended, whole.
        for entry in entries {
            let index = Int(String(decoding: entry.payload.prefix(40), as: UTF8.self).split(separator: " ")[2])
            #expect(index.map(testhostPayload) == entry.payload)
        }
    }
}
