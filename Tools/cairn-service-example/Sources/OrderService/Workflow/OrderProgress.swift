import Cairn

/// How far an order has come: what `GET /orders/{id}/progress` streams.
public struct OrderProgress: Codable, Sendable, Equatable {
    public enum Stage: String, Codable, Sendable {
        case reserved, awaitingApproval, approved, declined, charged, shipped
    }

    public var stage: Stage
    /// The reservation, the reviewer, the charge or the tracking number, as the stage has one.
    public var detail: String?

    public init(_ stage: Stage, _ detail: String? = nil) {
        self.stage = stage
        self.detail = detail
    }
}

// The two ends of the progress channel, each in one place: a durable stream (Cairn's `writeStream` and
// `readStream`). Every stage is recorded, exactly once even across a crash, so a reader that comes late — or
// reconnects, or reads after a restart — gets every stage from the one it asks for, then the rest live.

/// The key of the stream progress is written to.
let progressKey = "progress"

/// Publishes the order's progress from the workflow: a recorded operation, replayed rather than written again.
func publish(_ progress: OrderProgress, _ context: WorkflowContext) async throws {
    try await context.writeStream(progressKey, progress)
}

/// The order's progress from stage `index` on (0: the first): the stages written so far, then each new one,
/// ending when the workflow ends.
func progressUpdates(
    of id: String, in engine: WorkflowEngine, from index: Int = 0
) -> some AsyncSequence<OrderProgress, any Error> & Sendable {
    engine.readStream(OrderProgress.self, of: id, key: progressKey, from: index)
}
