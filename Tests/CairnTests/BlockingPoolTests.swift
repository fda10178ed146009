import Dispatch
import Synchronization
import Testing

@testable import Cairn

@Suite("Blocking pool: threads on demand, gone when idle")
struct BlockingPoolTests {
    @Test("threads start on demand up to the limit, exit once idle, and start again for new work")
    func idleThreadsExit() async throws {
        let pool = BlockingPool(threads: 2, idleTimeout: .milliseconds(50))
        #expect(pool.threadCount == 0)
        // Three bodies that block until released: two threads start, the third body queues.
        let release = DispatchSemaphore(value: 0)
        let started = Started()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<3 {
                group.addTask {
                    try await pool.run {
                        started.count.withLock { $0 += 1 }
                        release.wait()
                        return i
                    }
                }
            }
            try await eventually("two bodies to start") { started.count.withLock { $0 } == 2 }
            #expect(pool.threadCount == 2)
            for _ in 0..<3 { release.signal() }
            var results: [Int] = []
            for try await value in group { results.append(value) }
            #expect(results.sorted() == [0, 1, 2])
        }
        try await eventually("the idle threads to exit") { pool.threadCount == 0 }
        // Work after that starts a thread again (which may be gone again by the time this looks: 50 ms idle).
        #expect(try await pool.run { 42 } == 42)
        #expect(pool.threadCount <= 1)
    }
}

private final class Started: Sendable {
    let count = Mutex(0)
}
