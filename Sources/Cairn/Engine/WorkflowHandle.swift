import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A workflow of type `W`, by ID: its result, its status and summary, and what can be done to it from outside
/// (send it a message, read its events, cancel it).
///
/// Got from ``WorkflowEngine/start(_:input:id:)`` or, for a workflow started earlier (in this process or before a
/// restart), from ``WorkflowEngine/handle(for:of:)``. A handle is a value: it holds no resources, and any number
/// of them may exist for one workflow.
///
/// ```swift
/// let handle = try await engine.start(ProcessOrder.self, input: order, id: "order-\(order.id)")
/// if let receipt = try await handle.result(timeout: .seconds(5)) {
///     return .ok(receipt)
/// }
/// return .accepted(statusURL: "/orders/\(order.id)")  // still running: answer 202
/// ```
public struct WorkflowHandle<W: Workflow>: Sendable {
    /// The workflow's ID.
    public let id: String
    let engine: WorkflowEngine

    init(id: String, engine: WorkflowEngine) {
        self.id = id
        self.engine = engine
    }

    /// Waits for the workflow to finish and returns its result.
    /// - Throws: the ``DurableError`` the workflow's body threw, when its type is registered; otherwise
    ///   ``WorkflowFailure`` when the workflow's body threw; ``WorkflowError`` `.timedOut` when its deadline passed
    ///   (``StartOptions/timeout``), `.cancelled`, `.diverged`
    ///   or `.parked` when it stopped without a result (resume it to go on); `.notFound`; `.idConflict` when the
    ///   workflow is not a `W`; `.shuttingDown` (or
    ///   `.logFailure`, when its log failed) when the engine stopped before the workflow finished — it resumes
    ///   when the log is opened again.
    public func result() async throws -> W.Output {
        while true {
            switch try poll() {
            case .settled(let output): return output
            case .wait(let signal): _ = try await engine.wait(for: signal, until: nil, interrupt: nil)
            }
        }
    }

    /// Waits up to `timeout` for the workflow to finish: its result, or nil when the timeout passes first (the
    /// workflow goes on running). "Answer within 5 seconds, else 202 Accepted" is one call.
    ///
    /// The timeout is measured on the engine's ``WorkflowClock`` (a test clock makes it pass when the test
    /// advances time). A zero or negative timeout looks without waiting: the result if the workflow has finished.
    /// When `W.Output` is itself optional, tell a finished workflow's nil from a timeout with ``status()``.
    /// - Throws: as ``result()``: a workflow that stops without a result (failed, cancelled, parked, …) before the
    ///   timeout throws rather than returning nil.
    public func result(timeout: Duration) async throws -> W.Output? {
        let deadline = engine.clock.deadline(after: UInt64(max(0, timeout.nanoseconds)))
        while true {
            switch try poll() {
            case .settled(let output): return output
            case .wait(let signal):
                if try await !engine.wait(for: signal, until: deadline, interrupt: nil) { return nil }
            }
        }
    }

    private enum Poll {
        case settled(W.Output)
        case wait(Signal)
    }

    /// The result if the workflow is settled (or the error that says why there is none); otherwise a signal fired
    /// when its status changes. Synchronous, so that the frame ``result()`` keeps while it waits stays small.
    @inline(never)
    private func poll() throws -> Poll {
        switch engine.settled(id) {
        case .wait(let signal): return .wait(signal)
        case .settled(let summary): return .settled(try outcome(of: summary))
        case .stopped(let error): throw error
        }
    }

    /// The result of a settled workflow (or the error that says why there is none).
    private func outcome(of summary: WorkflowSummary?) throws -> W.Output {
        guard let summary else { throw notFound() }
        guard summary.name == W.name else {
            throw WorkflowError(
                .idConflict, "workflow '\(id)' is a '\(summary.name)', not a '\(W.name)'; ask for a handle of its own type",
                workflowID: id)
        }
        switch summary.status {
        case .completed:
            return try engine.decode(
                W.Output.self, from: summary.output ?? [], what: "the workflow's result", workflowID: id, position: nil)
        case .failed:
            let failure = summary.failure ?? WorkflowFailure(errorType: "Error", message: "")
            throw engine.thrownError(of: failure, workflowID: id)
        case .cancelled where summary.timedOut:
            throw WorkflowError(
                .timedOut,
                "the workflow's deadline (\(summary.deadline.map { Date(nanosecondsSince1970: $0).description } ?? "unknown")) passed, so it and its descendants were cancelled; resume it to go on without a deadline",
                workflowID: id)
        case .cancelled:
            throw WorkflowError(.cancelled, "the workflow was cancelled; resume it to go on", workflowID: id)
        case .diverged:
            throw WorkflowError(.diverged, summary.parkReason ?? "the workflow diverged from its history", workflowID: id)
        case .parked:
            throw WorkflowError(.parked, summary.parkReason ?? "the workflow is parked", workflowID: id)
        case .pending, .running, .enqueued:
            throw WorkflowError(.invalidState, "the workflow is still \(summary.status)", workflowID: id)
        }
    }

    /// The workflow's current status.
    /// - Throws: ``WorkflowError`` `.notFound` when no workflow has this ID.
    public func status() async throws -> WorkflowStatus {
        try await summary().status
    }

    /// What the engine knows about the workflow now: status, times, parent, and its result or error once finished
    /// (``WorkflowSummary``).
    /// Asynchronous, as every query on a handle, so that a store that must be asked (a database) fits the same API.
    /// - Throws: ``WorkflowError`` `.notFound` when no workflow has this ID.
    public func summary() async throws -> WorkflowSummary {
        guard let summary = engine.summary(of: id) else { throw notFound() }
        return summary
    }

    /// Sends the workflow a message: ``WorkflowEngine/send(_:to:topic:idempotencyKey:)`` to this workflow.
    public func send<M: Codable & Sendable>(_ message: M, topic: String = "", idempotencyKey: String? = nil) async throws {
        try await engine.send(message, to: id, topic: topic, idempotencyKey: idempotencyKey)
    }

    /// The value the workflow set for `key`, waiting up to `timeout` for it (nil: do not wait); nil when it is not
    /// set in time. ``WorkflowEngine/event(_:key:of:timeout:)`` for this workflow.
    public func event<V: Codable & Sendable>(_ type: V.Type, key: String, timeout: Duration? = nil) async throws -> V? {
        try await engine.event(type, key: key, of: id, timeout: timeout)
    }

    /// Cancels the workflow and, unless `includingChildren` is false, its unfinished descendants, in one durable
    /// commit: ``WorkflowEngine/cancel(_:includingChildren:)``.
    public func cancel(includingChildren: Bool = true) async throws {
        try await engine.cancel(id, includingChildren: includingChildren)
    }

    private func notFound() -> WorkflowError {
        WorkflowError(.notFound, "no workflow with this ID", workflowID: id)
    }
}
