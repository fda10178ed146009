extension WorkflowContext {
    /// Appends `value` to this workflow's stream `key`, for readers of ``WorkflowEngine/readStream(_:of:key:from:)``
    /// (live, and after restarts: the value is recorded in the log). Progress, partial results, an LLM's tokens.
    ///
    /// A recorded operation: written once, and on replay matched with its record and not written again (a
    /// workflow that crashed between writes goes on with its stream without repeating a value). Like every
    /// outcome, the value is made durable — and reaches readers — with the workflow's next operation, or with its
    /// completion.
    ///
    /// Write a stream from one line of execution: the values of branches of ``parallel(_:file:line:_:)`` writing
    /// one stream interleave in the order they commit.
    /// - Throws: ``WorkflowError`` `.streamClosed` when this workflow closed the stream
    ///   (``closeStream(_:file:line:)``), `.undecodablePayload` when `value` cannot be encoded,
    ///   `.payloadTooLarge`; nothing is written.
    public func writeStream<V: Codable & Sendable>(_ key: String, _ value: V, file: String = #fileID, line: Int = #line) async throws {
        let callSite = CallSite(file: file, line: line)
        // Before taking a position: a refused write records nothing, live or on replay.
        if run.hasClosedStream(key) {
            throw WorkflowError(
                .streamClosed,
                "writeStream('\(key)') at \(callSite): the workflow closed stream '\(key)' before; its readers have finished. Write before closing, or to another key",
                workflowID: run.id)
        }
        let (position, recorded) = try await begin(AttemptedOperation(kind: .writeStream, name: key, callSite: callSite))
        defer { end() }
        if recorded != nil { return }
        let payload = try encode(value, what: "value of stream '\(key)'", at: position)
        enqueue(event(.streamWritten, at: position, name: key, callSite: callSite, payload: payload))
    }

    /// Closes this workflow's stream `key`: its readers finish once they have read every value, and later writes
    /// to it throw ``WorkflowError/Code/streamClosed``. Recorded, as ``writeStream(_:_:file:line:)``. Closing a
    /// closed stream does nothing (and records nothing). A stream need not be closed: its readers finish when the
    /// workflow ends anyway.
    public func closeStream(_ key: String, file: String = #fileID, line: Int = #line) async throws {
        if run.hasClosedStream(key) { return }
        let callSite = CallSite(file: file, line: line)
        let (position, recorded) = try await begin(AttemptedOperation(kind: .closeStream, name: key, callSite: callSite))
        defer { end() }
        // Noted once the operation has its position (live or replayed): a refused one leaves the stream open.
        run.closeStream(key)
        if recorded != nil { return }
        enqueue(event(.streamClosed, at: position, name: key, callSite: callSite))
    }
}
