extension WorkflowHandle {
    /// The workflow's changes, live: first its current status (so no state is missed between reading and
    /// following), then each status change and event value, in the order the log records them.
    ///
    /// ```swift
    /// for try await update in handle.updates() {
    ///     if case .status(let summary) = update { print(summary.status) }  // pending … completed
    /// }
    /// ```
    ///
    /// The sequence ends after the workflow is completed, failed or cancelled (for a workflow that already is, it
    /// gives that status and ends). A parked or diverged workflow can be resumed, so the sequence goes on through
    /// those; to follow a cancelled one that is resumed, call this again after ``WorkflowEngine/resume(_:)``. A
    /// workflow evicted from memory while it waits (``EngineConfiguration/maxCachedWorkflows``) changes just the
    /// same. `running` is not a change (it is not recorded): see ``WorkflowChange``.
    ///
    /// The sequence is single-pass; it ends normally when its task is cancelled or it (with its iterator) is dropped.
    /// - Returns: a sequence that throws ``WorkflowError`` `.notFound` when no workflow has this ID; `.fellBehind`
    ///   when its consumer falls ``EngineConfiguration/maxBufferedChanges`` changes behind; `.shuttingDown` (or
    ///   `.logFailure`) when the engine stops before the workflow ends (it resumes when the log is opened again).
    public func updates() -> WorkflowChanges {
        engine.subscribe(to: id, name: nil, statuses: true, events: .all, following: true)
    }

    /// The values the workflow sets for event `key`, decoded as `V`, live: first the current value if it is set,
    /// then each one set after. Ends, and throws, as ``updates()`` does (the values of a workflow that ended are its
    /// last value, if any); "the next progress value" is one `next()` on it.
    ///
    /// ```swift
    /// for try await progress in handle.eventValues(Int.self, key: "progress") { report(progress) }
    /// ```
    public func eventValues<V: Decodable & Sendable>(_ type: V.Type, key: String) -> WorkflowEventValues<V> {
        WorkflowEventValues(
            engine.subscribe(to: id, name: nil, statuses: false, events: .key(key), following: true), codec: engine.codec)
    }
}

extension WorkflowHandle {
    /// The values the workflow writes to its stream `key`, decoded as `V`: every value written so far (from
    /// `index`), then each new one as it commits, until the stream is closed or the workflow ends.
    /// ``WorkflowEngine/readStream(_:of:key:from:)`` for this workflow.
    ///
    /// ```swift
    /// for try await step in handle.readStream(Progress.self, key: "progress") { report(step) }
    /// ```
    public func readStream<V: Decodable & Sendable>(_ type: V.Type, key: String, from index: Int = 0) -> WorkflowStreamValues<V> {
        engine.readStream(type, of: id, key: key, from: index)
    }
}
