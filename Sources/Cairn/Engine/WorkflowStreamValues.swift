import CairnLog

/// The values of one stream of one workflow, decoded: what ``WorkflowEngine/readStream(_:of:key:from:)`` and
/// ``WorkflowHandle/readStream(_:key:from:)`` return.
///
/// Each iteration gives every value written so far (from the index asked for), in order, then each new one as it
/// commits; it ends when the stream is closed or the workflow is completed, failed or cancelled. Iterating it again
/// reads the stream again. It throws as ``WorkflowEngine/readStream(_:of:key:from:)`` says.
public struct WorkflowStreamValues<V: Decodable & Sendable>: AsyncSequence, Sendable {
    public typealias Element = V

    private let engine: WorkflowEngine
    private let workflowID: String
    private let key: String
    private let first: Int

    init(engine: WorkflowEngine, workflowID: String, key: String, from first: Int) {
        self.engine = engine
        self.workflowID = workflowID
        self.key = key
        self.first = first
    }

    /// Makes an iterator, which reads the stream from the index the sequence was made with when it is first asked
    /// for a value.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(self) }

    /// Iterates a ``WorkflowStreamValues``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let source: WorkflowStreamValues
        private var opened = false
        private var finished = false
        /// The past values not yet handed out.
        private var past: ArraySlice<ChangeSubscribers.StreamValue> = []
        /// The live values: nil once the stream has no more to come.
        private var live: AsyncThrowingStream<ChangeSubscribers.StreamValue, any Error>.AsyncIterator?
        /// The index in the stream of the next value met.
        private var index: Int

        init(_ source: WorkflowStreamValues) {
            self.source = source
            index = source.first
        }

        /// The next value, waiting for it; nil once the stream is closed, its workflow has ended, or the task was
        /// cancelled.
        /// - Throws: ``WorkflowError``, as ``WorkflowEngine/readStream(_:of:key:from:)`` says; nil after that.
        public mutating func next() async throws -> V? {
            guard !finished else { return nil }
            do {
                if !opened { try await open() }
                if let value = past.popFirst() { return try decoded(value) }
                while let value = try await live?.next() {
                    if index < source.first {
                        index += 1  // before the index asked for
                        continue
                    }
                    return try decoded(value)
                }
                finished = true
                return nil
            } catch let error as WorkflowError where error.code == .fellBehind {
                finished = true
                throw WorkflowError(
                    .fellBehind,
                    "the reader of stream '\(source.key)' fell \(source.engine.configuration.maxBufferedChanges) values behind (EngineConfiguration.maxBufferedChanges) and was unsubscribed; it read the values before index \(index): read again from there, with readStream(…, from: \(index))",
                    workflowID: source.workflowID)
            } catch {
                finished = true
                throw error
            }
        }

        /// Registers for the live values, then reads the past: as many values as registration counted.
        private mutating func open() async throws {
            opened = true
            let opening = try source.engine.openStream(source.workflowID, key: source.key)
            live = opening.live?.makeAsyncIterator()
            let read = try await source.engine.pastStreamValues(
                of: source.workflowID, key: source.key, opening, from: source.first)
            past = read.values[...]
            index = read.count - read.values.count
        }

        private mutating func decoded(_ value: ChangeSubscribers.StreamValue) throws -> V {
            defer { index += 1 }
            do {
                return try source.engine.codec.decode(V.self, from: value.bytes)
            } catch {
                throw WorkflowError(
                    .undecodablePayload,
                    "value \(index) of stream '\(source.key)' does not decode as \(V.self) (\(error)); is the stream of another type? Read it as that type, or from index \(index + 1) to skip it",
                    workflowID: source.workflowID, lsn: value.lsn, underlying: SendableError(error))
            }
        }
    }
}
