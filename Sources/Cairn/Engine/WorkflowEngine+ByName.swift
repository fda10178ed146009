public import CairnLog
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What tools reach without the workflows' Swift types — the HTTP API (CairnHTTP), a remote `cairn` — : the
/// registered names, a start by name with a JSON input, a JSON message, and every event as it is recorded.
extension WorkflowEngine {
    /// The names of the workflows this engine can run (given to ``open(directory:configuration:workflows:dependencies:)``
    /// and the children they declare), sorted.
    public var registeredWorkflows: [String] { registry.keys.sorted() }

    /// Starts the workflow registered as `name` with `jsonInput` decoded as its input type: what
    /// ``start(_:input:id:)`` does, for a caller that has JSON and a name instead of the Swift types.
    ///
    /// Idempotent by ID, like ``start(_:input:id:)``.
    /// - Returns: the workflow's ID (`id`, or a random UUID when nil).
    /// - Throws: ``WorkflowError`` — `.unknownWorkflow` when no workflow is registered as `name`,
    ///   `.invalidArgument` when the JSON is not a valid input (the message says where); in both cases nothing is
    ///   written; then whatever ``start(_:input:id:)`` throws.
    public func start(workflowNamed name: String, jsonInput: [UInt8], id: String? = nil) async throws -> String {
        guard let registration = registry[name] else {
            throw WorkflowError(
                .unknownWorkflow,
                "no workflow is registered as '\(name)'; this engine runs \(registeredWorkflows.map { "'\($0)'" }.joined(separator: ", "))",
                workflowID: id)
        }
        return try await registration.startFromJSON(self, jsonInput, id)
    }

    /// Sends `jsonMessage`, any JSON, to workflow `workflowID`'s inbox: ``send(_:to:topic:idempotencyKey:)`` with
    /// the message as a ``JSONValue``; the receiving workflow decodes it as its own type.
    /// - Throws: ``WorkflowError`` `.invalidArgument` when `jsonMessage` is not JSON (nothing is written); then what
    ///   ``send(_:to:topic:idempotencyKey:)`` throws.
    public func send(
        jsonMessage: [UInt8], to workflowID: String, topic: String = "", idempotencyKey: String? = nil
    ) async throws {
        let message = try JSONValue(parsing: jsonMessage, what: "the message")
        try await send(message, to: workflowID, topic: topic, idempotencyKey: idempotencyKey)
    }

    /// The LSN of the last event recorded (and applied) so far; nil for an empty store.
    public var lastRecorded: LSN? { state.withLock { $0.projection.lastLSN } }

    /// Every event the store holds after `after` (all of them when nil), in log order, and then each new one as it
    /// is committed: what `cairn tail --url` and the HTTP API's event stream read. Read from the store, never from
    /// the engine's state: a reader that falls behind costs the engine nothing.
    ///
    /// - Parameter workflowID: only this workflow's events (its lifecycle, operations and the messages sent to it).
    /// - Returns: a sequence that ends when its task is cancelled, and throws ``WorkflowError`` `.undecodableEvent`
    ///   for a damaged record, or the store's error; for a replay-only engine, `.invalidState` at once.
    public func events(after: LSN? = nil, workflowID: String? = nil) -> AsyncThrowingStream<HistoryEvent, any Error> {
        guard let store else {
            return AsyncThrowingStream { $0.finish(throwing: WorkflowError(.invalidState, "a replay-only engine has no store to read")) }
        }
        var entries = store.tail(from: after?.next ?? .first).makeAsyncIterator()
        let wanted = workflowID.map { Array($0.utf8) }
        return AsyncThrowingStream {
            while let entry = try await entries.next() {
                let event = try entry.payload.withUnsafeBytes { bytes -> Event? in
                    if let wanted, let peek = try? EnvelopePeek(tag: entry.tag, bytes: bytes), !peek.concerns(wanted, in: bytes) {
                        return nil
                    }
                    return try Event(lsn: entry.lsn, tag: entry.tag, bytes: bytes)
                }
                if let event { return try HistoryEvent(HistoryRecord(lsn: entry.lsn, event: event)) }
            }
            return nil
        }
    }
}
