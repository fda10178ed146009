public import Cairn
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
import Synchronization

/// A ``Cairn/WorkflowClock`` for tests: time moves only when the test (or a sleep, in skipping mode) moves it, so a
/// workflow that sleeps a week is tested in milliseconds.
///
/// - ``Mode/skipping`` (the default): every durable sleep and timeout returns at once, moving the clock forward to
///   its deadline. Good for "run it to the end"; a receive with a timeout times out at once unless its message is
///   already there.
/// - ``Mode/manual``: sleeps wait until ``advance(by:)`` moves the clock past their deadline. For tests that must
///   deliver a message before a timeout, or look at a workflow mid-sleep.
public final class TestClock: WorkflowClock {
    /// How sleeps behave.
    public enum Mode: Sendable {
        /// Sleeps return at once, moving the clock to their deadline.
        case skipping
        /// Sleeps wait for ``TestClock/advance(by:)``.
        case manual
    }

    private struct Sleeper {
        var deadline: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State: ~Copyable {
        var now: Int64
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0
    }

    /// How sleeps behave.
    public let mode: Mode
    private let state: Mutex<State>

    /// A clock at `start` (default 2023-11-14 22:13:20 UTC, a fixed instant so tests are repeatable).
    public init(start: Date = Date(timeIntervalSince1970: 1_700_000_000), mode: Mode = .skipping) {
        self.mode = mode
        state = Mutex(State(now: Int64(start.timeIntervalSince1970 * 1e9)))
    }

    /// The clock's time, nanoseconds since 1970.
    public func now() -> Int64 { state.withLock { $0.now } }

    /// The clock's time as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: Double(now()) / 1e9) }

    /// Sleeps waiting for ``advance(by:)`` (manual mode); none in skipping mode.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Int64) async throws {
        try Task.checkCancellation()
        if mode == .skipping {
            state.withLock { $0.now = max($0.now, deadline) }
            await Task.yield()
            return
        }
        let id = state.withLock { s -> Int in
            defer { s.nextID += 1 }
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let due = state.withLock { s -> Bool in
                    if deadline <= s.now { return true }
                    s.sleepers[id] = Sleeper(deadline: deadline, continuation: c)
                    return false
                }
                if due { c.resume() }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward and wakes every sleep whose deadline has come.
    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        // Saturating: advancing by `.seconds(.max)` reaches the end of time rather than trapping.
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, sumOverflow) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        let nanos = overflow || sumOverflow ? (seconds < 0 ? 0 : Int64.max) : sum
        let due = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            let (later, past) = s.now.addingReportingOverflow(max(0, nanos))
            s.now = past ? .max : later
            let now = s.now
            let ids = s.sleepers.filter { $0.value.deadline <= now }.map(\.key)
            return ids.compactMap { s.sleepers.removeValue(forKey: $0)?.continuation }
        }
        for continuation in due { continuation.resume() }
    }

    /// Waits (polling, without sleeping on the real clock) until at least `count` sleeps are waiting in manual
    /// mode: a workflow has reached its sleep or timeout.
    public func waitForSleepers(_ count: Int = 1) async {
        while sleeperCount < count { await Task.yield() }
    }
}
