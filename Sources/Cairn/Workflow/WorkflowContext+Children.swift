import Synchronization
extension WorkflowContext {
    /// Starts a child workflow and returns its handle. The start is durable before this returns.
    ///
    /// The child's type must be registered: declare it in this workflow's ``Workflow/children`` (the engine then
    /// registers it at open), or pass it to ``WorkflowEngine/open(directory:configuration:workflows:dependencies:)``. A child whose
    /// type is not registered (or whose name belongs to another type) parks this workflow as
    /// ``ParkReason/unknownWorkflow`` rather than failing it: the call throws ``WorkflowError`` `.unknownWorkflow`,
    /// every later operation throws it too, and nothing but the park is recorded; the next start resumes the workflow,
    /// which goes on once the child is registered.
    ///
    /// - Parameter id: the child's ID; by default derived from this workflow's ID and the position of this call
    ///   (`"<parent>/<position>"`), so replay finds the same child.
    ///
    /// The child inherits this workflow's deadline (``StartOptions/timeout``), if it has one.
    public func startChild<W: Workflow>(
        _ type: W.Type, input: W.Input, id: String? = nil, file: String = #fileID, line: Int = #line
    ) async throws -> ChildWorkflow<W.Output> {
        try await startChild(W.self, input: input, id: id, options: nil, file: file, line: line)
    }

    /// Starts a child workflow with options — on a queue (enqueued durably, as an operation of this workflow), with
    /// a priority, a partition key, a delay, or a deadline of its own — and returns its handle. As
    /// ``startChild(_:input:id:file:line:)`` otherwise; without a ``StartOptions/timeout`` the child inherits this
    /// workflow's deadline.
    ///
    /// A child cannot be deduplicated (``StartOptions/deduplicationID``): whether another workflow holds the ID
    /// depends on when the call runs, and the parent must replay the same way; deduplicate the parent's start
    /// instead.
    /// - Throws: ``WorkflowError`` as ``WorkflowEngine/start(_:input:id:options:)`` (`.unknownQueue`,
    ///   `.invalidArgument`), before anything is written.
    public func startChild<W: Workflow>(
        _ type: W.Type, input: W.Input, id: String? = nil, options: StartOptions, file: String = #fileID,
        line: Int = #line
    ) async throws -> ChildWorkflow<W.Output> {
        guard options.deduplicationID == nil else {
            throw WorkflowError(
                .invalidArgument,
                "a child workflow cannot be deduplicated (its start is an operation of its parent, which must replay the same way); deduplicate the parent's start instead; nothing was written",
                workflowID: workflowID)
        }
        return try await startChild(W.self, input: input, id: id, options: Optional(options), file: file, line: line)
    }

    private func startChild<W: Workflow>(
        _ type: W.Type, input: W.Input, id: String?, options: StartOptions?, file: String, line: Int
    ) async throws -> ChildWorkflow<W.Output> {
        let callSite = CallSite(file: file, line: line)
        let inputBytes = try engine.encode(input, what: "the input of child workflow \(W.name)", workflowID: workflowID)
        let digest = payloadDigest(inputBytes)
        let (position, recorded) = try await begin(
            AttemptedOperation(kind: .startChild, name: W.name, callSite: callSite, digest: digest))
        defer { end() }
        if let recorded = recorded?.event {
            return ChildWorkflow(id: recorded.target ?? "", parent: self)
        }
        guard let registration = engine.registry[W.name], registration.typeID == ObjectIdentifier(W.self) else {
            throw notRegistered(W.self, at: position, callSite: callSite)
        }
        let childID = id ?? "\(workflowID)/\(position)"
        let marker = event(.childStarted, at: position, name: W.name, callSite: callSite, digest: digest, target: childID)
        let parentID = workflowID
        func start(recording traceContext: String?) async throws {
            var start = Event(
                kind: .workflowStarted, workflowID: childID, name: W.name, time: engine.clock.now(), target: parentID,
                parentPosition: position, traceContext: traceContext, payload: inputBytes)
            let inherited = engine.state.withLock { s in
                s.projection.workflows.index(forKey: parentID).flatMap { s.projection.workflows[at: $0].summary.deadline }
            }
            var enqueue: [Event] = []
            if let options {
                let decided = try engine.flowControl(of: start, options: options, inherited: inherited)
                start.deadline = decided.deadline
                if let event = decided.enqueue { enqueue.append(event) }
            } else {
                start.deadline = inherited
            }
            try await engine.startDurably(start, alsoRecording: takePending() + [marker], then: enqueue)
        }
        if let tracing = engine.tracing {
            try await tracing.start(W.name) { try await start(recording: $0) }
        } else {
            try await start(recording: nil)
        }
        return ChildWorkflow(id: childID, parent: self)
    }

    /// Parks this workflow, which starts a child of type `W` that this process cannot run: the error, which names
    /// both workflows and says what to do (see ``WorkflowRun/childNotRegistered(_:)``).
    @inline(never)
    private func notRegistered<W: Workflow>(_ type: W.Type, at position: Position, callSite: CallSite) -> WorkflowError {
        let parent = engine.registry[run.name]?.typeName ?? run.name
        let child = String(reflecting: W.self)
        let problem = engine.registry[W.name].map { "the name '\(W.name)' belongs to another type, \($0.typeName)" }
            ?? "\(child) is not registered in this process"
        return run.childNotRegistered(WorkflowError(
            .unknownWorkflow,
            "workflow '\(workflowID)' (\(parent)) starts child workflow '\(W.name)' (\(child)) at \(callSite), but \(problem); the workflow is parked — declare \(child) in \(parent).children (or pass it to WorkflowEngine.open(workflows:)) and deploy: the workflow resumes at the next start",
            workflowID: workflowID, position: position))
    }

    /// Starts a child workflow and waits for its result: ``startChild(_:input:id:file:line:)`` then
    /// ``ChildWorkflow/result(file:line:)``.
    public func runChild<W: Workflow>(
        _ type: W.Type, input: W.Input, id: String? = nil, file: String = #fileID, line: Int = #line
    ) async throws -> W.Output {
        try await startChild(type, input: input, id: id, file: file, line: line).result(file: file, line: line)
    }
}

/// A child workflow started from a workflow: await its result as an operation of the parent, recorded so replay
/// does not wait for the child again.
public struct ChildWorkflow<Output: Codable & Sendable>: Sendable {
    /// The child's workflow ID.
    public let id: String
    let parent: WorkflowContext

    /// Waits for the child to finish and returns its result, or throws its error: the ``DurableError`` it threw when
    /// its type is registered, otherwise its ``WorkflowFailure``. An operation of the parent (it takes a position in
    /// the parent's history).
    ///
    /// When the child has not finished yet, the wait is recorded as it begins, so that recovery knows the parent
    /// runs no code until the child settles (no recovery attempt is counted against it; see
    /// ``EngineConfiguration/maxRecoveryAttempts``).
    public func result(file: String = #fileID, line: Int = #line) async throws -> Output {
        let callSite = CallSite(file: file, line: line)
        let (position, recorded) = try await parent.begin(AttemptedOperation(kind: .childResult, name: id, callSite: callSite, target: nil))
        defer { parent.end() }
        let outcome: Event
        if let recorded = recorded?.event {
            outcome = recorded
        } else {
            if parent.run.replayOnly { throw parent.run.reachFrontier(position, attempted: nil) }  // recorded waiting
            let engine = parent.engine
            let unsettled = engine.state.withLock { $0.projection.workflows[id]?.summary.status.isActive == true }
            if recorded?.waitStarted == nil, unsettled {
                try await engine.commit([parent.event(.childWaitStarted, at: position, name: id, callSite: callSite, target: id)])
            }
            let summary: WorkflowSummary?
            do {
                summary = try await engine.waiting(parent, .durable(WakeUp(keys: [.settled(id)]))) {
                    try await engine.awaitSettled(id, interrupt: parent.run.interrupt)
                }
            } catch {
                try parent.run.checkRunnable()
                throw error
            }
            guard let summary else {
                throw WorkflowError(.notFound, "child workflow \(id) does not exist", workflowID: parent.workflowID, position: position)
            }
            switch summary.status {
            case .completed:
                outcome = parent.event(
                    .childCompleted, at: position, name: id, callSite: callSite, target: id, payload: summary.output ?? [])
            case .failed:
                let failure = summary.failure ?? WorkflowFailure(errorType: "Error", message: "")
                outcome = parent.event(
                    .childCompleted, at: position, name: id, callSite: callSite, target: id, errorType: failure.errorType,
                    flags: failure.recordedFlags, payload: failure.recordedPayload)
            default:
                throw WorkflowError(
                    .invalidState, "child workflow \(id) is \(summary.status) and cannot give a result until resumed",
                    workflowID: parent.workflowID, position: position)
            }
            parent.enqueue(outcome)
        }
        if let failure = WorkflowFailure(recordedBy: outcome) {
            throw parent.engine.thrownError(of: failure, workflowID: parent.workflowID, position: position)
        }
        return try parent.decode(Output.self, outcome.payload, what: "the result of child workflow \(id)", at: position)
    }
}
