#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An OS thread of its own, for work that blocks: the log's writer loop, recovery scans, compaction.
///
/// Swift's cooperative pool has one thread per core; a `write` or `fdatasync` there stalls every task scheduled on
/// it. Work that blocks runs here and the awaiting task is resumed with a continuation.
package final class DedicatedThread: @unchecked Sendable {
    // @unchecked: `thread` is written once in `start` before any other access and read only by `join`.
    private var thread: pthread_t?

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private init() {}

    /// Starts `body` on a new thread. `name` says what the thread is for (kept for debugging sessions).
    package static func start(name: String, _ body: @escaping @Sendable () -> Void) -> DedicatedThread {
        let t = DedicatedThread()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")  // only under resource exhaustion
        t.thread = handle
        return t
    }

    /// Waits for the thread to finish.
    package func join() {
        if let thread { pthread_join(thread, nil) }
    }

    /// Lets the thread's resources go when it ends, for a thread nobody will join.
    package func detach() {
        if let thread { _ = pthread_detach(thread) }
    }

    /// Runs blocking `body` on a new thread and suspends the caller, not a cooperative thread, until it returns.
    package static func run<T: Sendable>(
        name: String, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let t = start(name: name) {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            t.detach()
        }
    }
}
