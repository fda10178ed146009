#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The exclusive lock on a log directory: `flock` on its `LOCK` file, held for the life of the ``Log``.
///
/// `flock` locks belong to the open file description, so a second `open` of the same directory in *this* process
/// conflicts just as another process does. The holder's PID is written into the file so the error can name it.
/// The lock dies with the process, so a crash never leaves a stale lock behind.
///
/// The file also carries the *failed-sync mark*: after a failed `fsync` the kernel may keep the pages it could not
/// write in its cache, marked clean, so a later open in the same boot would read bytes that never reached the
/// disk as valid. The writer then records here how far the segment was last synced, and the next open cuts it
/// back to that before it reads anything. The mark needs to live exactly as long as those cached pages: it is
/// written, not synced (a sync could fail on the same disk), and the page cache keeps it until the next open.
///
/// ```
/// 12345                                   the holder's PID
/// synced 00000000000000000731.seg 81920   the failed-sync mark, when there is one
/// ```
package final class DirectoryLock: Sendable {
    package static let fileName = "LOCK"
    private let file: File
    private let pid: String
    /// The failed-sync mark found when the lock was taken: a segment that must be cut back to the offset.
    package let failedSync: FailedSync?

    /// A segment whose tail after `syncedUntil` was written but not durably synced.
    package struct FailedSync: Sendable, Equatable {
        package var segment: String
        package var syncedUntil: Int64
    }

    private init(file: File, pid: String, failedSync: FailedSync?) {
        self.file = file
        self.pid = pid
        self.failedSync = failedSync
    }

    package static func acquire(directory: String) throws(LogError) -> DirectoryLock {
        let path = directory + "/" + fileName
        let file = try File.open(path, O_RDWR | O_CREAT, mode: 0o600)
        if retryingEINTR({ flock(file.descriptor, LOCK_EX | LOCK_NB) }) != 0 {
            let code = errno
            guard code == EWOULDBLOCK else { throw .system("flock", path: path, errno: code) }
            var holder = ""
            let lines = (try? file.read(count: 256, at: 0)).map { Self.lines($0) } ?? []
            if let pid = lines.first, !pid.isEmpty { holder = " (held by process \(pid))" }
            throw LogError(
                .locked,
                "the log directory is in use by another Log\(holder); close that one, or stop that process, first",
                path: directory)
        }
        // A mark left by the previous holder stays in the file until the open that applies it succeeds.
        let failedSync = Self.lines(try file.read(count: 256, at: 0)).dropFirst().lazy.compactMap(FailedSync.init(line:)).first
        let lock = DirectoryLock(file: file, pid: "\(getpid())", failedSync: failedSync)
        try lock.rewrite(failedSync)
        return lock
    }

    /// Records that `segment` is durable only up to `syncedUntil` (see the type's discussion).
    package func recordFailedSync(_ mark: FailedSync) throws(LogError) {
        try rewrite(mark)
    }

    /// Removes the failed-sync mark, once the segment was cut back. Durably: the mark itself may have reached the
    /// disk by ordinary write-back, and a mark that outlived the new writer's synced appends would cut them off at
    /// the open after a power loss.
    package func clearFailedSync() throws(LogError) {
        try rewrite(nil)
        try file.sync()
    }

    private func rewrite(_ mark: FailedSync?) throws(LogError) {
        var text = pid + "\n"
        if let mark { text += "synced \(mark.segment) \(mark.syncedUntil)\n" }
        // Write, then cut: a crash in between leaves the old mark or the new one, never none.
        let bytes = Array(text.utf8)
        try file.write(bytes, at: 0)
        try file.truncate(to: Int64(bytes.count))
    }

    /// Releases the lock (also released when the process exits, however it exits).
    package func release() {
        _ = flock(file.descriptor, LOCK_UN)
    }

    private static func lines(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { String($0).trimmingTrailingWhitespace }
    }
}

extension DirectoryLock.FailedSync {
    /// Parses `synced NAME OFFSET`; anything else (a foreign line, a name that is not a segment's) is no mark.
    init?(line: String) {
        let parts = line.split(separator: " ")
        guard parts.count == 3, parts[0] == "synced", LogDirectory.base(ofSegmentNamed: String(parts[1])) != nil,
            let offset = Int64(parts[2]), offset >= Int64(SegmentHeader.size)
        else { return nil }
        self.init(segment: String(parts[1]), syncedUntil: offset)
    }
}

extension String {
    fileprivate var trimmingTrailingWhitespace: String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }
}
