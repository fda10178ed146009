import CairnLog
import Dispatch
import Synchronization

/// Plans a compaction on a thread of its own while the log's opening pass verifies frames: the opening thread
/// copies each record into a batch and hands full batches over, so checksums and decompression overlap with
/// planning.
final class PlanFeed: @unchecked Sendable {
    // @unchecked: `planner` and `failure` belong to the planning thread from start() until finish() has joined it;
    // `batch` belongs to the opening thread; batches cross between them only through `queue`, under its lock.
    struct Batch {
        var bytes: [UInt8] = []
        var records: [(lsn: LSN, tag: UInt8, start: Int, count: Int)] = []
    }

    private var planner: CompactionPlanner
    private var failure: (any Error)?
    private var batch = Batch()
    private let queue = Mutex<[Batch?]>([])
    private let available = DispatchSemaphore(value: 0)
    private let room = DispatchSemaphore(value: 4)
    private var thread: DedicatedThread?

    init(_ planner: CompactionPlanner) { self.planner = planner }

    func start() {
        thread = DedicatedThread.start(name: "cairn-plan") { [self] in
            while true {
                available.wait()
                let next = queue.withLock { $0.removeFirst() }
                room.signal()  // (also for the end marker: a semaphore must be back at its start value when freed)
                guard let next else { return }
                guard failure == nil else { continue }
                do {
                    try next.bytes.withUnsafeBytes { all in
                        for r in next.records {
                            try planner.add(lsn: r.lsn, tag: r.tag, bytes: UnsafeRawBufferPointer(rebasing: all[r.start..<r.start + r.count]))
                        }
                    }
                } catch {
                    failure = error
                }
            }
        }
    }

    /// Called by the opening pass for every record, in order.
    func add(_ record: LogRecordView) {
        batch.records.append((record.lsn, record.tag, batch.bytes.count, record.bytes.count))
        batch.bytes.append(contentsOf: record.bytes)
        if batch.records.count >= 8192 || batch.bytes.count >= 1 << 20 { hand(batch) }
    }

    private func hand(_ next: Batch?) {
        room.wait()
        queue.withLock { $0.append(next) }
        available.signal()
        batch = Batch()
    }

    /// Waits for the planner to take everything and returns it.
    func finish() throws -> CompactionPlanner {
        if !batch.records.isEmpty { hand(batch) }
        hand(nil)
        thread?.join()
        if let failure { throw failure }
        return planner
    }
}
