import CairnLog
import Foundation
import Testing

@Suite struct SmokeTests {
    @Test func appendReopenRead() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-smoke-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = LogConfiguration()
        config.segmentSize = 64 << 10
        let log = try await Log.open(at: dir, configuration: config)
        var expected: [LogEntry] = []
        for i in 0..<2000 {
            let payload = Array("event \(i) workflow order-\(i % 17) step charge-card".utf8)
            let lsn = try await log.append(LogRecord(tag: UInt8(i % 7), payload: payload))
            expected.append(LogEntry(lsn: lsn, tag: UInt8(i % 7), payload: payload))
        }
        try await log.close()
        let reopened = try await Log.open(at: dir, configuration: config)
        #expect(reopened.recovery.recordCount == 2000)
        #expect(reopened.recovery.segmentCount > 1)
        let entries = try await reopened.entries()
        #expect(entries == expected)
        try await reopened.close()
    }
}
