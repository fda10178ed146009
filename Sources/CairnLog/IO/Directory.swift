#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Directory operations the log needs: list, create, fsync, rename, remove — each throwing a ``LogError``.
package enum Directory {
    package enum Kind { case missing, directory, other }

    package static func kind(of path: String) throws(LogError) -> Kind {
        var st = stat()
        if stat(path, &st) != 0 {
            if errno == ENOENT { return .missing }
            throw .system("stat", path: path)
        }
        return (st.st_mode & S_IFMT) == S_IFDIR ? .directory : .other
    }

    /// Creates `path` and any missing parents, each with mode 0700, and syncs the parent of each directory it
    /// creates, so the new directory's entry survives a power loss along with what goes into it.
    package static func create(_ path: String) throws(LogError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        var parent = path.hasPrefix("/") ? "/" : "."
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) == 0 {
                try sync(parent)
            } else if errno != EEXIST {
                throw .system("mkdir", path: prefix)
            }
            parent = prefix
            prefix += "/"
        }
    }

    /// The names in `path`, without `.` and `..`, sorted.
    package static func list(_ path: String) throws(LogError) -> [String] {
        guard let dir = opendir(path) else { throw .system("opendir", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            // readdir returns NULL both at the end and on an error; only errno tells them apart. A listing cut
            // short by an error would look like a log with segments missing.
            errno = 0
            guard let entry = readdir(dir) else {
                let code = errno
                if code != 0 { throw .system("readdir", path: path, errno: code) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Makes the directory's entries (creations, renames, removals) durable.
    package static func sync(_ path: String) throws(LogError) {
        let file = try File.open(path, O_RDONLY | O_DIRECTORY)
        try file.sync()
    }

    package static func rename(_ from: String, to: String) throws(LogError) {
        guard Glibc.rename(from, to) == 0 else { throw .system("rename to \(to)", path: from) }
    }

    package static func remove(_ path: String) throws(LogError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .system("unlink", path: path) }
    }

    /// Whether this process may read, write and search `path`.
    package static func isAccessible(_ path: String, write: Bool) -> Bool {
        access(path, write ? (R_OK | W_OK | X_OK) : (R_OK | X_OK)) == 0
    }
}
