import Logging

/// Errors into records and back (``DurableError``): what a failure records, and what its reader throws. Failure
/// paths only: nothing here runs for a step that succeeds.
extension WorkflowEngine {
    /// How `error`, thrown by a step's body after its last attempt or by a workflow's body, is recorded: a
    /// ``DurableError`` under its ``DurableError/errorType``, with its value; any other error under its Swift type
    /// name (a ``WorkflowFailure`` a workflow rethrows, as it was recorded). The message is cut to a recordable size.
    ///
    /// A value that cannot be encoded, or that does not fit ``EngineConfiguration/maxPayloadSize`` beside the message,
    /// is left out (with a warning): the failure is recorded as text, and read back as an error of an unregistered
    /// type would be.
    @inline(never)
    func recordedFailure(of error: any Error, workflowID: String, position: Position?) -> WorkflowFailure {
        if let failure = error as? WorkflowFailure {
            var recorded = failure
            (recorded.errorType, recorded.message) = (recordableType(failure.errorType), recordable(failure.message))
            if let value = failure.value, !fits(value, beside: recorded.message) { recorded.value = nil }
            return recorded
        }
        var failure = WorkflowFailure(
            errorType: recordableType(recordedErrorType(of: error)), message: recordable("\(error)"))
        guard let durable = error as? any DurableError else { return failure }
        do {
            let value = try codec.encode(durable)
            if fits(value, beside: failure.message) {
                failure.value = value
            } else {
                warnAsText(
                    "a durable error's value is too large to record; recorded as text", failure, workflowID, position,
                    ["bytes": "\(value.count)", "maxPayloadSize": "\(configuration.maxPayloadSize)"])
            }
        } catch {
            warnAsText(
                "a durable error's value could not be encoded (make the type encodable with the engine's payload codec); recorded as text",
                failure, workflowID, position, ["error": "\(error)"])
        }
        return failure
    }

    /// The name `error` is recorded under (before the cut to a recordable size): a ``DurableError``'s
    /// ``DurableError/errorType``, a ``WorkflowFailure``'s own, otherwise the Swift type's name. Strict replay
    /// compares a workflow's failure by it.
    func recordedErrorType(of error: any Error) -> String {
        if let durable = error as? any DurableError { return Swift.type(of: durable).errorType }
        if let failure = error as? WorkflowFailure { return failure.errorType }
        return String(reflecting: Swift.type(of: error))
    }

    /// The registered ``DurableError`` a recorded failure carries, decoded from its value; nil when it carries none,
    /// its type is not registered (a warning says so), or its bytes do not decode as that type (a warning too).
    /// The caller then throws the failure as text (``StepFailure``, ``WorkflowFailure``).
    @inline(never)
    func durableError(of failure: WorkflowFailure, workflowID: String, position: Position?) -> (any DurableError)? {
        guard let value = failure.value else { return nil }
        guard let type = errorTypes[failure.errorType] else {
            warnAsText(
                "a recorded failure carries a durable error whose type is not registered (declare the type in a registered workflow's errors)",
                failure, workflowID, position)
            return nil
        }
        do {
            return try decodeError(type, from: value)
        } catch {
            warnAsText(
                "a recorded durable error does not decode as its registered type (did the type change?)", failure,
                workflowID, position, ["type": "\(String(reflecting: type))", "error": "\(error)"])
            return nil
        }
    }

    /// What awaiting a failed workflow throws (a handle's result, a parent's child result): its registered
    /// ``DurableError``, otherwise the ``WorkflowFailure`` as text.
    func thrownError(of failure: WorkflowFailure, workflowID: String, position: Position? = nil) -> any Error {
        durableError(of: failure, workflowID: workflowID, position: position) ?? failure.withoutValue
    }

    /// Warns that `failure` reaches its callers as text (a ``WorkflowFailure`` or ``StepFailure``), not as its
    /// ``DurableError``, and why.
    private func warnAsText(
        _ why: String, _ failure: WorkflowFailure, _ workflowID: String, _ position: Position?,
        _ details: Logger.Metadata = [:]
    ) {
        var metadata: Logger.Metadata = [
            "workflow": "\(workflowID)", "position": "\(position.map { "\($0)" } ?? "-")",
            "errorType": "\(failure.errorType)",
        ]
        metadata.merge(details) { _, detail in detail }
        logger.warning("\(why); callers get a WorkflowFailure or StepFailure", metadata: metadata)
    }

    private func decodeError<E: DurableError>(_ type: E.Type, from bytes: [UInt8]) throws -> E {
        try codec.decode(E.self, from: bytes)
    }

    /// Whether a value and a message, framed, fit a payload.
    private func fits(_ value: [UInt8], beside message: String) -> Bool {
        message.utf8.count + value.count + 10 <= configuration.maxPayloadSize
    }
}
