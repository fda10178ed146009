/// An error that survives the record: thrown by a step's body (after its last attempt) or by a workflow's body, it
/// is recorded with its value, and whoever awaits the outcome catches the same type with the same value — the
/// workflow's own code around the step, live and on replay; ``WorkflowHandle/result()``, live and after a restart;
/// a parent awaiting its child (``ChildWorkflow/result(file:line:)``).
///
/// ```swift
/// struct PaymentDeclined: DurableError {
///     static let errorType = "payment-declined"
///     var reason: String
/// }
///
/// struct ProcessOrder: Workflow {
///     static var errors: [any DurableError.Type] { [PaymentDeclined.self] }
///     …
/// }
///
/// // in a request handler:
/// do {
///     return .ok(try await handle.result())
/// } catch let declined as PaymentDeclined {
///     return .paymentRequired(declined.reason)  // 402
/// }
/// ```
///
/// The value is encoded with the engine's ``PayloadCodec`` and recorded beside the error's description (which the
/// CLI shows). Decoding it back looks its ``errorType`` up among the error types the registered workflows declare
/// (``Workflow/errors``). When that fails — the type is not declared, or its recorded bytes no longer decode as it —
/// the caller gets what an error of any other type gives: a ``StepFailure`` from a step, a ``WorkflowFailure`` from
/// a workflow or a child, with the recorded type name and description. Never a crash, and the same live and on
/// replay: the live path throws the value decoded from the bytes it records, not the value the body threw.
///
/// Declaring or removing an error type changes how recorded failures of that type come back, as a change of code
/// does: a history recorded before the change replays with what the workflow's code catches now.
public protocol DurableError: Error, Codable, Sendable {
    /// The name the record keeps for this type, to find it again. Keep it stable, as a workflow's ``Workflow/name``:
    /// renaming the Swift type then breaks no history. Two types of one name are refused at open.
    static var errorType: String { get }
}

extension WorkflowFailure {
    /// The ``DurableError`` of type `type` this failure recorded, decoded: for a failure read from a summary
    /// (``WorkflowSummary/failure``) or a history (``HistoryEvent/Details/stepFailed(_:)``,
    /// ``HistoryEvent/Details/failed(_:)``, ``HistoryEvent/Details/childCompleted(childID:failure:)``), where no
    /// caller threw it. Nil when the failure is of another type or carries no value (an error of a type that is not a
    /// ``DurableError``).
    /// - Parameter codec: the codec the engine was configured with (``EngineConfiguration/codec``).
    /// - Throws: ``WorkflowError`` `.undecodablePayload` when its ``errorType`` is `type`'s but the recorded value
    ///   does not decode as it (did the type change?).
    public func decode<E: DurableError>(_ type: E.Type, codec: any PayloadCodec = JSONPayloadCodec()) throws -> E? {
        guard errorType == E.errorType, let value else { return nil }
        return try codec.decodeRecorded(E.self, from: value, what: "the recorded '\(errorType)' error", workflowID: nil)
    }
}

/// An error that ends a step's retries at once: its failure is recorded after the attempt that threw it, whatever
/// the step's ``RetryPolicy`` allows. For an error type you do not own, list it in ``RetryPolicy/nonRetryable``.
public protocol NonRetryableError: Error {}

extension Workflow {
    /// No error types: what this workflow's steps and body throw is recorded as text.
    public static var errors: [any DurableError.Type] { [] }
}
