extension WorkflowEngine {
    /// Decodes the user's value `event` carries (its ``HistoryEvent/payload``) with this engine's
    /// ``PayloadCodec``.
    ///
    /// ```swift
    /// let charged = try engine.decode(event, as: Receipt.self)
    /// ```
    /// - Throws: ``WorkflowError`` — `.invalidArgument` when the event carries no value (a failure, a timeout, a
    ///   lifecycle event), `.undecodablePayload` when its bytes do not decode as `T`.
    public func decode<T: Decodable>(_ event: HistoryEvent, as type: T.Type = T.self) throws -> T {
        guard let payload = event.payload else {
            throw WorkflowError(
                .invalidArgument,
                "the \(event.kind) event at LSN \(event.lsn) carries no value to decode; check `payload` or `details` first",
                workflowID: event.workflowID, position: event.position)
        }
        return try decode(T.self, from: payload, what: "the value of the \(event.kind) event at LSN \(event.lsn)", workflowID: event.workflowID, position: event.position)
    }
}
