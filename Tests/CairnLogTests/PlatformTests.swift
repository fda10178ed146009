import CairnLog
import Foundation
import Synchronization
import Testing

/// The platform shims do what the calls they stand for do, and report failures as the `errno` they got.
@Suite struct PlatformTests {
    @Test("open, sync, status, rename, unlink and listing work on real files; failures carry their errno")
    func files() throws {
        let dir = temporaryPath("platform")
        defer { removeTree(dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        // The longest name a directory entry holds (255 bytes), so `d_name` is read to its end.
        let long = String(repeating: "n", count: 255)
        let fd = try Platform.open(dir + "/" + long, flags: O_RDWR | O_CREAT, mode: 0o600)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0, "every descriptor is close-on-exec")
        #expect(Platform.write(fd, UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
        let written = Array("durable".utf8).withUnsafeBytes { Platform.write(fd, $0) }
        #expect(written == 7)
        try Platform.syncData(fd)
        try Platform.sync(fd)
        var st = stat()
        #expect(fstat(fd, &st) == 0)
        Platform.close(fd)
        // Not `fcntl(fd)` after the close: tests run in parallel, and another may have been given that number.
        #expect(fcntl(-1, F_GETFD) == -1 && Platform.errno == EBADF, "a bad descriptor's errno reads back")

        let directory = try Platform.open(dir, flags: O_RDONLY | O_DIRECTORY, mode: 0)
        try Platform.sync(directory)
        Platform.close(directory)

        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: long)
        #expect(mkfifo(dir + "/fifo", 0o600) == 0)
        #expect(try Platform.listDirectory(dir).sorted() == ["fifo", "link", long, "sub"])

        let fs = PosixFileSystem()
        #expect(try fs.linkStatus(atPath: dir + "/" + long).kind == .regular)
        #expect(try fs.linkStatus(atPath: dir + "/" + long).size == 7)
        #expect(try fs.linkStatus(atPath: dir + "/sub").kind == .directory)
        #expect(try fs.linkStatus(atPath: dir + "/link").kind == .symbolicLink)
        #expect(try fs.status(atPath: dir + "/link").kind == .regular, "stat follows the link")
        #expect(try fs.linkStatus(atPath: dir + "/fifo").kind == .fifo)
        let viaLink = try fs.status(atPath: dir + "/link")
        let direct = try fs.status(atPath: dir + "/" + long)
        #expect(viaLink.device == direct.device && viaLink.inode == direct.inode)

        try Platform.rename(dir + "/" + long, to: dir + "/renamed")
        try Platform.unlink(dir + "/renamed")
        #expect(throws: Errno(ENOENT)) { try Platform.unlink(dir + "/renamed") }
        #expect(throws: Errno(ENOENT)) { try Platform.listDirectory(dir + "/missing") }
        #expect(throws: Errno(ENOENT)) { try Platform.open(dir + "/missing", flags: O_RDONLY, mode: 0) }
        #expect(throws: Errno(EBADF)) { try Platform.syncData(-1) }
        #expect(throws: Errno(EBADF)) { try Platform.sync(-1) }
        #expect(Platform.describe(errno: ENOENT) == String(cString: strerror(ENOENT)))
    }

    @Test("the exclusive lock conflicts between two open file descriptions, and frees on unlock")
    func lock() throws {
        let dir = temporaryPath("platform-lock")
        defer { removeTree(dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let first = try Platform.open(dir + "/LOCK", flags: O_RDWR | O_CREAT, mode: 0o600)
        let second = try Platform.open(dir + "/LOCK", flags: O_RDWR, mode: 0)
        defer { Platform.close(first); Platform.close(second) }
        try Platform.lockExclusive(first)
        #expect(throws: Errno(EWOULDBLOCK)) { try Platform.lockExclusive(second) }
        Platform.unlock(first)
        try Platform.lockExclusive(second)
    }

    @Test("a dedicated thread runs its body under the name it gives itself")
    func threads() async throws {
        let seen = Mutex<String?>(nil)
        let thread = DedicatedThread.start(name: "test") {
            Platform.nameCurrentThread("cairn-platform")
            seen.withLock { $0 = Platform.currentThreadName() }
        }
        thread.join()
        #expect(seen.withLock { $0 } == "cairn-platform")
        #expect(Platform.currentThreadName() != "cairn-platform", "only the calling thread is named")
    }

    @Test("errno reads and writes the calling thread's value")
    func errnoValue() {
        Platform.errno = EINTR
        #expect(Platform.errno == EINTR)
        Platform.errno = 0
        #expect(Platform.errno == 0)
    }
}
