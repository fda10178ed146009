public import Cairn
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The determinism checker: replays recorded workflows against today's code and reports, for each, whether the
/// code still makes exactly the recorded operations.
///
/// Nothing runs for real: steps return their recorded outcomes, nothing is written, sleeps do not wait. It works on
/// any Cairn log directory — a fixture under `Fixtures/`, or a copy of production's log.
///
/// In a test, one line checks that every fixture still replays, and fails with the report otherwise:
/// ```swift
/// @Test func fixturesReplay() async throws {
///     try await Replayer(workflows: [ProcessOrder.self, Refund.self]).verifyFixtures(in: "Fixtures/replay")
/// }
/// ```
public struct Replayer: Sendable {
    /// The workflows of today's code.
    public var workflows: [any Workflow.Type]
    /// What is compared: ``Cairn/DeterminismMode/strict`` (default) or ``Cairn/DeterminismMode/structure``.
    public var mode: DeterminismMode
    /// What workflow code reaches with ``Cairn/WorkflowContext/dependency(_:file:line:)``, usually fakes. Only
    /// lookups the replay runs need one: those in a workflow's body; a recorded step's body does not run.
    public var dependencies: WorkflowDependencies

    /// A replayer for these workflows.
    public init(
        workflows: [any Workflow.Type], dependencies: WorkflowDependencies = WorkflowDependencies(),
        mode: DeterminismMode = .strict
    ) {
        self.workflows = workflows
        self.dependencies = dependencies
        self.mode = mode
    }

    /// Replays the workflows recorded in `directory` (all, or those in `ids`).
    public func replay(directory: String, ids: Set<String>? = nil) async throws -> ReplayReport {
        let results = try await WorkflowEngine.replay(
            directory: directory, workflows: workflows, dependencies: dependencies, ids: ids, mode: mode)
        return ReplayReport(source: directory, mode: mode, results: results)
    }

    /// Replays `directory` and throws the ``ReplayReport`` (whose description is the readable report) unless
    /// every workflow replays clean.
    public func verify(directory: String, ids: Set<String>? = nil) async throws {
        let report = try await replay(directory: directory, ids: ids)
        if !report.isClean { throw report }
    }

    /// Replays every fixture under `root` — each subdirectory is one recorded log — and throws one report listing
    /// every divergence in every fixture unless all replay clean. A relative `root` is resolved from the package
    /// root when run from `swift test`.
    public func verifyFixtures(in root: String) async throws {
        let directory = resolve(root)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        var results: [WorkflowReplay] = []
        for name in names {
            let path = directory + "/" + name
            guard (try? FileManager.default.contentsOfDirectory(atPath: path)) != nil else { continue }
            results += try await replay(directory: path).results
        }
        let report = ReplayReport(source: directory, mode: mode, results: results)
        if results.isEmpty {
            throw ReplayReport(source: directory, mode: mode, results: [], problem: "no fixtures found under \(directory)")
        }
        if !report.isClean { throw report }
    }
}

/// Resolves a path relative to the current directory (where `swift test` runs: the package root).
func resolve(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}

/// The outcome of a replay: one verdict per workflow, readable as a short diff.
///
/// It is an `Error`, so a test that throws it fails with the report as its message.
public struct ReplayReport: Error, Sendable, CustomStringConvertible {
    /// What was replayed (a directory).
    public var source: String
    /// The mode used.
    public var mode: DeterminismMode
    /// Per workflow, in ID order.
    public var results: [WorkflowReplay]
    /// A problem with the replay as a whole (no fixtures found), if any.
    public var problem: String?

    /// A report.
    public init(source: String, mode: DeterminismMode, results: [WorkflowReplay], problem: String? = nil) {
        self.source = source
        self.mode = mode
        self.results = results
        self.problem = problem
    }

    /// Whether every workflow replayed clean.
    public var isClean: Bool { problem == nil && results.allSatisfy(\.isClean) }

    /// The workflows that did not replay clean.
    public var problems: [WorkflowReplay] { results.filter { !$0.isClean } }

    /// The divergence reports.
    public var divergences: [DeterminismError] {
        results.compactMap { if case .diverged(let report) = $0.outcome { return report } else { return nil } }
    }

    public var description: String {
        if let problem { return "replay of \(source): \(problem)" }
        let clean = results.count - problems.count
        var lines = ["replayed \(results.count) workflows from \(source) [\(mode.rawValue)]: \(clean) clean, \(problems.count) not"]
        for result in problems {
            lines.append("✗ " + result.description.split(separator: "\n").joined(separator: "\n  "))
        }
        return lines.joined(separator: "\n")
    }
}
