#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file and the path it was opened from, with the few system calls the log needs, each turning an `errno`
/// into a ``LogError`` that names the file. Calls go through the log's ``FileSystem``; here they are retried on
/// `EINTR`, and short reads and writes are continued.
///
/// Every call here blocks: they run on the writer thread, a dedicated thread, or (for reads) in synchronous APIs
/// documented as blocking — never on Swift's cooperative pool from the log's async APIs.
package final class File: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init; the kernel serialises concurrent calls on one fd,
    // and the log never shares a File between threads that both write.
    package let descriptor: Int32
    package let path: String
    package let fileSystem: any FileSystem

    private init(descriptor: Int32, path: String, fileSystem: any FileSystem) {
        self.descriptor = descriptor
        self.path = path
        self.fileSystem = fileSystem
    }

    deinit { fileSystem.close(descriptor) }

    /// Opens `path` with `flags` on `fileSystem`; `mode` applies when the file is created.
    ///
    /// Unless `flags` has `O_DIRECTORY`, the file must be a regular file and not a symbolic link: a log directory
    /// holds only the files Cairn makes. A link there (a `LOCK` pointing elsewhere would have its target truncated)
    /// or a FIFO, device or directory under a log file's name is refused with ``LogError/Code/foreignFile``:
    /// checked with `lstat` before the open (so a device is never opened), opened with `O_NOFOLLOW | O_NONBLOCK`
    /// (a link or FIFO swapped in meanwhile can neither be followed nor hang the open), and checked again with
    /// `fstat`.
    package static func open(_ path: String, _ flags: Int32, mode: UInt32 = 0o600, in fileSystem: any FileSystem)
        throws(LogError) -> File
    {
        let regular = flags & O_DIRECTORY == 0
        if regular, let status = try? fileSystem.linkStatus(atPath: path) { try requireRegular(status.kind, path) }
        let extra = regular ? O_NOFOLLOW | O_NONBLOCK : 0
        let fd: Int32
        do {
            fd = try fileSystem.retryingInterrupts { () throws(Errno) in
                try fileSystem.open(path, flags: flags | extra, mode: mode)
            }
        } catch {
            if regular && error.code == ELOOP { try requireRegular(.symbolicLink, path) }
            if regular && error.code == ENXIO { try requireRegular(.fifo, path) }
            throw .system("open", path: path, errno: error.code)
        }
        let file = File(descriptor: fd, path: path, fileSystem: fileSystem)
        guard regular else { return file }
        try requireRegular(try file.status().kind, path)
        // Back to blocking I/O (O_NONBLOCK was for the open only; it means nothing for regular files on Linux).
        fileSystem.clearNonBlocking(fd)
        return file
    }

    private static func requireRegular(_ kind: FileStatus.Kind, _ path: String) throws(LogError) {
        guard kind != .regular else { return }
        if kind == .symbolicLink {
            throw LogError(
                .foreignFile,
                "this is a symbolic link; Cairn does not follow links in its log directory — replace it with the file itself, or move it out",
                path: path)
        }
        let what = kind == .directory ? "a directory" : kind == .fifo ? "a FIFO" : kind == .socket ? "a socket" : "a device or special file"
        throw LogError(
            .foreignFile, "this is \(what), not a regular file as Cairn's log writes; move it out of the log directory",
            path: path)
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at end of file.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LogError) -> Int {
        var done = 0
        while done < buffer.count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
            let n: Int
            do {
                n = try fileSystem.retryingInterrupts { () throws(Errno) in
                    try fileSystem.read(descriptor, into: rest, at: offset + Int64(done))
                }
            } catch {
                throw .system("pread", path: path, offset: offset + Int64(done), errno: error.code)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `bytes` at `offset`.
    package func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(LogError) {
        var done = 0
        while done < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[done...])
            do {
                done += try fileSystem.retryingInterrupts { () throws(Errno) in
                    try fileSystem.write(descriptor, rest, at: offset + Int64(done))
                }
            } catch {
                throw .system("pwrite", path: path, offset: offset + Int64(done), errno: error.code)
            }
        }
    }

    /// Writes all of `bytes` at `offset`.
    package func write(_ bytes: [UInt8], at offset: Int64) throws(LogError) {
        let result: Result<Void, LogError> = bytes.withUnsafeBytes { b in
            Result { () throws(LogError) in try write(b, at: offset) }
        }
        try result.get()
    }

    /// Reads up to `count` bytes at `offset`.
    package func read(count: Int, at offset: Int64) throws(LogError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let result: Result<Int, LogError> = bytes.withUnsafeMutableBytes { b in
            Result { () throws(LogError) in try read(into: b, at: offset) }
        }
        bytes.removeSubrange(try result.get()...)
        return bytes
    }

    /// `fdatasync` (`F_FULLFSYNC` on Darwin): the file's data and the metadata needed to read it back are durable.
    package func syncData() throws(LogError) {
        do { try fileSystem.retryingInterrupts { () throws(Errno) in try fileSystem.syncData(descriptor) } } catch {
            throw .system(Platform.syncDataCall, path: path, errno: error.code)
        }
    }

    /// `fsync` (`F_FULLFSYNC` on Darwin): data and all metadata (size included) are durable.
    package func sync() throws(LogError) {
        do { try fileSystem.retryingInterrupts { () throws(Errno) in try fileSystem.sync(descriptor) } } catch {
            throw .system("fsync", path: path, errno: error.code)
        }
    }

    package func truncate(to length: Int64) throws(LogError) {
        do {
            try fileSystem.retryingInterrupts { () throws(Errno) in try fileSystem.truncate(descriptor, to: length) }
        } catch {
            throw .system("ftruncate", path: path, offset: length, errno: error.code)
        }
    }

    /// Whether `path` names the file this descriptor is open on (not, say, one renamed over it since).
    package func isSameFile(as path: String) throws(LogError) -> Bool {
        let mine = try status()
        let theirs: FileStatus
        do {
            theirs = try fileSystem.retryingInterrupts { () throws(Errno) in try fileSystem.status(atPath: path) }
        } catch {
            if error.code == ENOENT { return false }
            throw .system("stat", path: path, errno: error.code)
        }
        return mine.device == theirs.device && mine.inode == theirs.inode
    }

    package func size() throws(LogError) -> Int64 { try status().size }

    package func status() throws(LogError) -> FileStatus {
        do { return try fileSystem.retryingInterrupts { () throws(Errno) in try fileSystem.status(descriptor) } } catch {
            throw .system("fstat", path: path, errno: error.code)
        }
    }

    /// `flock(LOCK_EX | LOCK_NB)`; throws the raw `errno` (`EWOULDBLOCK` when another holds it).
    package func lockExclusive() throws(Errno) {
        try fileSystem.retryingInterrupts { () throws(Errno) in try fileSystem.lockExclusive(descriptor) }
    }

    package func unlock() { fileSystem.unlock(descriptor) }
}

extension LogError {
    /// An error for a failed system call, from the current `errno`.
    package static func system(
        _ call: String, path: String, offset: Int64? = nil, errno code: Int32 = Platform.errno,
        file: String = #fileID, line: Int = #line
    ) -> LogError {
        let reason = Platform.describe(errno: code)
        switch code {
        case EACCES, EPERM:
            return LogError(
                .permissionDenied,
                "\(call) was refused (\(reason)); give this process read and write access to the log directory",
                path: path, offset: offset, errno: code, file: file, line: line)
        case ENOSPC, EDQUOT:
            return LogError(
                .diskFull, "\(call) failed: the disk is full (\(reason)); free space, then retry", path: path,
                offset: offset, errno: code, file: file, line: line)
        case ENOENT:
            return LogError(
                .notFound, "\(call) failed: no such file or directory", path: path, offset: offset, errno: code,
                file: file, line: line)
        case ENOTDIR:
            return LogError(
                .notADirectory, "\(call) failed: a component of the path is not a directory", path: path,
                offset: offset, errno: code, file: file, line: line)
        default:
            return LogError(
                .ioFailed, "\(call) failed (\(reason))", path: path, offset: offset, errno: code, file: file,
                line: line)
        }
    }
}
