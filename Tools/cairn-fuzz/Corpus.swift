#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files of a corpus directory.
enum Corpus {
    /// The regular files in `directory`, sorted by name; empty when it does not exist.
    static func files(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.hasPrefix(".") { continue }
            var info = stat()
            if stat(directory + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG { names.append(name) }
        }
        return names.sorted().map { directory + "/" + $0 }
    }

    /// A file's bytes, or nil when it cannot be read.
    static func contents(of file: String) -> [UInt8]? {
        guard access(file, R_OK) == 0 else { return nil }
        return ScratchDirectory.contents(of: file)
    }

    /// Writes `bytes` to `file`, creating it or replacing it.
    static func save(_ bytes: [UInt8], to file: String) throws {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CorpusError(message: "cannot create \(file): errno \(errno)") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw CorpusError(message: "cannot write \(file): errno \(errno)") }
    }

    /// Makes `directory` and its parents.
    static func makeDirectory(_ directory: String) {
        var path = ""
        for part in directory.split(separator: "/", omittingEmptySubsequences: false) {
            path += (path.isEmpty && part.isEmpty) ? "/" : (path.isEmpty || path == "/" ? "" : "/") + part
            if !path.isEmpty { mkdir(path, 0o755) }
        }
    }
}

struct CorpusError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
