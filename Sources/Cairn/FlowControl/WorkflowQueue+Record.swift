import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

extension WorkflowQueue {
    /// A queue's limits as a ``EventKind/queueDeclared`` record's payload holds them (JSON): what a tool reading the
    /// log shows as the queue's limits. The engine's own limits are always its configuration's.
    struct Record: Codable, Equatable {
        var concurrency: Int?
        var workerConcurrency: Int?
        var partitionConcurrency: Int?
        var rateLimitCount: Int?
        var rateLimitPeriodNanoseconds: Int64?

        init(_ queue: WorkflowQueue) {
            concurrency = queue.concurrency
            workerConcurrency = queue.workerConcurrency
            partitionConcurrency = queue.partitionConcurrency
            rateLimitCount = queue.rateLimit?.count
            rateLimitPeriodNanoseconds = queue.rateLimit?.period.nanoseconds
        }

        /// The record a payload holds; nil when it does not decode (a tool then shows the limits as unknown).
        init?(recorded payload: [UInt8]) {
            guard let decoded = try? JSONDecoder().decode(Record.self, from: Data(payload)) else { return nil }
            self = decoded
        }

        var payload: [UInt8] { (try? Array(JSONEncoder().encode(self))) ?? [] }

        /// The queue named `name` with these limits.
        func queue(named name: String) -> WorkflowQueue {
            WorkflowQueue(
                name, concurrency: concurrency, workerConcurrency: workerConcurrency,
                partitionConcurrency: partitionConcurrency,
                rateLimit: rateLimitCount.map { .init($0, per: .nanoseconds(rateLimitPeriodNanoseconds ?? 0)) })
        }
    }
}

extension WorkflowEngine {
    /// Records the declaration of every queue whose limits differ from the ones the log recorded last, so that tools
    /// reading the log (`cairn inspect`, `cairn list`) show them. Called by ``run()`` once recovery is done.
    func recordQueueDeclarations() async throws {
        let now = clock.now()
        let changed = state.withLock { s in
            configuration.queues.filter { queue in
                s.projection.queues.declarations[queue.name].map { WorkflowQueue.Record($0) != WorkflowQueue.Record(queue) } ?? true
            }
        }
        guard !changed.isEmpty else { return }
        try await commit(changed.map { queue in
            Event(kind: .queueDeclared, workflowID: "", name: queue.name, time: now, payload: WorkflowQueue.Record(queue).payload)
        })
        logger.info("queue declarations recorded", metadata: ["queues": "\(changed.map { $0.name })"])
    }
}
