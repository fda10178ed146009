import Cairn
import CairnLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only access to a log for the commands: a ``LogReader`` (no lock taken, nothing written) and the checks
/// that turn a wrong path into a clear error.
struct LogAccess {
    let directory: String
    let reader: LogReader

    /// Opens `directory` for reading.
    /// - Throws: ``CLIError`` when it is missing, not a directory, or not a Cairn log (no segment and no lock
    ///   file, or files Cairn does not write).
    init(_ directory: String) throws {
        self.directory = directory
        reader = try LogReader(directory: directory)
        let listing = try LogDirectory(path: directory).list()
        if listing.segments.isEmpty && access(directory + "/" + DirectoryLock.fileName, F_OK) != 0 {
            throw CLIError("\(directory) is not a Cairn log: it has no segment files", status: ExitStatus.notALog)
        }
    }

    /// The segments, in order, as an open would use them (superseded ones aside).
    func catalog() throws -> LogDirectory.Catalog { try LogDirectory(path: directory).catalog() }

    /// Bytes of the segment files.
    func bytes() -> Int64 {
        ((try? LogDirectory(path: directory).list().segments) ?? []).reduce(0) { $0 + fileSize(directory + "/" + $1.name) }
    }

    /// A guess at how many workflows the log holds (about 120 stored bytes each), to size tables up front.
    var expectedWorkflows: Int { Int(bytes() / 120) }

    /// Calls `body` with each record from `from` on; returns how the scan ended.
    @discardableResult
    func scan(from: LSN = .first, _ body: (LogRecordView) throws -> Bool) throws -> LogReader.ScanSummary {
        try reader.scan(from: from, body)
    }

    /// The process that holds the log's lock (an engine), if any, without touching the lock: read from
    /// `/proc/locks` on Linux.
    func lockHolder() -> Int32? { LockProbe.holder(of: directory + "/" + DirectoryLock.fileName) }
}

/// Finds who holds an `flock` on a file without taking (or racing for) the lock.
enum LockProbe {
    /// The kernel's table of locks: `/proc/locks` on Linux; nil where there is none (Darwin cannot tell).
    private static func openLockTable() -> UnsafeMutablePointer<FILE>? {
        #if canImport(Glibc)
        fopen("/proc/locks", "r")
        #else
        nil
        #endif
    }

    /// `nil` when the file has no lock, or the platform cannot tell.
    static func holder(of path: String) -> Int32? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        guard let file = openLockTable() else { return nil }
        defer { fclose(file) }
        let inode = UInt64(st.st_ino)
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            guard let line else { break }
            let fields = String(cString: line).split(separator: " ", omittingEmptySubsequences: true)
            // "1: FLOCK  ADVISORY  WRITE 1234 08:01:131075 0 EOF" (blocked waiters are marked "->").
            guard fields.count >= 6, fields[1] == "FLOCK" else { continue }
            let parts = fields[5].split(separator: ":")
            guard parts.count == 3, UInt64(parts[2]) == inode, let pid = Int32(fields[4]) else { continue }
            return pid
        }
        return nil
    }
}

