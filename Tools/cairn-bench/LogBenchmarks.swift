import CairnLog

/// The `CairnLog` workloads: durable appends from one task and from many, and recovery of a large log.
///
/// Records are ``WorkflowEvents/pool``'s events (about 200 bytes). Every line carries `ratio`: the records' bytes
/// over the frame bytes on disk, as the reopened log's ``RecoveryReport`` counts them.
enum LogBenchmarks {
    /// `log-append-1`: one task appends n records, each awaited, durability `.always`: every append is one frame
    /// and one fdatasync, so its p50 is compared with the fdatasync floor, measured just before in the same
    /// directory (`floor_p50_ms`: appending to a growing file; `floor_overwrite_p50_ms`: overwriting pre-allocated
    /// space, as the log does).
    static func appendOne(_ context: BenchContext) async throws {
        let floor = try Floor.measure(in: context)
        let run = try await durableAppends(appenders: 1, context, name: "log-append-1")
        var line = run.line(context, "log-append-1")
        let p50 = Percentile.nearestRank(50, of: run.latencies)
        line["floor_p50_ms"] = .number(floor.appendP50 * 1e3)
        line["vs_floor"] = .number(p50 / floor.appendP50)
        line["floor_overwrite_p50_ms"] = .number(floor.overwriteP50 * 1e3)
        line["vs_overwrite_floor"] = .number(p50 / floor.overwriteP50)
        context.emit(line)
    }

    /// `log-append-256`: 256 tasks append n records in all, each awaiting its own, durability `.always`: group
    /// commit shares each sync among the appends queued meanwhile.
    static func appendMany(_ context: BenchContext) async throws {
        let run = try await durableAppends(appenders: 256, context, name: "log-append-256")
        context.emit(run.line(context, "log-append-256"))
    }

    /// `log-recovery`: fill a log with n records the way a busy engine would (durability `.never`, concurrent
    /// batches, so frames are large), close it, and time `Log.openBlocking`, which verifies every frame's CRC,
    /// decompresses it and walks its records (`"variant": "open"`); then time `LogReader.scan` over the same log
    /// (`"variant": "scan"`). The files are in the page cache, as after a process restart.
    static func recovery(_ context: BenchContext) async throws {
        let directory = context.path("log-recovery")
        defer { context.remove(directory) }
        let n = context.n
        let fillStart = Stopwatch.now()
        let payloadBytes = try await fill(directory, records: n)
        let fillSeconds = Stopwatch.now() - fillStart

        // Blocking on purpose: the benchmark times exactly what a service's start-up would wait for.
        let openStart = Stopwatch.now()
        let log = try Log.openBlocking(at: directory)
        let openSeconds = Stopwatch.now() - openStart
        let report = log.recovery
        try await log.close()
        guard report.recordCount == n else {
            throw BenchError("log-recovery: wrote \(n) records, recovery found \(report.recordCount)")
        }
        var line = context.line("log-recovery", seconds: openSeconds)
        line["variant"] = "open"
        line["unit"] = "records/s"
        line["ratio"] = .number(Double(payloadBytes) / Double(report.storedBytes))
        line["segments"] = .int(report.segmentCount)
        line["frames"] = .int(report.frameCount)
        line["stored_mb"] = .number(Double(report.storedBytes) / 1e6, places: 1)
        line["fill_per_sec"] = .number(Double(n) / fillSeconds, places: 2)
        context.emit(line)

        let reader = try LogReader(directory: directory)
        var bytes = 0
        let scanStart = Stopwatch.now()
        let summary = try reader.scan { record in
            bytes &+= record.bytes.count
            return true
        }
        let scanSeconds = Stopwatch.now() - scanStart
        guard summary.recordCount == n, bytes == payloadBytes else {
            throw BenchError(
                "log-recovery: scan saw \(summary.recordCount) records of \(bytes) bytes, not \(n) of \(payloadBytes)")
        }
        var scanLine = context.line("log-recovery", seconds: scanSeconds)
        scanLine["variant"] = "scan"
        scanLine["unit"] = "records/s"
        context.emit(scanLine)
    }

    /// What a run of durable appends measured.
    struct AppendRun {
        var seconds: Double
        /// Per-append latencies in seconds, sorted.
        var latencies: [Double]
        /// Records' bytes over frame bytes on disk.
        var ratio: Double
        /// Frames written: about one per group commit.
        var frames: Int

        func line(_ context: BenchContext, _ workload: String) -> JSONLine {
            var line = context.line(workload, seconds: seconds, latencies: latencies)
            line["unit"] = "records/s"
            line["ratio"] = .number(ratio)
            line["record_bytes"] = .number(WorkflowEvents.meanSize)
            line["frames"] = .int(frames)
            return line
        }
    }

    /// `appenders` tasks append `context.n` records between them to a new log, durability `.always`, each timing
    /// its own appends; then the log is closed and reopened to read its compression ratio.
    private static func durableAppends(
        appenders: Int, _ context: BenchContext, name: String
    ) async throws -> AppendRun {
        let directory = context.path(name)
        defer { context.remove(directory) }
        let n = context.n
        let pool = WorkflowEvents.pool
        let log = try await Log.open(at: directory, configuration: LogConfiguration(durability: .always))
        let start = Stopwatch.now()
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for appender in 0..<appenders {
                // Appender a takes records a, a + appenders, a + 2 × appenders, ... of 0..<n.
                let count = n / appenders + (appender < n % appenders ? 1 : 0)
                group.addTask {
                    var latencies: [Double] = []
                    latencies.reserveCapacity(count)
                    for k in 0..<count {
                        let record = pool[(appender + k * appenders) % pool.count]
                        let t = Stopwatch.now()
                        _ = try await log.append(record)
                        latencies.append(Stopwatch.now() - t)
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            all.reserveCapacity(n)
            for try await latencies in group { all += latencies }
            return all
        }
        let seconds = Stopwatch.now() - start
        try await log.close()
        let report = try await reopenedReport(directory)
        guard report.recordCount == n else {
            throw BenchError("\(name): appended \(n) records, the reopened log has \(report.recordCount)")
        }
        return AppendRun(
            seconds: seconds, latencies: latencies.sorted(),
            ratio: Double(payloadBytes(records: n)) / Double(report.storedBytes), frames: report.frameCount)
    }

    /// Fills a new log with `records` records from a few tasks appending batches of 1,000, durability `.never`.
    /// Returns the records' bytes.
    private static func fill(_ directory: String, records n: Int) async throws -> Int {
        let batchSize = 1_000
        let tasks = 4
        let pool = WorkflowEvents.pool
        let log = try await Log.open(at: directory, configuration: LogConfiguration(durability: .never))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for batchStart in stride(from: task * batchSize, to: n, by: tasks * batchSize) {
                        let batch = (batchStart..<min(n, batchStart + batchSize)).map { pool[$0 % pool.count] }
                        _ = try await log.append(contentsOf: batch)
                    }
                }
            }
            try await group.waitForAll()
        }
        try await log.close()
        return payloadBytes(records: n)
    }

    /// The bytes of records 0..<n of the pool, cycled.
    private static func payloadBytes(records n: Int) -> Int {
        let pool = WorkflowEvents.pool
        let perCycle = pool.reduce(0) { $0 + $1.payload.count }
        return n / pool.count * perCycle + pool[..<(n % pool.count)].reduce(0) { $0 + $1.payload.count }
    }

    /// Opens the log at `directory` again and returns what its recovery counted.
    private static func reopenedReport(_ directory: String) async throws -> RecoveryReport {
        let log = try await Log.open(at: directory)
        try await log.close()
        return log.recovery
    }
}
