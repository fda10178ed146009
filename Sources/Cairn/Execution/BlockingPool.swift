import CairnLog
import Dispatch
import Synchronization

/// Threads of their own for step bodies that block (synchronous I/O, CPU-heavy work, C libraries), so they never
/// occupy Swift's cooperative pool. Threads start on demand, up to a limit; work beyond it queues. A thread idle for
/// its idle timeout (10 s) exits, so an engine that is done with blocking work (or shut down) leaves no threads behind.
final class BlockingPool: Sendable {
    private struct State: ~Copyable {
        var queue: [@Sendable () -> Void] = []
        var threads = 0
        var idle = 0
    }

    private let limit: Int
    /// How long a thread waits for work before it exits; the pool starts threads again on demand.
    private let idleTimeout: DispatchTimeInterval
    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)

    init(threads: Int, idleTimeout: DispatchTimeInterval = .seconds(10)) {
        limit = max(1, threads)
        self.idleTimeout = idleTimeout
    }

    /// The pool's threads, running or idle.
    var threadCount: Int { state.withLock { $0.threads } }

    /// Runs `body` on a pool thread; the caller suspends until it returns.
    ///
    /// A cancelled caller is resumed at once with `CancellationError` and does not wait for the thread (which
    /// cannot be interrupted): the body finishes in the background and its result is dropped. A body that has
    /// not started yet when its caller is cancelled does not run.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let caller = Caller<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
                guard caller.wait(c) else { return }  // cancelled already: resumed
                let job: @Sendable () -> Void = {
                    guard caller.isWaiting else { return }
                    caller.resume(Result { try body() })
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
                // Never joined (an idle thread exits on its own): detached, so its stack goes when it does.
                if action == 2 { DedicatedThread.start(name: "cairn-blocking") { [self] in work() }.detach() }
            }
        } onCancel: {
            caller.resume(.failure(CancellationError()))
        }
    }

    /// The suspended caller of ``run(_:)``, resumed exactly once: by the body's result or by cancellation,
    /// whichever comes first.
    private final class Caller<T: Sendable>: Sendable {
        private enum State {
            case starting
            case waiting(CheckedContinuation<T, any Error>)
            case cancelled
            case done
        }

        private let state = Mutex(State.starting)

        /// Registers the continuation; false (and resumes it) if the caller was cancelled before.
        func wait(_ c: CheckedContinuation<T, any Error>) -> Bool {
            let cancelled = state.withLock { s -> Bool in
                if case .cancelled = s {
                    s = .done
                    return true
                }
                s = .waiting(c)
                return false
            }
            if cancelled { c.resume(throwing: CancellationError()) }
            return !cancelled
        }

        var isWaiting: Bool {
            state.withLock { s in
                if case .waiting = s { return true }
                return false
            }
        }

        func resume(_ result: Result<T, any Error>) {
            let c = state.withLock { s -> CheckedContinuation<T, any Error>? in
                switch s {
                case .starting:
                    s = .cancelled
                    return nil
                case .waiting(let c):
                    s = .done
                    return c
                case .cancelled, .done:
                    return nil
                }
            }
            c?.resume(with: result)
        }
    }

    private func work() {
        Platform.nameCurrentThread("cairn-blocking")
        while true {
            let job = state.withLock { s -> (@Sendable () -> Void)? in
                if s.queue.isEmpty {
                    s.idle += 1
                    return nil
                }
                return s.queue.removeFirst()
            }
            if let job {
                job()
                continue
            }
            guard available.wait(timeout: .now() + idleTimeout) == .timedOut else { continue }
            enum Next { case exit, work, claimed }
            let next = state.withLock { s -> Next in
                // With `idle` at 0, a producer counted this thread out of the idle ones and its signal is pending.
                guard s.idle > 0 else { return .claimed }
                s.idle -= 1
                guard s.queue.isEmpty else { return .work }  // queued meanwhile: taken on the next turn
                s.threads -= 1
                return .exit
            }
            switch next {
            case .exit: return
            case .work: continue
            case .claimed: available.wait()  // returns at once: the pending signal
            }
        }
    }
}
