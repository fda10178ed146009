import Cairn
import CairnLog
import Foundation
import Synchronization
import Testing

/// Writes a large log for measurements and the README session: set `CAIRN_GENERATE_LOG=DIR` and optionally
/// `CAIRN_GENERATE_WORKFLOWS=N` (default 200,000 — about 1,000,000 events) and run this test alone. Without the
/// variable it does nothing.
@Test(.enabled(if: ProcessInfo.processInfo.environment["CAIRN_GENERATE_LOG"] != nil))
func generateLargeLog() async throws {
    let directory = ProcessInfo.processInfo.environment["CAIRN_GENERATE_LOG"]!
    let total = Int(ProcessInfo.processInfo.environment["CAIRN_GENERATE_WORKFLOWS"] ?? "") ?? 200_000
    let clock = ShiftedClock()
    // The first half finished ten days ago, the rest now.
    for (phase, offset) in [(0, -10 * day), (1, Int64(0))] {
        clock.offset.store(offset, ordering: .relaxed)
        let running = try await RunningEngine.open(directory, clock: clock, segmentSize: 8 << 20)
        let engine = running.engine
        let range = phase == 0 ? 0..<total / 2 : total / 2..<total
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = range.lowerBound
            func add() {
                let i = next
                next += 1
                group.addTask {
                    switch i % 20 {
                    case 0:
                        _ = try? await engine.start(Fails.self, input: i, id: "order-\(i)").result()
                    case 1 where phase == 1:
                        _ = try await engine.start(Waits.self, input: "order \(i)", id: "order-\(i)")
                    default:
                        _ = try await engine.start(Greet.self, input: "customer \(i)", id: "order-\(i)").result()
                    }
                }
            }
            for _ in 0..<min(512, range.count) { add() }
            while try await group.next() != nil {
                if next < range.upperBound { add() }
            }
        }
        try await running.stop()
    }
}
