public import Cairn
import CairnLog
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Captures recorded histories as small fixtures — Cairn log directories meant to be committed under `Fixtures/` and
/// replayed by later versions of the code with ``Replayer``.
public enum FixtureRecorder {
    /// Runs a workflow to its end on a fresh engine (with a skipping ``TestClock``) and saves its log in
    /// `directory`, replacing what was there. Child workflows it starts are recorded too.
    /// - Parameters:
    ///   - workflows: every workflow the run needs (children included); `type` is added if missing.
    ///   - dependencies: what the run's code reaches with ``Cairn/WorkflowContext/dependency(_:file:line:)``: its
    ///     steps run live here, so every dependency they use (fakes).
    ///   - prepare: called with the running engine before the workflow starts (send it messages, start
    ///     workflows it waits for…).
    /// - Returns: the workflow's result (or rethrows its failure; the fixture is written either way).
    @discardableResult
    public static func record<W: Workflow>(
        _ type: W.Type, input: W.Input, id: String, workflows: [any Workflow.Type] = [],
        dependencies: WorkflowDependencies = WorkflowDependencies(), into directory: String,
        prepare: @Sendable (WorkflowEngine) async throws -> Void = { _ in }
    ) async throws -> Result<W.Output, any Error> {
        let target = resolve(directory)
        try? FileManager.default.removeItem(atPath: target)
        var all = workflows
        if !all.contains(where: { $0.name == W.name }) { all.append(type) }
        let result = try await withTestEngine(workflows: all, dependencies: dependencies, directory: target) { engine -> Result<W.Output, any Error> in
            try await prepare(engine)
            let handle = try await engine.start(type, input: input, id: id)
            do { return .success(try await handle.result()) } catch { return .failure(error) }
        }
        try? FileManager.default.removeItem(atPath: target + "/LOCK")
        return result
    }

    /// Copies the events of the workflows `ids` (and of their children) from a real log into a fixture in
    /// `directory`, replacing what was there. The source is read without its lock.
    /// - Returns: how many events the fixture holds.
    @discardableResult
    public static func extract(from source: String, ids: Set<String>, into directory: String) async throws -> Int {
        let target = resolve(directory)
        try? FileManager.default.removeItem(atPath: target)
        let records = try await Task.detached {
            var wanted = ids
            var records: [LogRecord] = []
            try LogReader(directory: resolve(source)).scan { view in
                let event = try Event(record: view)
                if event.kind == .workflowStarted, let parent = event.target, wanted.contains(parent) {
                    wanted.insert(event.workflowID)
                }
                if wanted.contains(event.workflowID) || (event.kind == .messageSent && wanted.contains(event.target ?? "")) {
                    records.append(LogRecord(tag: view.tag, payload: Array(view.bytes)))
                }
                return true
            }
            return records
        }.value
        var configuration = LogConfiguration(durability: .never)
        configuration.preallocationStep = 0
        let log = try await Log.open(at: target, configuration: configuration)
        var start = 0
        while start < records.count {
            let end = min(records.count, start + 256)
            _ = try await log.append(contentsOf: Array(records[start..<end]))
            start = end
        }
        try await log.close()
        try? FileManager.default.removeItem(atPath: target + "/LOCK")
        return records.count
    }
}
