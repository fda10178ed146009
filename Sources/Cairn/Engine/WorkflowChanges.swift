/// A live sequence of ``WorkflowChange``s: what ``WorkflowEngine/changes(name:id:)`` and
/// ``WorkflowHandle/updates()`` return.
///
/// Single-pass: iterate it once, from one task. It ends normally when that task is cancelled or when it is
/// dropped (either unsubscribes it from the engine), and for ``WorkflowHandle/updates()`` once the workflow is
/// completed, failed or cancelled. It throws ``WorkflowError`` `.fellBehind` when its consumer falls
/// ``EngineConfiguration/maxBufferedChanges`` changes behind, and `.shuttingDown` (or `.logFailure`) when the
/// engine stops; after either, read the state again and subscribe again.
public struct WorkflowChanges: AsyncSequence, Sendable {
    public typealias Element = WorkflowChange

    private let stream: AsyncThrowingStream<WorkflowChange, any Error>

    init(_ stream: AsyncThrowingStream<WorkflowChange, any Error>) { self.stream = stream }

    /// Makes the sequence's iterator (once: the sequence is single-pass).
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: stream.makeAsyncIterator()) }

    /// Iterates a ``WorkflowChanges``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<WorkflowChange, any Error>.AsyncIterator

        /// The next change, waiting for it; nil once the sequence has ended.
        /// - Throws: ``WorkflowError``, as ``WorkflowChanges`` says.
        public mutating func next() async throws -> WorkflowChange? { try await base.next() }
    }
}
