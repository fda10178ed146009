import Synchronization

/// Runs `operation` against `timeout`: its result, or the error `expired()` makes once the deadline passes first.
/// The loser is left behind rather than awaited, so an operation that ignores cancellation (a `Task.value`, a
/// shutdown, an append that cannot be withdrawn) fails its test instead of hanging it; it is cancelled.
public func raceDeadline<T: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T,
    expired: @escaping @Sendable () -> any Error
) async throws -> T {
    try await FirstOf.race(timeout, operation, expired: expired)
}

/// The first of an operation and its deadline to finish resumes the one waiting; the other is left behind. (A task
/// group would wait for both, so an operation that ignores cancellation would hold the test forever.)
final class FirstOf<T: Sendable>: Sendable {
    private struct State {
        var waiter: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var finished = false
    }

    private let state = Mutex(State())

    /// Finishes with `result` unless something finished first; returns whether this was first.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (first, waiter) = state.withLock { s -> (Bool, CheckedContinuation<T, any Error>?) in
            guard !s.finished else { return (false, nil) }
            s.finished = true
            defer { s.waiter = nil }
            if s.waiter == nil { s.result = result }
            return (true, s.waiter)
        }
        waiter?.resume(with: result)
        return first
    }

    var value: T {
        get async throws {
            try await withCheckedThrowingContinuation { c in
                let ready = state.withLock { s -> Result<T, any Error>? in
                    if let result = s.result { return result }
                    s.waiter = c
                    return nil
                }
                if let ready { c.resume(with: ready) }
            }
        }
    }

    /// Runs `operation` against `timeout`; the deadline's error is `expired()`.
    static func race(
        _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T, expired: @escaping @Sendable () -> any Error
    ) async throws -> T {
        let first = FirstOf<T>()
        let work = Task {
            do { first.finish(.success(try await operation())) } catch { first.finish(.failure(error)) }
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            if first.finish(.failure(expired())) { work.cancel() }
        }
        defer { timer.cancel() }
        return try await first.value
    }
}
