/// What an ``EventKind/retryWaitStarted`` event records: a step's attempt failed and the step waits, durably, for its
/// next one.
///
/// The failed attempt and the retry policy's `maxAttempts` share the event's `number` (the attempt in the low 32
/// bits, `maxAttempts` in the high 32, each at most `UInt32.max`): the envelope needs no field of its own for a
/// number only people read. Replay reads the attempt (the count goes on from it after a restart) and the deadline
/// (the next attempt runs then, never at a deadline drawn again).
package struct RetryWaitRecord: Sendable, Hashable {
    /// The attempt that failed, from 1.
    package var attempt: Int
    /// The retry policy's attempts in all, when recorded.
    package var maxAttempts: Int?
    /// When the next attempt runs, in nanoseconds since 1970.
    package var deadline: Int64
    /// What the failed attempt threw: its type and (cut) message.
    package var failure: WorkflowFailure

    /// The event's `number` for failed attempt `attempt` of `maxAttempts`.
    package static func number(attempt: Int, maxAttempts: Int) -> UInt64 {
        UInt64(UInt32(clamping: max(0, attempt))) | UInt64(UInt32(clamping: max(0, maxAttempts))) << 32
    }

    /// The failed attempt a recorded `number` holds.
    package static func attempt(ofNumber number: UInt64) -> Int { Int(number & 0xFFFF_FFFF) }

    /// The record `event` holds; nil when it is not a retry wait or lacks a field every retry wait records.
    package init?(_ event: Event) {
        guard event.kind == .retryWaitStarted, let number = event.number, let deadline = event.deadline,
            let failure = WorkflowFailure(recordedBy: event)
        else { return nil }
        attempt = Self.attempt(ofNumber: number)
        let maxAttempts = Int(number >> 32)
        self.maxAttempts = maxAttempts == 0 ? nil : maxAttempts
        self.deadline = deadline
        self.failure = failure
    }
}
