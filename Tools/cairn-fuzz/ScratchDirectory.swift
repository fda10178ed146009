#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private directory for the targets that need files (segment images go through the real file reads): created
/// once per process, in memory (`/dev/shm`) when the machine has it, and removed at exit.
enum ScratchDirectory {
    nonisolated(unsafe) private static var created: String?

    /// The directory's path; created on first use.
    static var path: String {
        if let created { return created }
        let parent = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
        var template = Array("\(parent)/cairn-fuzz.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { fatalError("cairn-fuzz: cannot create a scratch directory in \(parent)") }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        created = path
        atexit { ScratchDirectory.removeAll() }
        return path
    }

    /// Writes `bytes` to `name` in the directory (replacing it), and returns the file's path.
    static func store(_ bytes: UnsafeRawBufferPointer, as name: String) -> String {
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fatalError("cairn-fuzz: cannot write \(file): errno \(errno)") }
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { fatalError("cairn-fuzz: cannot write \(file): errno \(errno)") }
            done += n
        }
        close(fd)
        return file
    }

    /// Reads a whole file.
    static func contents(of file: String) -> [UInt8] {
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    /// Removes every file of the directory (a recovery may leave more than the one written).
    static func empty() {
        guard let created, let dir = opendir(created) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { unlink(created + "/" + name) }
        }
    }

    private static func removeAll() {
        empty()
        if let created { rmdir(created) }
    }
}
