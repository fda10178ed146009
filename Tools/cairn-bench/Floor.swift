import CairnLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fdatasync floor measured in a run: what one durable commit costs the storage, before any log code.
struct SyncFloor {
    /// p50 of a 256-byte write at the end of a growing file plus `fdatasync` (fsync_floor.c's
    /// `append256_fdatasync`, the figure the peer table quotes), in seconds.
    var appendP50: Double
    /// p50 of the same into a pre-allocated file (`overwrite256_fdatasync`): what a log that pre-fills its
    /// segments with zeros, as CairnLog does, can reach. In seconds.
    var overwriteP50: Double
}

/// The machine's storage floor, measured the way `shared/bench/fsync_floor.c` does, in the run's own directory.
enum Floor {
    static let recordSize = 256

    /// `floor-fdatasync`: n × (256-byte write + fdatasync), once appending (`"variant": "append"`), once
    /// overwriting a pre-allocated file (`"variant": "overwrite"`). per_sec is syncs per second.
    static func fdatasyncFloor(_ context: BenchContext) throws {
        let path = context.path("floor-fdatasync.dat")
        defer { context.remove(path) }
        for preallocated in [false, true] {
            let (seconds, latencies) = try timeSyncs(context.n, path: path, preallocated: preallocated)
            var line = context.line("floor-fdatasync", seconds: seconds, latencies: latencies)
            let variant = preallocated ? "overwrite" : "append"
            line["variant"] = .string(variant)
            line["unit"] = "syncs/s"
            line["dir"] = .string(context.directory)
            context.emit(line)
        }
    }

    /// Measures the floor quietly (no output): 2,000 syncs of each kind. For workloads that report ratios to it,
    /// right before they run, so that both see the same load on the shared disk.
    static func measure(in context: BenchContext) throws -> SyncFloor {
        let path = context.path("floor-fdatasync.dat")
        defer { context.remove(path) }
        let append = try timeSyncs(2_000, path: path, preallocated: false).latencies
        let overwrite = try timeSyncs(2_000, path: path, preallocated: true).latencies
        return SyncFloor(
            appendP50: Percentile.nearestRank(50, of: append), overwriteP50: Percentile.nearestRank(50, of: overwrite))
    }

    /// `floor-write`: n × 1 MiB sequential writes, then one fdatasync. n is in MiB; per_sec is MiB/s.
    static func writeFloor(_ context: BenchContext) throws {
        let path = context.path("floor-write.dat")
        defer { context.remove(path) }
        let fd = try openTruncated(path)
        defer { close(fd) }
        let chunk = [UInt8](repeating: UInt8(ascii: "s"), count: 1 << 20)
        let start = Stopwatch.now()
        for i in 0..<context.n {
            try writeAll(fd, chunk, at: i << 20, path: path)
        }
        do { try Platform.syncData(fd) } catch { throw BenchError.system("fdatasync", path) }
        var line = context.line("floor-write", seconds: Stopwatch.now() - start)
        line["unit"] = "MiB/s"
        line["dir"] = .string(context.directory)
        context.emit(line)
    }

    /// Times `n` synchronous 256-byte writes: at the end of a growing file, or over a pre-allocated one whose
    /// zeros were written and synced first (so its size never changes).
    static func timeSyncs(_ n: Int, path: String, preallocated: Bool) throws -> (seconds: Double, latencies: [Double]) {
        let fd = try openTruncated(path)
        defer { close(fd) }
        if preallocated {
            try writeAll(fd, [UInt8](repeating: 0, count: n * recordSize), at: 0, path: path)
            guard fsync(fd) == 0 else { throw BenchError.system("fsync", path) }
        }
        let record = [UInt8](repeating: UInt8(ascii: "w"), count: recordSize)
        var latencies: [Double] = []
        latencies.reserveCapacity(n)
        let start = Stopwatch.now()
        for i in 0..<n {
            let t = Stopwatch.now()
            try writeAll(fd, record, at: i * recordSize, path: path)
            do { try Platform.syncData(fd) } catch { throw BenchError.system("fdatasync", path) }
            latencies.append(Stopwatch.now() - t)
        }
        return (Stopwatch.now() - start, latencies.sorted())
    }

    private static func openTruncated(_ path: String) throws -> Int32 {
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BenchError.system("open", path) }
        return fd
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws {
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard written == bytes.count else { throw BenchError.system("pwrite", path) }
    }
}
