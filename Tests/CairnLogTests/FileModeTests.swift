import CairnLog
import CairnTestSupport
import Foundation
import Testing

@Suite struct FileModeTests {
    /// Segments and the lock file are 0600; directories the log creates (missing parents included) are 0700; a
    /// directory that already existed keeps its mode.
    @Test func filesAre0600AndCreatedDirectories0700() async throws {
        let base = temporaryPath("modes")
        defer { removeTree(base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        let dir = base + "/a/b/log"
        let log = try await Log.open(at: dir, configuration: .small())
        var rng = SeededGenerator(seed: 0x600)
        while try segmentNames(dir).count < 4 { _ = try await log.append(randomRecord(size: 3000, &rng)) }
        _ = try await log.compact(keeping: { $0.lsn.rawValue % 3 == 0 })
        _ = try await log.append(LogRecord(tag: 1, payload: [1]))

        for path in [base + "/a", base + "/a/b", dir] {
            #expect(try fileMode(path) == 0o700, "\(path)")
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o700)
        }
        #expect(try fileMode(base) == 0o755, "an existing directory is left as it was")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(names.contains("LOCK"))
        #expect(names.filter { $0.hasSuffix(".seg") }.count >= 2, "an original, a rolled and a compacted segment")
        for name in names {
            #expect(try fileMode(dir + "/" + name) == 0o600, "\(name)")
        }
        try await log.close()
    }
}
