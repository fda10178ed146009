/// An OS thread of its own, for work that blocks: the log's writer loop, recovery scans, compaction.
///
/// Swift's cooperative pool has one thread per core; a `write` or `fdatasync` there stalls every task scheduled on
/// it. Work that blocks runs here and the awaiting task is resumed with a continuation.
package final class DedicatedThread: @unchecked Sendable {
    // @unchecked: `thread` is written once in `start` before any other access and read only by `join`.
    private var thread: Platform.Thread?

    private init() {}

    /// Starts `body` on a new thread. `name` says what the thread is for (kept for debugging sessions).
    package static func start(name: String, _ body: @escaping @Sendable () -> Void) -> DedicatedThread {
        let t = DedicatedThread()
        switch Platform.startThread(body) {
        case .success(let thread): t.thread = thread
        case .failure(let error): preconditionFailure("pthread_create failed: \(error.code)")  // only under resource exhaustion
        }
        return t
    }

    /// Waits for the thread to finish.
    package func join() {
        if let thread { Platform.join(thread) }
    }

    /// Lets the thread's resources go when it ends, for a thread nobody will join.
    package func detach() {
        if let thread { Platform.detach(thread) }
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
