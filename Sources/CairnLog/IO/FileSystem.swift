#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file-layer seam: every system call the log makes on files and directories goes through one of these, so
/// that tests can run a log on a simulated disk (power loss at any point, a failing call) while production runs on
/// ``PosixFileSystem``.
///
/// The operations are the raw system calls, one each, with no retries: a call may fail with `EINTR` or write or
/// read fewer bytes than asked, and ``File`` and ``Directory`` — the log's only callers — retry and loop. That keeps
/// the retry rules in one place and lets a simulation inject exactly what a kernel may do.
///
/// Carried per log (``LogConfiguration/_fileSystem``, then ``LogDirectory/fileSystem``), never global: tests run
/// many logs on different simulated disks in one process.
package protocol FileSystem: Sendable {
    /// `open(2)`; returns a handle for the other calls. `O_CLOEXEC` is the implementation's business.
    func open(_ path: String, flags: Int32, mode: UInt32) throws(Errno) -> Int32
    /// `close(2)`; errors are ignored, as the log has synced whatever it needs before closing.
    func close(_ handle: Int32)
    /// `pread(2)`: up to `buffer.count` bytes at `offset`; 0 at end of file.
    func read(_ handle: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int
    /// `pwrite(2)`: up to `bytes.count` bytes at `offset`; returns how many it wrote (at least 1).
    func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) -> Int
    /// `fdatasync(2)`.
    func syncData(_ handle: Int32) throws(Errno)
    /// `fsync(2)`, also on a directory opened with `O_DIRECTORY` (which makes its entries durable).
    func sync(_ handle: Int32) throws(Errno)
    /// `ftruncate(2)`.
    func truncate(_ handle: Int32, to length: Int64) throws(Errno)
    /// `fstat(2)`.
    func status(_ handle: Int32) throws(Errno) -> FileStatus
    /// `stat(2)` (follows symbolic links).
    func status(atPath path: String) throws(Errno) -> FileStatus
    /// `lstat(2)` (does not follow symbolic links).
    func linkStatus(atPath path: String) throws(Errno) -> FileStatus
    /// Clears `O_NONBLOCK` (`fcntl`): the log opens its files non-blocking so that a FIFO cannot hang the open.
    func clearNonBlocking(_ handle: Int32)
    /// `rename(2)`.
    func rename(_ from: String, to: String) throws(Errno)
    /// `unlink(2)`.
    func unlink(_ path: String) throws(Errno)
    /// `mkdir(2)`.
    func makeDirectory(_ path: String, mode: UInt32) throws(Errno)
    /// `opendir`/`readdir`/`closedir`: the names in a directory except `.` and `..`, in no particular order.
    func list(_ path: String) throws(Errno) -> [String]
    /// `flock(LOCK_EX | LOCK_NB)`.
    func lockExclusive(_ handle: Int32) throws(Errno)
    /// `flock(LOCK_UN)`.
    func unlock(_ handle: Int32)
    /// `access(2)` for read, search and (when `write`) write; nil when allowed, else why not.
    func checkAccess(_ path: String, write: Bool) -> Errno?
}

/// A failed system call's `errno`, thrown by ``FileSystem`` operations (typed, so nothing is allocated).
package struct Errno: Error, Hashable, Sendable {
    package var code: Int32
    package init(_ code: Int32) { self.code = code }
}

/// What `stat` says about a file, as far as the log cares.
package struct FileStatus: Sendable, Hashable {
    package enum Kind: Sendable, Hashable { case regular, directory, symbolicLink, fifo, socket, other }
    package var kind: Kind
    package var size: Int64
    /// Device and inode: together they identify a file across names.
    package var device: UInt64
    package var inode: UInt64

    package init(kind: Kind, size: Int64, device: UInt64, inode: UInt64) {
        self.kind = kind
        self.size = size
        self.device = device
        self.inode = inode
    }
}

extension FileSystem {
    /// Runs `call` again while it fails with `EINTR`: a signal interrupted it before it did anything.
    @inline(__always)
    package func retryingInterrupts<T>(_ call: () throws(Errno) -> T) throws(Errno) -> T {
        while true {
            do { return try call() } catch where error.code == EINTR { continue }
        }
    }
}
