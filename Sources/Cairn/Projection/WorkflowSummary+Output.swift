extension WorkflowSummary {
    /// The current value of event `key` (``WorkflowContext/setEvent(_:_:file:line:)``), decoded as `type`; nil when
    /// the workflow has not set it (or the summary is not a query's: see ``eventValues``).
    /// - Parameter codec: the codec the engine was configured with (``EngineConfiguration/codec``).
    /// - Throws: ``WorkflowError`` `.undecodablePayload` when the value does not decode as `type`.
    public func eventValue<T: Decodable>(_ type: T.Type, key: String, codec: any PayloadCodec = JSONPayloadCodec()) throws -> T? {
        guard let value = eventValues[key] else { return nil }
        return try codec.decodeRecorded(T.self, from: value, what: "the value of event '\(key)'", workflowID: id)
    }

    /// The result of a completed workflow, decoded as `type`; nil when the workflow has not completed (a failed
    /// one's error is ``failure``).
    ///
    /// Summaries from ``WorkflowEngine/summary(of:)``, ``WorkflowEngine/list(status:name:startedSince:startedBefore:idContaining:limit:after:)``
    /// and ``WorkflowHandle/summary()`` carry the result. A typed handle's ``WorkflowHandle/result()`` is the usual
    /// way; this serves a listing of workflows of several types.
    /// - Parameter codec: the codec the engine was configured with (``EngineConfiguration/codec``).
    /// - Throws: ``WorkflowError`` `.undecodablePayload` when the result does not decode as `type`.
    public func output<T: Decodable>(as type: T.Type, codec: any PayloadCodec = JSONPayloadCodec()) throws -> T? {
        guard status == .completed, let output else { return nil }
        return try codec.decodeRecorded(T.self, from: output, what: "the workflow's result", workflowID: id)
    }
}
