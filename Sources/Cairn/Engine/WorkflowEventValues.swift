/// The values one event key of one workflow takes, decoded: what ``WorkflowHandle/eventValues(_:key:)``
/// returns.
///
/// Its first element is the event's current value, if it is set when the sequence is made; then each value set
/// after, in the order recorded. Single-pass, and it ends and throws as ``WorkflowChanges`` does; it also throws
/// ``WorkflowError`` `.undecodablePayload` for a value that does not decode as `V`.
public struct WorkflowEventValues<V: Decodable & Sendable>: AsyncSequence, Sendable {
    public typealias Element = V

    private let changes: WorkflowChanges
    private let codec: any PayloadCodec

    init(_ changes: WorkflowChanges, codec: any PayloadCodec) {
        self.changes = changes
        self.codec = codec
    }

    /// Makes the sequence's iterator (once: the sequence is single-pass).
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: changes.makeAsyncIterator(), codec: codec)
    }

    /// Iterates a ``WorkflowEventValues``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: WorkflowChanges.AsyncIterator
        let codec: any PayloadCodec

        /// The next value, waiting for it; nil once the sequence has ended.
        public mutating func next() async throws -> V? {
            while let change = try await base.next() {
                if case .event(let event) = change { return try event.value(as: V.self, codec: codec) }
            }
            return nil
        }
    }
}
