extension WorkflowSummary {
    /// The result of a completed workflow, decoded as `type`; nil when the workflow has not completed (a failed
    /// one's error is ``failure``).
    ///
    /// Summaries from ``WorkflowEngine/summary(of:)``, ``WorkflowEngine/list(status:name:startedSince:startedBefore:limit:after:)``
    /// and ``WorkflowHandle/summary()`` carry the result. A typed handle's ``WorkflowHandle/result()`` is the usual
    /// way; this serves a listing of workflows of several types.
    /// - Parameter codec: the codec the engine was configured with (``EngineConfiguration/codec``).
    /// - Throws: ``WorkflowError`` `.undecodablePayload` when the result does not decode as `type`.
    public func output<T: Decodable>(as type: T.Type, codec: any PayloadCodec = JSONPayloadCodec()) throws -> T? {
        guard status == .completed, let output else { return nil }
        do {
            return try codec.decode(T.self, from: output)
        } catch {
            throw WorkflowError(
                .undecodablePayload, "the workflow's result does not decode as \(T.self) (\(error)); is it of another type?",
                workflowID: id, underlying: SendableError(error))
        }
    }
}
