#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor and the path it was opened from, with the few system calls the log needs, each turning
/// `errno` into a ``LogError`` that names the file.
///
/// Every call here blocks: they run on the writer thread, a dedicated thread, or (for reads) in synchronous APIs
/// documented as blocking — never on Swift's cooperative pool from the log's async APIs.
package final class File: @unchecked Sendable {
    // @unchecked: `descriptor` and `path` are immutable after init; the kernel serialises concurrent calls on one fd,
    // and the log never shares a File between threads that both write.
    package let descriptor: Int32
    package let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { _ = close(descriptor) }

    /// Opens `path` with `flags` (`O_CLOEXEC` is added); `mode` applies when the file is created.
    ///
    /// Unless `flags` has `O_DIRECTORY`, the file must be a regular file and not a symbolic link: a log directory
    /// holds only the files Cairn makes. A link there (a `LOCK` pointing elsewhere would have its target truncated)
    /// or a FIFO, device or directory under a log file's name is refused with ``LogError/Code/foreignFile``:
    /// checked with `lstat` before the open (so a device is never opened), opened with `O_NOFOLLOW | O_NONBLOCK`
    /// (a link or FIFO swapped in meanwhile can neither be followed nor hang the open), and checked again with
    /// `fstat`.
    package static func open(_ path: String, _ flags: Int32, mode: UInt32 = 0o600) throws(LogError) -> File {
        let regular = flags & O_DIRECTORY == 0
        if regular {
            var st = stat()
            if lstat(path, &st) == 0 { try requireRegular(st.st_mode, path) }
        }
        let extra = regular ? O_NOFOLLOW | O_NONBLOCK : 0
        let fd = retryingEINTR { Glibc.open(path, flags | O_CLOEXEC | extra, mode_t(mode)) }
        guard fd >= 0 else {
            let code = errno
            if regular && code == ELOOP { try requireRegular(S_IFLNK, path) }
            if regular && code == ENXIO { try requireRegular(S_IFIFO, path) }
            throw .system("open", path: path, errno: code)
        }
        let file = File(descriptor: fd, path: path)
        guard regular else { return file }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system("fstat", path: path) }
        try requireRegular(st.st_mode, path)
        // Back to blocking I/O (O_NONBLOCK was for the open only; it means nothing for regular files on Linux).
        let status = fcntl(fd, F_GETFL)
        if status >= 0 { _ = fcntl(fd, F_SETFL, status & ~O_NONBLOCK) }
        return file
    }

    private static func requireRegular(_ mode: mode_t, _ path: String) throws(LogError) {
        let type = mode & S_IFMT
        guard type != S_IFREG else { return }
        if type == S_IFLNK {
            throw LogError(
                .foreignFile,
                "this is a symbolic link; Cairn does not follow links in its log directory — replace it with the file itself, or move it out",
                path: path)
        }
        let what = type == S_IFDIR ? "a directory" : type == S_IFIFO ? "a FIFO" : type == S_IFSOCK ? "a socket" : "a device or special file"
        throw LogError(
            .foreignFile, "this is \(what), not a regular file as Cairn's log writes; move it out of the log directory",
            path: path)
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at end of file.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LogError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = retryingEINTR { pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done)) }
            if n < 0 { throw .system("pread", path: path, offset: offset + Int64(done)) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `bytes` at `offset`.
    package func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(LogError) {
        var done = 0
        while done < bytes.count {
            let n = retryingEINTR { pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done)) }
            if n < 0 { throw .system("pwrite", path: path, offset: offset + Int64(done)) }
            done += n
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

    /// `fdatasync`: the file's data and the metadata needed to read it back are durable.
    package func syncData() throws(LogError) {
        #if canImport(Glibc)
        guard retryingEINTR({ fdatasync(descriptor) }) == 0 else { throw .system("fdatasync", path: path) }
        #else
        guard retryingEINTR({ fsync(descriptor) }) == 0 else { throw .system("fsync", path: path) }
        #endif
    }

    /// `fsync`: data and all metadata (size included) are durable.
    package func sync() throws(LogError) {
        guard retryingEINTR({ fsync(descriptor) }) == 0 else { throw .system("fsync", path: path) }
    }

    package func truncate(to length: Int64) throws(LogError) {
        guard retryingEINTR({ ftruncate(descriptor, off_t(length)) }) == 0 else {
            throw .system("ftruncate", path: path, offset: length)
        }
    }

    /// Whether `path` names the file this descriptor is open on (not, say, one renamed over it since).
    package func isSameFile(as path: String) throws(LogError) -> Bool {
        var mine = stat()
        var theirs = stat()
        guard fstat(descriptor, &mine) == 0 else { throw .system("fstat", path: self.path) }
        guard stat(path, &theirs) == 0 else {
            if errno == ENOENT { return false }
            throw .system("stat", path: path)
        }
        return mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino
    }

    package func size() throws(LogError) -> Int64 {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw .system("fstat", path: path) }
        return Int64(st.st_size)
    }
}

@inline(__always)
package func retryingEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let r = call()
        if r == -1 && errno == EINTR { continue }
        return r
    }
}

extension LogError {
    /// An error for a failed system call, from the current `errno`.
    package static func system(
        _ call: String, path: String, offset: Int64? = nil, errno code: Int32 = Glibc.errno,
        file: String = #fileID, line: Int = #line
    ) -> LogError {
        let reason = String(cString: strerror(code))
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
