import Foundation
import Testing

@testable import CairnLog

/// Found by `cairn-fuzz` (target `segment`, `Fixtures/fuzz/segment/oom-window-sized-by-header`): a short segment
/// whose frame header claims a 200 MiB payload made `SegmentReader` allocate a 200 MiB read window before it learnt
/// that the file is shorter.
@Suite struct SegmentReaderLimitTests {
    @Test func aFrameHeaderClaimingMoreThanTheFileHoldsCostsNoAllocation() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("segment-limit-\(UUID()).seg").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bytes = SegmentHeader.fresh(baseLSN: LSN(1)).encoded()
        var frame = [UInt8](repeating: 0, count: FrameHeader.size)
        let claimed = UInt32(200 << 20)
        frame.withUnsafeMutableBytes { p in
            FrameHeader(flags: 0, storedLength: claimed, rawLength: claimed, recordCount: 1, firstLSN: LSN(1))
                .write(to: p.baseAddress!)
        }
        bytes += frame + [UInt8](repeating: 7, count: 9)
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let reader = try SegmentReader(path: path)
        let before = reader.windowBytes
        let step = try reader.next { _, _, _ in }
        guard case .end(.invalid) = step else {
            Issue.record("a frame longer than its file was not refused: \(step)")
            return
        }
        #expect(reader.windowBytes == before, "the read window grew to \(reader.windowBytes) bytes for a \(bytes.count)-byte file")
    }
}
