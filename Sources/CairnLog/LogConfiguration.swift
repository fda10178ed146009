public import Logging

/// How a ``Log`` writes: when appends are acknowledged, how large segments grow, how large records may be.
public struct LogConfiguration: Sendable {
    /// When an append is acknowledged.
    public enum Durability: Sendable, Hashable {
        /// After the frame holding the record is written and `fdatasync`ed. The default, and the only policy under
        /// which an acknowledged record survives power loss.
        case always
        /// After the frame is written; the writer syncs at most this many milliseconds later. A crash of the
        /// machine (not of the process) can lose the last interval's acknowledged records, or leave a torn commit
        /// behind a later one that recovery refuses to cut (see the log format's recovery rules). A failed sync
        /// poisons the log, and the next open drops what was written since the last successful sync, acknowledged
        /// or not.
        case interval(milliseconds: Int)
        /// After the frame is written; synced only when a segment is sealed and when the log closes (``Log/close()``
        /// throws if that sync fails). For tests and benchmarks.
        case never
    }

    /// When appends are acknowledged. Default ``Durability/always``.
    public var durability: Durability = .always
    /// The size at which the active segment is sealed and a new one started. Default 64 MiB; at least 64 KiB.
    public var segmentSize: Int = 64 << 20
    /// The largest record ``Log/append(_:)`` accepts. Default 4 MiB; at most 64 MiB.
    public var maxRecordSize: Int = 4 << 20
    /// How many raw bytes of records one frame collects before the writer starts another in the same group
    /// commit. Larger frames compress better and cost more memory. Default 1 MiB; 1 KiB ... 64 MiB.
    public var targetFrameSize: Int = 1 << 20
    /// How far ahead of the data the active segment is filled with zeros. Overwriting allocated blocks spares
    /// `fdatasync` a metadata update on every commit (PostgreSQL and RocksDB do the same with their WAL files).
    /// Default 4 MiB; 0 turns it off; at most 1 GiB.
    public var preallocationStep: Int = 4 << 20
    /// Called on the writer thread after every group commit, once its appenders are resumed: how many appends and
    /// records it took, the bytes written, and how long `fdatasync` took. For metrics (the engine reports the commit
    /// batch size and sync latency through it); keep it cheap, it delays the next commit.
    public var commitObserver: (@Sendable (LogCommit) -> Void)?
    /// Where the log reports recovery actions (a truncated tail, a finished compaction) and I/O failures.
    public var logger: Logger = Logger(label: "cairn.log")

    /// Failures the writer simulates instead of running a `pwrite` or `fdatasync` (tests only; nil in production).
    package var _faults: LogFaults?

    /// The defaults: durable appends, 64 MiB segments.
    public init() {}

    /// A configuration with the given durability policy and defaults for the rest.
    public init(durability: Durability) {
        self.durability = durability
    }

    func validated() throws(LogError) -> LogConfiguration {
        guard segmentSize >= 64 << 10 else {
            throw LogError(.invalidArgument, "segmentSize \(segmentSize) is below the minimum of 64 KiB")
        }
        guard (1...(64 << 20)).contains(maxRecordSize) else {
            throw LogError(.invalidArgument, "maxRecordSize \(maxRecordSize) is outside 1 byte ... 64 MiB")
        }
        // Upper bounds too: the writer sizes buffers from these, and a frame must stay below what readers accept.
        guard (1 << 10...64 << 20).contains(targetFrameSize) else {
            throw LogError(.invalidArgument, "targetFrameSize \(targetFrameSize) is outside 1 KiB ... 64 MiB")
        }
        guard (0...1 << 30).contains(preallocationStep) else {
            throw LogError(.invalidArgument, "preallocationStep \(preallocationStep) is outside 0 ... 1 GiB")
        }
        if case .interval(let ms) = durability, ms <= 0 {
            throw LogError(.invalidArgument, "durability interval \(ms) ms must be positive")
        }
        return self
    }
}

/// One group commit, as ``LogConfiguration/commitObserver`` sees it.
public struct LogCommit: Sendable {
    /// Appends (calls of ``Log/append(_:)`` or ``Log/append(contentsOf:)``) the commit acknowledged.
    public var appends: Int
    /// Records it wrote.
    public var records: Int
    /// Bytes of frames it wrote.
    public var bytes: Int
    /// How long its `fdatasync` took; nil when the durability policy did not sync it.
    public var syncDuration: Duration?
}
