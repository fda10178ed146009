import CairnLog
import Synchronization

/// What replaying one recorded workflow against today's code found.
public struct WorkflowReplay: Sendable, CustomStringConvertible {
    /// The verdict.
    public enum Outcome: Sendable {
        /// The code made exactly the recorded operations. `reachedEnd` is false when the record is unfinished and
        /// the replay stopped where the record stops.
        case clean(reachedEnd: Bool)
        /// The code parts ways with the record: the report says where and how.
        case diverged(DeterminismError)
        /// No workflow of this name is registered.
        case codeMissing
        /// The replay could not run: an undecodable payload, an unexpected error.
        case failed(String)
    }

    /// The workflow's ID.
    public var workflowID: String
    /// Its registered name.
    public var workflowName: String
    /// Its status in the record.
    public var recordedStatus: WorkflowStatus
    /// The verdict.
    public var outcome: Outcome
    /// How many recorded operations the replay consumed.
    public var operationsReplayed: Int

    /// Whether the replay found nothing wrong.
    public var isClean: Bool {
        if case .clean = outcome { return true }
        return false
    }

    public var description: String {
        switch outcome {
        case .clean(let reachedEnd):
            return "\(workflowID) (\(workflowName)): clean, \(operationsReplayed) operations\(reachedEnd ? "" : " (unfinished record)")"
        case .diverged(let report):
            return "\(report)"
        case .codeMissing:
            return "\(workflowID) (\(workflowName)): no workflow named '\(workflowName)' is registered"
        case .failed(let reason):
            return "\(workflowID) (\(workflowName)): replay failed: \(reason)"
        }
    }
}

extension WorkflowEngine {
    /// Replays the workflows recorded in a log directory against the given code, without side effects: steps
    /// return their recorded outcomes, nothing is written, sleeps do not wait. Works on finished and unfinished
    /// histories; reads the directory without taking its lock.
    ///
    /// `CairnTesting`'s `Replayer` wraps this with readable reports and fixture helpers.
    /// - Parameters:
    ///   - dependencies: what workflow code reaches with ``WorkflowContext/dependency(_:file:line:)`` (fakes):
    ///     needed only for lookups the replay runs — in the workflow's body, not in recorded steps' bodies, which
    ///     do not run.
    ///   - ids: the workflows to replay; all when nil.
    ///   - mode: what is compared (see ``DeterminismMode``).
    public static func replay(
        directory: String, workflows: [any Workflow.Type], dependencies: WorkflowDependencies = WorkflowDependencies(),
        ids: Set<String>? = nil, mode: DeterminismMode = .strict, configuration: EngineConfiguration = EngineConfiguration()
    ) async throws -> [WorkflowReplay] {
        let registry = try makeRegistry(workflows)
        let projection = try await DedicatedThread.run(name: "cairn-replay-read") {
            let builder = ProjectionBuilder(keepsFinishedHistories: true)
            _ = try LogReader(directory: directory).verify { try builder.apply($0) }
            return builder.take()
        }
        let engine = WorkflowEngine(
            directory: directory, configuration: configuration, store: nil, registry: registry,
            dependencies: dependencies, projection: projection)
        let chosen = projection.workflows.keys.filter { ids?.contains($0) ?? true }.sorted()
        // Workflows replay independently: a few at a time keeps every core busy.
        return await withTaskGroup(of: (Int, WorkflowReplay).self) { group in
            var results = [WorkflowReplay?](repeating: nil, count: chosen.count)
            var next = 0
            func startNext() {
                guard next < chosen.count else { return }
                let index = next
                next += 1
                group.addTask { (index, await engine.replayOne(chosen[index], mode: mode)) }
            }
            for _ in 0..<16 { startNext() }
            while let (index, result) = await group.next() {
                results[index] = result
                startNext()
            }
            return results.compactMap { $0 }
        }
    }

    /// Replays one workflow of this (replay-only) engine's projection.
    func replayOne(_ id: String, mode: DeterminismMode) async -> WorkflowReplay {
        guard let workflow = state.withLock({ $0.projection.workflows[id] }) else {
            return WorkflowReplay(workflowID: id, workflowName: "", recordedStatus: .pending, outcome: .failed("no such workflow"), operationsReplayed: 0)
        }
        let name = workflow.summary.name
        let recorded = workflow.summary.status
        func verdict(_ outcome: WorkflowReplay.Outcome, _ count: Int = 0) -> WorkflowReplay {
            WorkflowReplay(workflowID: id, workflowName: name, recordedStatus: recorded, outcome: outcome, operationsReplayed: count)
        }
        guard let registration = registry[name] else { return verdict(.codeMissing) }
        let history = workflow.history  // decoded here, once
        let run = WorkflowRun(engine: self, id: id, name: name, history: history, mode: mode, replayOnly: true)
        let context = WorkflowContext(run: run, prefix: [])
        let codec = self.codec
        let input = workflow.input
        let result = await Task { try await registration.run(context, input, codec) }.result
        let unreached = run.finish()
        let count = run.consumedCount
        let end = Position([UInt32(history.keys.filter { $0.depth == 1 }.count)])
        func diverged(_ position: Position, recorded: OperationDescription?, attempted: OperationDescription?, _ reason: String) -> WorkflowReplay {
            verdict(.diverged(DeterminismError(
                workflowID: id, workflowName: name, position: position, recorded: recorded, attempted: attempted,
                reason: reason, mode: mode)), count)
        }
        switch run.stop {
        case .diverged(let report):
            return verdict(.diverged(report), count)
        case .frontier(let position, let attempted):
            if recorded.isFinished {
                return diverged(
                    position, recorded: nil, attempted: attempted,
                    "the code makes an operation the finished record does not have (an operation was inserted?)")
            }
            return verdict(.clean(reachedEnd: false), count)
        case .parked(_, let error):
            return verdict(.failed("\(error)"), count)
        case .cancelled, .suspended, .evicted:
            return verdict(.failed("the replay was interrupted"), count)
        case nil:
            break
        }
        if let unreached {
            let entry = history[unreached]
            return diverged(
                unreached, recorded: (entry?.event ?? entry?.waitStarted).map(describe), attempted: nil,
                "the workflow returned while recorded operations were left unconsumed (an operation was removed?)")
        }
        switch (result, recorded) {
        case (.success(let output), .completed):
            if mode == .strict, let expected = workflow.output, expected != output {
                return diverged(
                    end, recorded: OperationDescription(kind: "result", name: String(decoding: expected.prefix(80), as: UTF8.self), details: [], callSite: nil),
                    attempted: OperationDescription(kind: "result", name: String(decoding: output.prefix(80), as: UTF8.self), details: [], callSite: nil),
                    "the workflow's result changed")
            }
            return verdict(.clean(reachedEnd: true), count)
        case (.success, .failed):
            return diverged(
                end, recorded: OperationDescription(kind: "failure", name: workflow.summary.failure?.errorType ?? "", details: [], callSite: nil),
                attempted: OperationDescription(kind: "result", name: "", details: [], callSite: nil),
                "the workflow now returns a result where it recorded a failure")
        case (.failure(let error), _):
            if let error = error as? WorkflowError, error.code == .undecodablePayload || error.code == .misuse {
                return verdict(.failed("\(error)"), count)
            }
            if recorded == .completed {
                return diverged(
                    end, recorded: OperationDescription(kind: "result", name: "", details: [], callSite: nil),
                    attempted: OperationDescription(kind: "failure", name: String(reflecting: type(of: error)), details: [], callSite: nil),
                    "the workflow now fails (\(error)) where it recorded a result")
            }
            if recorded == .failed, mode == .strict, let failure = workflow.summary.failure {
                let type = recordedErrorType(of: error)
                if type != failure.errorType {
                    return diverged(
                        end, recorded: OperationDescription(kind: "failure", name: failure.errorType, details: [], callSite: nil),
                        attempted: OperationDescription(kind: "failure", name: type, details: [], callSite: nil),
                        "the workflow fails with another error")
                }
            }
            return verdict(.clean(reachedEnd: recorded.isFinished), count)
        case (.success, _):
            return verdict(.clean(reachedEnd: true), count)
        }
    }
}
