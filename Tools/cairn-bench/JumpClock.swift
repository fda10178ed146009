import Cairn
import Synchronization

/// The `waiting` workload's engine clock: the system's real time plus an offset that ``jump(by:)`` moves forward,
/// so that a sleep recorded an hour ahead ends the moment the bench chooses, for every sleeper at once.
///
/// A sleep returns when a jump takes the clock past its deadline, or at once if it is already past; real time
/// alone does not end it (the workload's deadlines are an hour ahead, beyond any run). Cancellation ends it with
/// `CancellationError`, as the engine's shutdown expects.
final class JumpClock: WorkflowClock {
    private struct State {
        var offset: Int64 = 0
        var sleepers: [Int: (deadline: Int64, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())
    private let system = SystemWorkflowClock()

    func now() -> Int64 { system.now() + state.withLock { $0.offset } }

    func sleep(until deadline: Int64) async throws {
        let id = state.withLock { s -> Int in
            defer { s.nextID += 1 }
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let now = system.now()
                let due = state.withLock { s -> Bool in
                    if deadline <= now + s.offset || Task.isCancelled { return true }
                    s.sleepers[id] = (deadline, c)
                    return false
                }
                if due { c.resume() }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    /// How many sleeps are waiting for a jump.
    var sleeping: Int { state.withLock { $0.sleepers.count } }

    /// Moves the clock `nanoseconds` forward and wakes every sleep whose deadline it passes.
    func jump(by nanoseconds: Int64) {
        let now = system.now()
        let due = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.offset += nanoseconds
            let ids = s.sleepers.filter { $0.value.deadline <= now + s.offset }.map(\.key)
            return ids.compactMap { s.sleepers.removeValue(forKey: $0)?.continuation }
        }
        for c in due { c.resume() }
    }
}
