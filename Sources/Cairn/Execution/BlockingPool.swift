import CairnLog
import Dispatch
import Synchronization

/// Threads of their own for step bodies that block (synchronous I/O, CPU-heavy work, C libraries), so they never
/// occupy Swift's cooperative pool. Threads start on demand, up to a limit; work beyond it queues.
final class BlockingPool: Sendable {
    private struct State: ~Copyable {
        var queue: [@Sendable () -> Void] = []
        var threads = 0
        var idle = 0
    }

    private let limit: Int
    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)

    init(threads: Int) { limit = max(1, threads) }

    /// Runs `body` on a pool thread; the caller suspends until it returns.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            let job: @Sendable () -> Void = {
                do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
            }
            let action = state.withLock { s -> Int in
                s.queue.append(job)
                if s.idle > 0 {
                    s.idle -= 1
                    return 1  // wake an idle thread
                }
                if s.threads < limit {
                    s.threads += 1
                    return 2  // start a thread
                }
                return 0
            }
            if action == 1 { available.signal() }
            if action == 2 { _ = DedicatedThread.start(name: "cairn-blocking") { [self] in work() } }
        }
    }

    private func work() {
        while true {
            let job = state.withLock { s -> (@Sendable () -> Void)? in
                if s.queue.isEmpty {
                    s.idle += 1
                    return nil
                }
                return s.queue.removeFirst()
            }
            if let job { job() } else { available.wait() }
        }
    }
}
