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

// The two ends of the progress channel, each in one place. Today progress is an event, which keeps its latest
// value: a reader that subscribes late sees the current stage and what follows. Once Cairn has durable streams,
// each function's body becomes one line — `context.writeStream(progressKey, progress)` and
// `engine.readStream(OrderProgress.self, of: id, key: progressKey)` — and a late reader sees every stage.

/// The key progress is published under.
let progressKey = "progress"

/// Publishes the order's progress from the workflow.
func publish(_ progress: OrderProgress, _ context: WorkflowContext) async throws {
    try await context.setEvent(progressKey, progress)
}

/// The order's progress, live: the current stage, then each one after, ending when the workflow ends.
func progressUpdates(
    of id: String, in engine: WorkflowEngine
) -> some AsyncSequence<OrderProgress, any Error> & Sendable {
    engine.handle(for: id, of: ProcessOrder.self).eventValues(OrderProgress.self, key: progressKey)
}
