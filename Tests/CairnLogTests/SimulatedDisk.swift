import CairnLog
import CairnTestSupport
import Foundation
import Synchronization
import Testing

/// `CAIRN_LONG=1`: the long forms of the torture tests (every cut point of larger workloads, more seeds).
let isLongRun = ProcessInfo.processInfo.environment["CAIRN_LONG"] == "1"

/// The log directory on a simulated disk.
let simulatedLogPath = "/var/log/cairn"

extension LogConfiguration {
    /// Durable appends, small segments and a small zero fill, on `disk`.
    static func simulated(
        _ disk: SimulatedFileSystem, durability: Durability = .always, segmentSize: Int = 64 << 10,
        preallocationStep: Int = 8 << 10
    ) -> LogConfiguration {
        var configuration = LogConfiguration.small(
            durability: durability, segmentSize: segmentSize, preallocationStep: preallocationStep)
        configuration._fileSystem = disk
        return configuration
    }
}

/// What a workload appended and when each append was acknowledged, in trace positions of its disk.
final class AppendLedger: Sendable {
    struct Append: Sendable {
        var entries: [LogEntry]
        /// The disk's trace length when the appender saw the acknowledgement: a power loss after this many events
        /// must keep the records (their sync is before it).
        var acknowledgedAt: Int
    }

    private let state = Mutex<[Append]>([])

    func acknowledged(_ entries: [LogEntry], at position: Int) {
        state.withLock { $0.append(Append(entries: entries, acknowledgedAt: position)) }
    }

    var appends: [Append] { state.withLock { $0 } }

    /// Every acknowledged record by LSN.
    var byLSN: [LSN: LogEntry] {
        var map: [LSN: LogEntry] = [:]
        for append in appends { for entry in append.entries { map[entry.lsn] = entry } }
        return map
    }
}

/// Checks the log recovered after a power loss `cut` events into a workload: every record acknowledged before the
/// cut is there with its bytes; nothing is there that was not appended; the records form a prefix of the appended
/// sequence (in-flight appends may or may not be there, but no hole); LSNs strictly increase; and a new append gets
/// an LSN above everything acknowledged. `droppable` says which records a compaction may have removed.
func checkRecovered(
    on disk: SimulatedFileSystem, cut: Int, tear: SimulatedFileSystem.Tear, ledger: AppendLedger,
    appended: [LSN: LogEntry], droppable: (LogEntry) -> Bool = { _ in false },
    configuration: (SimulatedFileSystem) -> LogConfiguration = { .simulated($0) },
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let context = "power loss after \(cut) events, tear \(tear)"
    let log: Log
    do {
        log = try await Log.open(at: simulatedLogPath, configuration: configuration(disk))
    } catch {
        Issue.record("the log did not open after a \(context): \(error)", sourceLocation: sourceLocation)
        return
    }
    let entries = try await log.entries()
    var previous: LSN?
    for entry in entries {
        if let previous, entry.lsn <= previous {
            Issue.record("\(context): LSN \(entry.lsn) follows \(previous)", sourceLocation: sourceLocation)
        }
        previous = entry.lsn
        if appended[entry.lsn] != entry {
            Issue.record("\(context): LSN \(entry.lsn) holds bytes nobody appended", sourceLocation: sourceLocation)
        }
    }
    let present = Set(entries.map(\.lsn))
    var acknowledgedMax: LSN?
    for append in ledger.appends where append.acknowledgedAt <= cut {
        for entry in append.entries {
            acknowledgedMax = max(acknowledgedMax ?? entry.lsn, entry.lsn)
            if !present.contains(entry.lsn) && !droppable(entry) {
                Issue.record("\(context): acknowledged LSN \(entry.lsn) was lost", sourceLocation: sourceLocation)
            }
        }
    }
    if let last = entries.last?.lsn {
        let holes = appended.values.filter { $0.lsn < last && !present.contains($0.lsn) && !droppable($0) }
        if let hole = holes.map(\.lsn).min() {
            Issue.record("\(context): LSN \(hole) is missing below \(last): not a prefix", sourceLocation: sourceLocation)
        }
    }
    do {
        let next = try await log.append(LogRecord(tag: 7, payload: Array("after the power loss".utf8)))
        let floor = max(acknowledgedMax ?? LSN(0), entries.last?.lsn ?? LSN(0))
        if next <= floor {
            Issue.record("\(context): a new append got LSN \(next), not above \(floor)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("\(context): the recovered log refused an append: \(error)", sourceLocation: sourceLocation)
    }
    try await log.close()
}

/// `count` cut points spread over `0...length` (all of them when there are no more than `count`).
func cutPoints(_ length: Int, count: Int) -> [Int] {
    guard length + 1 > count else { return Array(0...length) }
    return (0..<count).map { $0 * length / (count - 1) }
}
