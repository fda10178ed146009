#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Directory operations the log needs: list, create, fsync, rename, remove — each on the log's ``FileSystem``,
/// retried on `EINTR`, throwing a ``LogError``.
package enum Directory {
    package enum Kind { case missing, directory, other }

    package static func kind(of path: String, in fs: any FileSystem) throws(LogError) -> Kind {
        do {
            let status = try fs.retryingInterrupts { () throws(Errno) in try fs.status(atPath: path) }
            return status.kind == .directory ? .directory : .other
        } catch {
            if error.code == ENOENT { return .missing }
            throw .system("stat", path: path, errno: error.code)
        }
    }

    /// Creates `path` and any missing parents, each with mode 0700, and syncs the parent of each directory on the
    /// way, so the new directory's entry survives a power loss along with what goes into it. Parents that already
    /// exist are synced too (where this process may open them): a process that died between its `mkdir` and the
    /// sync left an entry that this boot sees and a power loss would take away.
    package static func create(_ path: String, in fs: any FileSystem) throws(LogError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        var parent = path.hasPrefix("/") ? "/" : "."
        for component in path.split(separator: "/") {
            prefix += component
            let created: Bool
            do {
                try fs.retryingInterrupts { () throws(Errno) in try fs.makeDirectory(prefix, mode: 0o700) }
                created = true
            } catch {
                guard error.code == EEXIST else { throw .system("mkdir", path: prefix, errno: error.code) }
                created = false
            }
            if created { try sync(parent, in: fs) } else { try syncIfPermitted(parent, in: fs) }
            parent = prefix
            prefix += "/"
        }
    }

    /// The names in `path`, without `.` and `..`, sorted.
    package static func list(_ path: String, in fs: any FileSystem) throws(LogError) -> [String] {
        do {
            return try fs.retryingInterrupts { () throws(Errno) in try fs.list(path) }.sorted()
        } catch {
            throw .system("opendir", path: path, errno: error.code)
        }
    }

    /// Makes the directory's entries (creations, renames, removals) durable.
    package static func sync(_ path: String, in fs: any FileSystem) throws(LogError) {
        let file = try File.open(path, O_RDONLY | O_DIRECTORY, in: fs)
        try file.sync()
    }

    /// ``sync(_:in:)``, except that a directory this process may not open (a parent it does not own) is passed
    /// over: syncing it is a precaution, not something to refuse an open for.
    package static func syncIfPermitted(_ path: String, in fs: any FileSystem) throws(LogError) {
        do { try sync(path, in: fs) } catch where error.code == .permissionDenied {}
    }

    package static func rename(_ from: String, to: String, in fs: any FileSystem) throws(LogError) {
        do { try fs.retryingInterrupts { () throws(Errno) in try fs.rename(from, to: to) } } catch {
            throw .system("rename to \(to)", path: from, errno: error.code)
        }
    }

    package static func remove(_ path: String, in fs: any FileSystem) throws(LogError) {
        do { try fs.retryingInterrupts { () throws(Errno) in try fs.unlink(path) } } catch {
            guard error.code == ENOENT else { throw .system("unlink", path: path, errno: error.code) }
        }
    }

    /// Whether this process may read, search and (when `write`) write `path`; nil when it may, else why not.
    package static func accessDenied(_ path: String, write: Bool, in fs: any FileSystem) -> Errno? {
        fs.checkAccess(path, write: write)
    }
}
