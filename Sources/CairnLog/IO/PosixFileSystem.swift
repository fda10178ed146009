#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system: each ``FileSystem`` operation is the system call of the same name, nothing more.
///
/// A struct without stored properties, so an `any FileSystem` holding it needs no allocation and each call costs
/// one witness-table dispatch on top of the system call.
package struct PosixFileSystem: FileSystem {
    package init() {}

    package func open(_ path: String, flags: Int32, mode: UInt32) throws(Errno) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw Errno(errno) }
        return fd
    }

    package func close(_ handle: Int32) { _ = Glibc.close(handle) }

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
        #if canImport(Glibc)
        guard fdatasync(handle) == 0 else { throw Errno(errno) }
        #else
        guard fsync(handle) == 0 else { throw Errno(errno) }
        #endif
    }

    package func sync(_ handle: Int32) throws(Errno) {
        guard fsync(handle) == 0 else { throw Errno(errno) }
    }

    package func truncate(_ handle: Int32, to length: Int64) throws(Errno) {
        guard ftruncate(handle, off_t(length)) == 0 else { throw Errno(errno) }
    }

    package func status(_ handle: Int32) throws(Errno) -> FileStatus {
        var st = stat()
        guard fstat(handle, &st) == 0 else { throw Errno(errno) }
        return FileStatus(st)
    }

    package func status(atPath path: String) throws(Errno) -> FileStatus {
        var st = stat()
        guard stat(path, &st) == 0 else { throw Errno(errno) }
        return FileStatus(st)
    }

    package func linkStatus(atPath path: String) throws(Errno) -> FileStatus {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw Errno(errno) }
        return FileStatus(st)
    }

    package func clearNonBlocking(_ handle: Int32) {
        let status = fcntl(handle, F_GETFL)
        if status >= 0 { _ = fcntl(handle, F_SETFL, status & ~O_NONBLOCK) }
    }

    package func rename(_ from: String, to: String) throws(Errno) {
        guard Glibc.rename(from, to) == 0 else { throw Errno(errno) }
    }

    package func unlink(_ path: String) throws(Errno) {
        guard Glibc.unlink(path) == 0 else { throw Errno(errno) }
    }

    package func makeDirectory(_ path: String, mode: UInt32) throws(Errno) {
        guard mkdir(path, mode_t(mode)) == 0 else { throw Errno(errno) }
    }

    package func list(_ path: String) throws(Errno) -> [String] {
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
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    package func lockExclusive(_ handle: Int32) throws(Errno) {
        guard flock(handle, LOCK_EX | LOCK_NB) == 0 else { throw Errno(errno) }
    }

    package func unlock(_ handle: Int32) { _ = flock(handle, LOCK_UN) }

    package func checkAccess(_ path: String, write: Bool) -> Errno? {
        access(path, write ? (R_OK | W_OK | X_OK) : (R_OK | X_OK)) == 0 ? nil : Errno(errno)
    }
}

extension FileStatus {
    init(_ st: stat) {
        let type = st.st_mode & S_IFMT
        let kind: Kind =
            switch type {
            case S_IFREG: .regular
            case S_IFDIR: .directory
            case S_IFLNK: .symbolicLink
            case S_IFIFO: .fifo
            case S_IFSOCK: .socket
            default: .other
            }
        self.init(
            kind: kind, size: Int64(st.st_size),
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}
