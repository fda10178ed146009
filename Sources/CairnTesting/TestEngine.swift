public import Cairn
import CairnLog
import Logging
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A fresh, uniquely named directory under the system's temporary directory, removed by ``remove()``.
public struct TemporaryDirectory: Sendable {
    /// The directory's path.
    public let path: String

    /// Creates the directory name (the log creates the directory itself).
    public init(prefix: String = "cairn-test") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    }

    /// Removes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs `body` with an engine on a temporary log directory, running and shut down around it, then removes the
/// directory.
///
/// ```swift
/// @Test func ordersShip() async throws {
///     try await withTestEngine(workflows: [ProcessOrder.self]) { engine in
///         let receipt = try await engine.start(ProcessOrder.self, input: order).result()
///         #expect(receipt.shipped)
///     }
/// }
/// ```
/// The engine uses a ``TestClock`` in skipping mode unless `configuration.clock` says otherwise, and
/// ``CairnLog/LogConfiguration/Durability/never`` (a test needs no `fdatasync`) unless `durable` is set.
/// - Parameters:
///   - dependencies: what the workflows reach with ``Cairn/WorkflowContext/dependency(_:file:line:)``: fakes.
///   - directory: use this directory instead of a temporary one, and keep it (to capture a fixture).
public func withTestEngine<R: Sendable>(
    workflows: [any Workflow.Type], dependencies: WorkflowDependencies = WorkflowDependencies(),
    configuration: EngineConfiguration? = nil, clock: TestClock? = nil, directory: String? = nil, durable: Bool = false,
    _ body: (WorkflowEngine) async throws -> R
) async throws -> R {
    var configuration = configuration ?? {
        var quiet = EngineConfiguration()
        quiet.logger.logLevel = .warning  // a test engine's open/stop lines are noise
        return quiet
    }()
    if clock != nil || configuration.clock is SystemWorkflowClock { configuration.clock = clock ?? TestClock() }
    if !durable { configuration.log.durability = .never }
    configuration.log.preallocationStep = 0
    let temporary = directory == nil ? TemporaryDirectory() : nil
    defer { temporary?.remove() }
    let engine = try await WorkflowEngine.open(
        directory: directory ?? temporary!.path, configuration: configuration, workflows: workflows,
        dependencies: dependencies)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await engine.run() }
        let result: Result<R, any Error>
        do { result = .success(try await body(engine)) } catch { result = .failure(error) }
        await engine.shutdown()
        try await group.waitForAll()
        return try result.get()
    }
}
