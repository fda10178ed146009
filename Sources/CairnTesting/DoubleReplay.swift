public import Cairn

/// Exposes hidden nondeterminism: runs a workflow live, then replays its fresh history twice and reports every
/// operation that comes out different.
///
/// **What it catches.** Anything that makes the code take another path, or pass other inputs, on a later run:
/// `Date()` or `Int.random` used directly instead of ``Cairn/WorkflowContext/now(file:line:)`` and friends (the
/// replays run later and with other random numbers), environment reads that differ, and iteration over a
/// `Dictionary` or `Set` to decide operations. Swift orders a dictionary by a seed derived from its storage's
/// address, so the same keys inserted in the same order come out in another order in another dictionary; each
/// replay here runs with a different pattern of live allocations so its dictionaries get fresh storage. In strict
/// mode (the default) a changed step input, sleep duration, topic or destination is caught too.
///
/// **What it cannot catch.** Nondeterminism that happens not to show in these three runs: a branch taken one time
/// in a thousand, a dictionary whose storage address repeats by chance, a value that differs only between machines
/// or days (a time zone, the day of the month). With `SWIFT_DETERMINISTIC_HASHING=1` set, dictionary order no
/// longer varies and cannot be caught. It checks the workflow's own code, not its steps' bodies, which run only in
/// the live run (they may be as nondeterministic as they like: their results are recorded).
public enum DoubleReplay {
    /// Runs `type` with `input` and replays it twice.
    /// - Parameter dependencies: what the code reaches with ``Cairn/WorkflowContext/dependency(_:file:line:)``
    ///   (fakes), in the live run and in the replays.
    /// - Returns: the two replays' report (clean when both replays match the live run).
    public static func check<W: Workflow>(
        _ type: W.Type, input: W.Input, workflows: [any Workflow.Type] = [],
        dependencies: WorkflowDependencies = WorkflowDependencies(), mode: DeterminismMode = .strict
    ) async throws -> ReplayReport {
        let directory = TemporaryDirectory(prefix: "cairn-double-replay")
        defer { directory.remove() }
        var all = workflows
        if !all.contains(where: { $0.name == W.name }) { all.append(type) }
        try await FixtureRecorder.record(
            type, input: input, id: "double-replay", workflows: all, dependencies: dependencies, into: directory.path)
        let replayer = Replayer(workflows: all, dependencies: dependencies, mode: mode)
        var results: [WorkflowReplay] = []
        for round in 1...2 {
            // Different live allocations before each replay, so dictionaries built by the replay get storage at
            // other addresses than in the live run and the other replay.
            let ballast = (0..<(round * 7)).map { [UInt8](repeating: UInt8($0 & 0xFF), count: 64 + $0 * 48) }
            let report = try await replayer.replay(directory: directory.path)
            withExtendedLifetime(ballast) {}
            results += report.results
        }
        return ReplayReport(source: "double replay of \(W.name)", mode: mode, results: results)
    }
}
