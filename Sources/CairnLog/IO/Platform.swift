#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#else
#error("Cairn runs on Linux (Glibc) and macOS (Darwin); add this platform's branch to every #if in Platform.swift")
#endif

/// The system calls whose name, type or meaning differs between Linux and Darwin, each written once per platform.
///
/// Every call of the libraries that is not plain POSIX goes through here; the POSIX calls that read the same on
/// both (`pread`, `pwrite`, `ftruncate`, `fstat`, `mkdir`, `access`, `fcntl(F_GETFL)`, `getpid`, the `errno`
/// constants) stay at their callers, and the tools' and tests' own few differences (`getrusage`, a
/// pseudo-terminal) sit in complete `#if` branches beside their use. `Tools/portability-check.sh` (run by
/// `Tools/test.sh`) fails when a Linux-only call outside a `#if canImport(Glibc)` branch, or an `import Glibc`
/// without its Darwin branch, appears anywhere.
///
/// Linux is built and tested here; the Darwin branches are written against the Darwin headers and compile by
/// construction, but no test runs them (see the README's requirements).
///
/// Pre-allocation needs no shim: the log writer fills the next stretch of a segment with zeros with ordinary writes
/// (so that a commit's sync need not journal a size change), which both platforms do alike.
package enum Platform {
    /// The calling thread's `errno`.
    package static var errno: Int32 {
        get {
            #if canImport(Glibc)
            Glibc.errno
            #elseif canImport(Darwin)
            Darwin.errno
            #endif
        }
        set {
            #if canImport(Glibc)
            Glibc.errno = newValue
            #elseif canImport(Darwin)
            Darwin.errno = newValue
            #endif
        }
    }

    /// `strerror`: the system's description of an `errno` value.
    package static func describe(errno code: Int32) -> String {
        String(cString: strerror(code))
    }

    // MARK: Files

    /// `open(2)` with `O_CLOEXEC` added: a child process never inherits the log's descriptors (nor its lock).
    package static func open(_ path: String, flags: Int32, mode: UInt32) throws(Errno) -> Int32 {
        #if canImport(Glibc)
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode_t(mode))
        #elseif canImport(Darwin)
        let fd = Darwin.open(path, flags | O_CLOEXEC, mode_t(mode))
        #endif
        guard fd >= 0 else { throw Errno(errno) }
        return fd
    }

    /// `close(2)`; its error is ignored (see ``FileSystem/close(_:)``).
    package static func close(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #elseif canImport(Darwin)
        _ = Darwin.close(fd)
        #endif
    }

    /// `rename(2)`.
    package static func rename(_ from: String, to: String) throws(Errno) {
        #if canImport(Glibc)
        let rc = Glibc.rename(from, to)
        #elseif canImport(Darwin)
        let rc = Darwin.rename(from, to)
        #endif
        guard rc == 0 else { throw Errno(errno) }
    }

    /// `unlink(2)`.
    package static func unlink(_ path: String) throws(Errno) {
        #if canImport(Glibc)
        let rc = Glibc.unlink(path)
        #elseif canImport(Darwin)
        let rc = Darwin.unlink(path)
        #endif
        guard rc == 0 else { throw Errno(errno) }
    }

    /// Writes up to `bytes.count` bytes to `fd` at its current offset (`write(2)`): for standard output and error.
    package static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        #if canImport(Glibc)
        return Glibc.write(fd, base, bytes.count)
        #elseif canImport(Darwin)
        return Darwin.write(fd, base, bytes.count)
        #endif
    }

    // MARK: Durability

    /// The name of the call ``syncData(_:)`` makes, for error messages.
    #if canImport(Glibc)
    package static let syncDataCall = "fdatasync"
    #elseif canImport(Darwin)
    package static let syncDataCall = "fcntl(F_FULLFSYNC)"
    #endif

    /// Makes the file's data, and the metadata needed to read it back, durable.
    ///
    /// Linux: `fdatasync`. Darwin: `fcntl(F_FULLFSYNC)`, because Darwin's `fsync` only hands the data to the drive,
    /// whose cache may lose it at a power loss; where the file system does not support `F_FULLFSYNC` (it fails
    /// with `ENOTSUP`, `EOPNOTSUPP` or `EINVAL`: some network and FUSE file systems) plain `fsync` is the best
    /// there is, and is used instead.
    package static func syncData(_ fd: Int32) throws(Errno) {
        #if canImport(Glibc)
        guard fdatasync(fd) == 0 else { throw Errno(errno) }
        #elseif canImport(Darwin)
        try fullSync(fd)
        #endif
    }

    /// Makes the file's data and all its metadata durable; on a directory opened with `O_DIRECTORY`, its entries.
    ///
    /// Linux: `fsync`. Darwin: `fcntl(F_FULLFSYNC)`, falling back to `fsync` as ``syncData(_:)`` does.
    package static func sync(_ fd: Int32) throws(Errno) {
        #if canImport(Glibc)
        guard fsync(fd) == 0 else { throw Errno(errno) }
        #elseif canImport(Darwin)
        try fullSync(fd)
        #endif
    }

    #if canImport(Darwin)
    private static func fullSync(_ fd: Int32) throws(Errno) {
        if fcntl(fd, F_FULLFSYNC) == 0 { return }
        let code = errno
        guard code == ENOTSUP || code == EOPNOTSUPP || code == EINVAL else { throw Errno(code) }
        guard fsync(fd) == 0 else { throw Errno(errno) }
    }
    #endif

    // MARK: Locks

    /// `flock(LOCK_EX | LOCK_NB)`: fails with `EWOULDBLOCK` when another open file description holds the lock.
    package static func lockExclusive(_ fd: Int32) throws(Errno) {
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw Errno(errno) }
    }

    /// `flock(LOCK_UN)`.
    package static func unlock(_ fd: Int32) {
        _ = flock(fd, LOCK_UN)
    }

    // MARK: Directories and status

    /// The names in directory `path` except `.` and `..`, in no particular order (`opendir`, `readdir`).
    package static func listDirectory(_ path: String) throws(Errno) -> [String] {
        guard let dir = opendir(path) else { throw Errno(errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            // readdir returns NULL both at the end and on an error; only errno tells them apart. A listing cut
            // short by an error would look like a log with segments missing.
            errno = 0
            guard let entry = readdir(dir) else {
                let code = errno
                if code != 0 { throw Errno(code) }
                break
            }
            // `d_name` is a fixed-size C array (256 bytes on Linux, 1024 on Darwin) holding a NUL-terminated name.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// What `stat` says, as far as the log cares. (`st_dev` is unsigned on Linux and signed on Darwin; it only
    /// identifies a device, so Darwin's bits are kept as they are.)
    static func fileStatus(_ st: stat) -> FileStatus {
        let kind: FileStatus.Kind =
            switch st.st_mode & S_IFMT {
            case S_IFREG: .regular
            case S_IFDIR: .directory
            case S_IFLNK: .symbolicLink
            case S_IFIFO: .fifo
            case S_IFSOCK: .socket
            default: .other
            }
        #if canImport(Glibc)
        let device = UInt64(st.st_dev)
        #elseif canImport(Darwin)
        let device = UInt64(UInt32(bitPattern: st.st_dev))
        #endif
        return FileStatus(kind: kind, size: Int64(st.st_size), device: device, inode: UInt64(st.st_ino))
    }

    // MARK: Processes and threads

    /// Sends `signal` to process `pid` (`kill(2)`); the tools and tests stop the processes they started with it.
    @discardableResult
    package static func kill(_ pid: Int32, _ signal: Int32) -> Int32 {
        #if canImport(Glibc)
        Glibc.kill(pid, signal)
        #elseif canImport(Darwin)
        Darwin.kill(pid, signal)
        #endif
    }

    /// A thread started by ``startThread(_:)``.
    typealias Thread = pthread_t

    private final class ThreadBody {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts an OS thread running `body`; returns it, or the `pthread_create` error (only under resource
    /// exhaustion).
    static func startThread(_ body: @escaping () -> Void) -> Result<Thread, Errno> {
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { context in
            Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            return .failure(Errno(rc))
        }
        return .success(thread)
        #elseif canImport(Darwin)
        var thread: pthread_t?
        let rc = pthread_create(&thread, nil, { context in
            Unmanaged<ThreadBody>.fromOpaque(context).takeRetainedValue().run()
            return nil
        }, context)
        guard rc == 0, let thread else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            return .failure(Errno(rc == 0 ? EAGAIN : rc))
        }
        return .success(thread)
        #endif
    }

    /// Waits for `thread` to end (`pthread_join`).
    static func join(_ thread: Thread) {
        _ = pthread_join(thread, nil)
    }

    /// Lets `thread`'s resources go when it ends, for a thread nobody will join (`pthread_detach`).
    static func detach(_ thread: Thread) {
        _ = pthread_detach(thread)
    }

    /// Names the calling thread (at most 15 bytes are kept on Linux), so that a debugger, `top -H` or a test can
    /// tell Cairn's threads from the cooperative pool's.
    ///
    /// Linux: written to `/proc/thread-self/comm`, which is what `pthread_setname_np` does (Glibc's is not visible
    /// to Swift). Darwin: `pthread_setname_np`, which names only the calling thread there.
    package static func nameCurrentThread(_ name: String) {
        #if canImport(Glibc)
        let fd = Glibc.open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = name.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, min(15, $0.count - 1)) }
        _ = Glibc.close(fd)
        #elseif canImport(Darwin)
        _ = pthread_setname_np(name)
        #endif
    }

    /// The calling thread's name, as ``nameCurrentThread(_:)`` set it (empty when it has none).
    package static func currentThreadName() -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        #if canImport(Glibc)
        let fd = Glibc.open("/proc/thread-self/comm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count - 1) }
        _ = Glibc.close(fd)
        guard count > 0 else { return "" }
        #elseif canImport(Darwin)
        guard pthread_getname_np(pthread_self(), &buffer, buffer.count) == 0 else { return "" }
        #endif
        let name = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return name.hasSuffix("\n") ? String(name.dropLast()) : name
    }
}
