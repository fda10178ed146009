import ArgumentParser

/// `cairn-bench`: runs workloads and prints one JSON line per result on stdout (diagnostics on stderr), in the
/// schema of the peer benchmarks in `shared/bench`, so Cairn's figures drop into the same table.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn-bench",
        abstract: "Benchmarks for Cairn; prints one JSON object per result line.",
        discussion: "Workloads (--workload takes a comma list):\n"
            + Workload.all.map { "  \($0.name) (n \($0.defaultN)): \($0.summary)\n" }.joined()
            + Workload.groups.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value.joined(separator: ", "))\n" }.joined())

    @Option(help: "Workload names or groups, comma-separated.")
    var workload: String

    @Option(help: "Storage backend (only 'log': a CairnLog directory).")
    var backend: String = "log"

    @Option(help: "Size of each workload (what it counts depends on the workload); default: the workload's own.")
    var n: Int?

    @Option(help: "Repetitions, for workloads that repeat (fanout: its workflows, instead of n); others ignore it.")
    var reps: Int?

    /// A workload's fill process (``ChildProcess``): `--child NAME DIR N` parks N workflows in DIR and waits to be
    /// killed.
    @Option(name: .customLong("child"), parsing: .upToNextOption, help: .hidden)
    var child: [String] = []

    @Option(help: "Where to make the run's scratch directory (it is removed afterwards).")
    var dir: String = "/tmp"

    func validate() throws {
        guard backend == "log" else { throw ValidationError("unknown backend '\(backend)'; only 'log' exists") }
        if let n, n < 1 { throw ValidationError("--n must be at least 1") }
        if let reps, reps < 1 { throw ValidationError("--reps must be at least 1") }
        if !child.isEmpty, child.count != 3 || Int(child[2]) == nil || !["recovery", "waiting"].contains(child[0]) {
            throw ValidationError("--child takes a workload (recovery or waiting), a directory and a number of workflows")
        }
        do { _ = try Workload.named(workload) } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        if child.count == 3, let n = Int(child[2]) {
            switch child[0] {
            case "recovery": try await RecoveryBench.child(directory: child[1], workflows: n)
            default: try await WaitingBench.child(directory: child[1], workflows: n)
            }
        }
        let workloads = try Workload.named(workload)
        var context = BenchContext(
            backend: backend, n: 0, reps: reps, directory: try BenchContext.makeScratchDirectory(under: dir))
        defer { context.remove(context.directory) }
        for workload in workloads {
            context.n = n ?? workload.defaultN
            context.note("\(workload.name), n \(context.n), in \(context.directory)")
            let start = Stopwatch.now()
            try await workload.run(context)
            context.note("\(workload.name) took \(Int((Stopwatch.now() - start) * 1000)) ms")
        }
    }
}
