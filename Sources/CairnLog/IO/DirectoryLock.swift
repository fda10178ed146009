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
package final class DirectoryLock: Sendable {
    package static let fileName = "LOCK"
    private let file: File

    private init(file: File) { self.file = file }

    package static func acquire(directory: String, in fs: any FileSystem) throws(LogError) -> DirectoryLock {
        let path = directory + "/" + fileName
        let file = try File.open(path, O_RDWR | O_CREAT, mode: 0o600, in: fs)
        do { try file.lockExclusive() } catch {
            guard error.code == EWOULDBLOCK else { throw .system("flock", path: path, errno: error.code) }
            var holder = ""
            let buffer = (try? file.read(count: 32, at: 0)) ?? []
            if !buffer.isEmpty, let text = String(validating: buffer, as: UTF8.self) {
                let pid = text.trimmingTrailingWhitespace
                if !pid.isEmpty { holder = " (held by process \(pid))" }
            }
            throw LogError(
                .locked,
                "the log directory is in use by another Log\(holder); close that one, or stop that process, first",
                path: directory)
        }
        let pid = Array("\(getpid())\n".utf8)
        try file.truncate(to: 0)
        try file.write(pid, at: 0)
        return DirectoryLock(file: file)
    }

    /// Releases the lock (also released when the process exits, however it exits).
    package func release() {
        file.unlock()
    }
}

extension String {
    fileprivate var trimmingTrailingWhitespace: String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }
}
