extension WorkflowContext {
    /// The value the engine was given under `key` (``WorkflowEngine/open(directory:configuration:workflows:dependencies:)``):
    /// how workflow code reaches the service's clients without globals, and how a test substitutes fakes.
    ///
    /// Resolve it inside the step that uses it:
    /// ```swift
    /// let charge = try await context.step("charge-card", input: order.cents) {
    ///     try await context.dependency(Payments.self).charge(order.cents)
    /// }
    /// ```
    /// A lookup is not an operation: it takes no position, is not recorded, and may be made anywhere in the
    /// workflow's code — its body, a parallel branch, a child, and a step's body (blocking ones too). Inside the step
    /// is where it belongs: a recorded step does not run on replay, so neither the determinism checker
    /// (CairnTesting's `Replayer`) nor a workflow resumed past its last use of a dependency needs it. A lookup in the
    /// workflow's body runs on every replay and needs the dependency there too (pass fakes to the `Replayer`).
    ///
    /// Each call reads the engine's dependencies: a workflow resumed after a restart uses those of the process that
    /// resumes it.
    ///
    /// - Throws: ``WorkflowError`` `.missingDependency` when the engine was not given `key`, naming the key, the
    ///   workflow and the call site. A missing dependency is a deploy's mistake, not the workflow's failure: the
    ///   workflow is parked (``ParkReason/unknownWorkflow``, with that message as its reason) even if its code
    ///   catches the error, nothing else is recorded, and the next start resumes it — it goes on once the process
    ///   provides the dependency, and parks again until then.
    public func dependency<Key: WorkflowDependencyKey>(
        _ key: Key.Type, file: String = #fileID, line: Int = #line
    ) throws -> Key.Value {
        if let value = engine.dependencies[key] { return value }
        throw missingDependency(key, callSite: CallSite(file: file, line: line))
    }

    /// Parks this workflow, which asked for a dependency its engine was not given: the error, which names the key,
    /// the workflow, the call site and what to do.
    @inline(never)
    private func missingDependency<Key: WorkflowDependencyKey>(_ key: Key.Type, callSite: CallSite) -> WorkflowError {
        let workflow = engine.registry[run.name]?.typeName ?? run.name
        let provided = engine.dependencies.keyNames
        let given = provided.isEmpty ? "none" : provided.joined(separator: ", ")
        let error = WorkflowError(
            .missingDependency,
            "workflow '\(workflowID)' (\(workflow)) needs dependency \(String(reflecting: key)) (\(Key.Value.self)) at \(callSite), but the engine was not given it (given: \(given)); the workflow is parked — pass it to WorkflowEngine.open(dependencies:) (in a test or a replay: a fake) and deploy: the workflow resumes at the next start",
            workflowID: workflowID)
        // The first reason to stop wins: a run already stopping (cancelled, diverged) keeps its own.
        run.halt(.parked(.unknownWorkflow, error))
        return error
    }
}
