#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system: each ``FileSystem`` operation is the system call of the same name, nothing more (through
/// ``Platform`` where Linux and Darwin differ: `fdatasync` is `F_FULLFSYNC` on Darwin).
///
/// A struct without stored properties, so an `any FileSystem` holding it needs no allocation and each call costs
/// one witness-table dispatch on top of the system call.
package struct PosixFileSystem: FileSystem {
    package init() {}

    package func open(_ path: String, flags: Int32, mode: UInt32) throws(Errno) -> Int32 {
        try Platform.open(path, flags: flags, mode: mode)
    }

    package func close(_ handle: Int32) { Platform.close(handle) }

    package func read(_ handle: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        let n = pread(handle, buffer.baseAddress!, buffer.count, off_t(offset))
        guard n >= 0 else { throw Errno(errno) }
        return n
    }

    package func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        let n = pwrite(handle, bytes.baseAddress!, bytes.count, off_t(offset))
        guard n >= 0 else { throw Errno(errno) }
        return n
    }

    package func syncData(_ handle: Int32) throws(Errno) {
        try Platform.syncData(handle)
    }

    package func sync(_ handle: Int32) throws(Errno) {
        try Platform.sync(handle)
    }

    package func truncate(_ handle: Int32, to length: Int64) throws(Errno) {
        guard ftruncate(handle, off_t(length)) == 0 else { throw Errno(errno) }
    }

    package func status(_ handle: Int32) throws(Errno) -> FileStatus {
        var st = stat()
        guard fstat(handle, &st) == 0 else { throw Errno(errno) }
        return Platform.fileStatus(st)
    }

    package func status(atPath path: String) throws(Errno) -> FileStatus {
        var st = stat()
        guard stat(path, &st) == 0 else { throw Errno(errno) }
        return Platform.fileStatus(st)
    }

    package func linkStatus(atPath path: String) throws(Errno) -> FileStatus {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw Errno(errno) }
        return Platform.fileStatus(st)
    }

    package func clearNonBlocking(_ handle: Int32) {
        let status = fcntl(handle, F_GETFL)
        if status >= 0 { _ = fcntl(handle, F_SETFL, status & ~O_NONBLOCK) }
    }

    package func rename(_ from: String, to: String) throws(Errno) {
        try Platform.rename(from, to: to)
    }

    package func unlink(_ path: String) throws(Errno) {
        try Platform.unlink(path)
    }

    package func makeDirectory(_ path: String, mode: UInt32) throws(Errno) {
        guard mkdir(path, mode_t(mode)) == 0 else { throw Errno(errno) }
    }

    package func list(_ path: String) throws(Errno) -> [String] {
        try Platform.listDirectory(path)
    }

    package func lockExclusive(_ handle: Int32) throws(Errno) {
        try Platform.lockExclusive(handle)
    }

    package func unlock(_ handle: Int32) { Platform.unlock(handle) }

    package func checkAccess(_ path: String, write: Bool) -> Errno? {
        access(path, write ? (R_OK | W_OK | X_OK) : (R_OK | X_OK)) == 0 ? nil : Errno(errno)
    }
}
