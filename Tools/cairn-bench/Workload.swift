/// One benchmark: the name `--workload` selects it by, its default n, and the function that runs it and prints its
/// result lines through the context.
struct Workload: Sendable {
    let name: String
    let defaultN: Int
    /// What n counts and what the lines report, for `--help`.
    let summary: String
    let run: @Sendable (BenchContext) async throws -> Void
}

extension Workload {
    /// Every workload, in the order a group runs them. Adding a workload is adding an entry here (and, if it
    /// belongs to one, its name to a group below).
    static let all: [Workload] = [
        Workload(
            name: "floor-fdatasync", defaultN: 2_000,
            summary: "n × (256 B write + fdatasync), appending and overwriting a pre-allocated file; syncs/s",
            run: Floor.fdatasyncFloor),
        Workload(
            name: "floor-write", defaultN: 512,
            summary: "n MiB of 1 MiB writes, then one fdatasync; MiB/s",
            run: Floor.writeFloor),
        Workload(
            name: "lz4", defaultN: 128,
            summary: "LZ4 block compression of n MB of workflow events in 64 KiB batches; MB/s, decompress_mb_s, ratio",
            run: LZ4Bench.run),
        Workload(
            name: "log-append-1", defaultN: 20_000,
            summary: "one appender, n durable appends; records/s, latency, ratio, vs_floor",
            run: LogBenchmarks.appendOne),
        Workload(
            name: "log-append-256", defaultN: 1_000_000,
            summary: "256 concurrent appenders, n durable appends in all; records/s, latency, ratio",
            run: LogBenchmarks.appendMany),
        Workload(
            name: "log-recovery", defaultN: 2_000_000,
            summary: "open (verify, decompress, split) a log of n records, then scan it; records/s",
            run: LogBenchmarks.recovery),
        Workload(
            name: "sequential", defaultN: 2_000,
            summary: "n workflows of 3 steps one after another, durable; workflows/s, latency, floor_p50_ms, target_ms, vs_target",
            run: EngineBenchmarks.sequential),
        Workload(
            name: "concurrent", defaultN: 10_000,
            summary: "n workflows of 3 steps started at once, all awaited; workflows/s, submit → result latency",
            run: EngineBenchmarks.concurrent),
        Workload(
            name: "queue", defaultN: 10_000,
            summary: "n workflows of 3 steps started at once on one queue of concurrency 100; workflows/s, dispatch_p50_ms (slot freed → next start)",
            run: QueueBench.run),
        Workload(
            name: "fanout", defaultN: 200,
            summary: "--reps (else n) workflows of 100 parallel steps and a sum, one after another; latency per workflow",
            run: EngineBenchmarks.fanout),
        Workload(
            name: "recovery", defaultN: 10_000,
            summary: "n workflows parked in a receive, SIGKILL, reopen: recovered_s (all back), then one send each: seconds",
            run: RecoveryBench.run),
        Workload(
            name: "waiting", defaultN: 100_000,
            summary: "n waiting workflows (half sleep 1 h, half receive), kill,, reopen, wake all; RSS, woken_per_sec",
            run: WaitingBench.run),
        Workload(
            name: "sleep", defaultN: 10_000,
            summary: "n workflows of one durable 100 ms sleep started at once; workflows/s, submit → result latency",
            run: EngineBenchmarks.sleep),
        Workload(
            name: "projection-rebuild", defaultN: 2_000_000,
            summary: "WorkflowEngine.open of a log of n events (finished and unfinished workflows); events/s",
            run: ProjectionRebuild.run),
        Workload(
            name: "limits-unfinished", defaultN: 3_000_000,
            summary: "open and recover a log of n unfinished workflows (an attempt each); open_s, recover_s, peak_rss_mb",
            run: LimitsBench.unfinished),
        Workload(
            name: "limits-restarts", defaultN: 100_000,
            summary: "open a log of n unfinished workflows and --reps (1,000) clean stops vs one; open_s, open_one_stop_s, ratio",
            run: LimitsBench.restarts),
        Workload(
            name: "replay", defaultN: 20_000,
            summary: "record n workflows of 10 steps, then replay them all in strict mode; recorded operations/s",
            run: ReplayBench.run),
        Workload(
            name: "verify", defaultN: 1_000_000,
            summary: "cairn verify's checks of a log of n workflows (about 5.6 events each); events/s",
            run: CLIBenchmarks.verify),
        Workload(
            name: "list", defaultN: 1_000_000,
            summary: "cairn list's index of a log of n workflows, newest 100; seconds, workflows/s",
            run: CLIBenchmarks.list),
        Workload(
            name: "compact", defaultN: 1_000_000,
            summary: "cairn compact of a log of n workflows (half the finished dropped, half summarized); events/s",
            run: CLIBenchmarks.compact),
        Workload(
            name: "api-list", defaultN: 1_000_000,
            summary: "GET /api/v1/workflows pages of 50 by cursor on a log of n workflows; p50/p99 ms per page (target 50)",
            run: APIBench.list),
        Workload(
            name: "api-stream", defaultN: 100_000,
            summary: "concurrent (n workflows) with and without a client on the live event stream; slowdown %, events/s",
            run: APIBench.stream),
        Workload(
            name: "schedule", defaultN: 1_000,
            summary: "n schedules ticking every second for 10 s, real clock; ticks expected, fired, missed, doubled; lateness",
            run: ScheduleBench.run),
    ]

    /// Names that stand for several workloads (or groups).
    static let groups: [String: [String]] = [
        "all-log": ["floor-fdatasync", "floor-write", "lz4", "log-append-1", "log-append-256", "log-recovery"],
        "all-engine": [
            "floor-fdatasync", "sequential", "concurrent", "queue", "fanout", "recovery", "sleep", "projection-rebuild",
            "replay",
        ],
        "all-cli": ["verify", "list", "compact"],
        "all-api": ["api-list", "api-stream"],
        "all": ["all-log", "all-engine", "all-cli"],
    ]

    /// The workloads a `--workload` value names: a comma list of workload and group names. A workload named twice
    /// (`all-log` and `all-engine` both have the floor) runs once, at its first place.
    static func named(_ list: String) throws -> [Workload] {
        var seen: Set<String> = []
        return try list.split(separator: ",").flatMap { try expand(String($0).trimmingWhitespace) }
            .filter { seen.insert($0.name).inserted }
    }

    private static func expand(_ name: String) throws -> [Workload] {
        if let members = groups[name] { return try members.flatMap(expand) }
        guard let workload = all.first(where: { $0.name == name }) else {
            throw BenchError("unknown workload '\(name)'; known: \(knownNames)")
        }
        return [workload]
    }

    static var knownNames: String {
        (all.map(\.name) + groups.keys.sorted()).joined(separator: ", ")
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
