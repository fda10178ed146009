import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Group commit: many appenders enqueue, one writer thread turns everything queued into frames, writes them with
/// one `pwrite`, syncs once, and resumes every waiter.
///
/// Appenders only take a `Mutex` and, when the writer sleeps, signal a semaphore: they never block on I/O. The
/// writer never holds the mutex while writing or syncing, so appends keep queueing during a sync and the next
/// cycle takes them all — batches grow with load on their own.
///
/// A failed write or sync *poisons* the writer: the failing batch and everything after it get an error, and nothing
/// more is acknowledged. After a failed `fdatasync` the kernel may have dropped the dirty pages, so a later
/// successful sync would prove nothing (PostgreSQL's "fsyncgate"); and a failed write leaves the LZ4 stream ahead
/// of the file. Worse, Linux keeps the pages it failed to write cached and marked clean, so even a reopen in the
/// same boot would read them as valid: a failed sync therefore marks the segment in the `LOCK` file as durable only
/// up to the last successful sync and cuts it back there (see ``DirectoryLock``); the next open applies the mark
/// before it reads anything.
package final class LogWriter: @unchecked Sendable {
    // @unchecked: `queue` and `shared` are Mutex-protected. Every other stored property is touched only by the writer
    // thread (between `start` and the thread's exit), or before the thread starts.

    package struct Pending {
        let records: [LogRecord]
        let rawBound: Int
        let continuation: UnsafeContinuation<LSN, any Error>
    }

    private struct Queue: ~Copyable {
        var items: [Pending] = []
        var sleeping = false
        var stopping = false
        var failure: LogError?
    }

    private let queue = Mutex(Queue())
    private let wakeup = DispatchSemaphore(value: 0)
    private var thread: DedicatedThread?

    package let state: LogState
    private let configuration: LogConfiguration
    /// Test-only failures to simulate (``LogConfiguration/_faults``).
    private let faults: LogFaults?
    private let directory: LogDirectory
    /// Kept alive for as long as the writer may write.
    private let lock: DirectoryLock

    // Writer-thread state.
    private var segment: File
    /// The active segment's header (its format version and salt bind every frame's checksum) and name.
    private var segmentHeader: SegmentHeader
    private var segmentName: String
    private var writeOffset: Int64
    /// How far the active segment is known durable: its data end at the last successful sync.
    private var syncedUntil: Int64
    /// A failure of the final sync on `stop`, for ``stop(sync:)`` to throw.
    private var finalFailure: LogError?
    private var zeroedUntil: Int64
    private var nextLSN: LSN
    private let encoder: FrameEncoder
    private var output = ByteBuffer(capacity: 2 << 20)
    private var unsynced = false
    private var lastSync = ContinuousClock.now
    private var lastLSNs: [LSN] = []

    package init(
        state: LogState, configuration: LogConfiguration, lock: DirectoryLock, segment: File, header: SegmentHeader,
        writeOffset: Int64, nextLSN: LSN, history: UnsafeRawBufferPointer
    ) throws(LogError) {
        self.state = state
        self.configuration = configuration
        self.faults = configuration._faults
        self.directory = state.directory
        self.lock = lock
        self.segment = segment
        self.segmentHeader = header
        self.segmentName = state.snapshot.segments.last?.name ?? ""
        self.writeOffset = writeOffset
        // What recovery verified is the starting point: the writer has not failed a sync of it.
        self.syncedUntil = writeOffset
        self.zeroedUntil = try segment.size()
        self.nextLSN = nextLSN
        self.encoder = FrameEncoder(maxBlockLength: configuration.targetFrameSize + configuration.maxRecordSize)
        encoder.reset(continuing: history)
        try preallocate()
    }

    package func start() {
        thread = DedicatedThread.start(name: "cairn-log-writer") { [self] in run() }
    }

    // MARK: Appender side (any thread, never blocks)

    /// Enqueues `records` (already validated); `continuation` is resumed with the last LSN once they are
    /// acknowledged, or with the error that keeps them from being written. Synchronous, so that appenders suspend in
    /// one frame of their own rather than in a chain of async calls (each a task allocation).
    package func enqueue(_ records: [LogRecord], rawBound: Int, continuation: UnsafeContinuation<LSN, any Error>) {
        let outcome: (wake: Bool, error: LogError?) = queue.withLock { q in
            if let failure = q.failure { return (false, .poisoned(by: failure, path: directory.path)) }
            if q.stopping { return (false, LogError(.closed, "the log was closed", path: directory.path)) }
            q.items.append(Pending(records: records, rawBound: rawBound, continuation: continuation))
            if q.sleeping {
                q.sleeping = false
                return (true, nil)
            }
            return (false, nil)
        }
        if let error = outcome.error {
            continuation.resume(throwing: error)
        } else if outcome.wake {
            wakeup.signal()
        }
    }

    /// Asks the writer to finish what is queued, sync, and exit; then waits for it (blocking: call off the pool).
    /// Throws when the final sync failed (the lock is released all the same): what was written since the last
    /// successful sync is not durable, and the next open cuts it off.
    package func stop(sync: Bool) throws(LogError) {
        finalSyncWanted.store(sync, ordering: .relaxed)
        let wake = queue.withLock { q -> Bool in
            q.stopping = true
            if q.sleeping {
                q.sleeping = false
                return true
            }
            return false
        }
        if wake { wakeup.signal() }
        thread?.join()
        lock.release()
        // Written by the writer thread before it exited; the join orders it before this read.
        if let finalFailure {
            throw LogError(
                finalFailure.code,
                "the final sync on close failed (\(finalFailure.message)); what was appended since the last successful sync may not be durable, and the next open cuts it off",
                path: finalFailure.path ?? directory.path, offset: finalFailure.offset, errno: finalFailure.errno)
        }
    }

    /// Asks the writer to finish what is queued and exit, without waiting (for a `Log` dropped without `close`).
    /// The directory lock goes when the writer does.
    package func stopDetached() {
        let wake = queue.withLock { q -> Bool in
            q.stopping = true
            defer { q.sleeping = false }
            return q.sleeping
        }
        if wake { wakeup.signal() }
    }

    private let finalSyncWanted = Atomic<Bool>(true)

    /// How long an idle writer polls for new appends before it sleeps (see `run()`).
    static let spinWindow = Duration.microseconds(50)

    // MARK: Writer thread

    private func run() {
        var batch: [Pending] = []
        batch.reserveCapacity(1024)
        // Idle, the writer polls for `spinWindow` before it sleeps: an appender that comes back within it (a workflow's
        // next step, typically tens of microseconds after its last acknowledgement) neither wakes the writer nor waits
        // for it to be scheduled, which would add two context switches to every commit of a sequential workload.
        var spinUntil: ContinuousClock.Instant?
        while true {
            enum Action { case work, stop, spin, sleep }
            let action: Action = queue.withLock { q in
                if !q.items.isEmpty {
                    swap(&q.items, &batch)
                    return .work
                }
                if q.stopping { return .stop }
                let now = ContinuousClock.now
                if spinUntil == nil { spinUntil = now + Self.spinWindow }
                if now < spinUntil! { return .spin }
                q.sleeping = true
                return .sleep
            }
            switch action {
            case .spin:
                sched_yield()
                continue
            case .work:
                spinUntil = nil
                process(batch)
                batch.removeAll(keepingCapacity: true)
            case .stop:
                if finalSyncWanted.load(ordering: .relaxed) && unsynced && !isPoisoned {
                    do {
                        try syncSegment()
                        unsynced = false
                    } catch {
                        finalFailure = error
                        poison(error, failing: [])
                    }
                }
                return
            case .sleep:
                if unsynced, case .interval(let ms) = configuration.durability {
                    let due = lastSync + .milliseconds(ms)
                    let wait = max(0, (due - ContinuousClock.now).nanosecondsClamped)
                    if wakeup.wait(timeout: .now() + .nanoseconds(Int(wait))) == .timedOut {
                        queue.withLock { $0.sleeping = false }
                        syncIfDue(force: true)
                    }
                } else {
                    wakeup.wait()
                }
                spinUntil = nil
            }
        }
    }

    private var isPoisoned: Bool { queue.withLock { $0.failure != nil } }

    private func process(_ batch: [Pending]) {
        if let failure = queue.withLock({ $0.failure }) {
            let error = LogError.poisoned(by: failure, path: directory.path)
            for p in batch { p.continuation.resume(throwing: error) }
            return
        }
        lastLSNs.removeAll(keepingCapacity: true)
        let bytesBefore = writeOffset
        var syncDuration: Duration?
        do {
            try writeFrames(batch)
            switch configuration.durability {
            case .always:
                let started = ContinuousClock.now
                try syncNow()
                syncDuration = ContinuousClock.now - started
            case .interval: syncIfDue(force: false)
            case .never: break
            }
            if case .interval = configuration.durability, isPoisoned {
                throw queue.withLock { $0.failure! }
            }
        } catch {
            poison(error, failing: batch)
            return
        }
        state.commit(end: writeOffset, lastLSN: lastLSNs.last!)
        for (p, lsn) in zip(batch, lastLSNs) { p.continuation.resume(returning: lsn) }
        if let observer = configuration.commitObserver {
            let records = batch.reduce(0) { $0 + $1.records.count }
            // After a roll the offset restarted: count the bytes of this segment only, a close enough figure.
            let bytes = writeOffset >= bytesBefore ? Int(writeOffset - bytesBefore) : Int(writeOffset)
            observer(LogCommit(appends: batch.count, records: records, bytes: bytes, syncDuration: syncDuration))
        }
        if writeOffset + Int64(configuration.preallocationStep / 2) > zeroedUntil {
            do { try preallocate() } catch { poison(error, failing: []) }
        }
    }

    /// Encodes the batch into frames of about ``LogConfiguration/targetFrameSize`` (never splitting one append),
    /// sealing the segment first whenever the next frame might not fit, and writes them.
    private func writeFrames(_ batch: [Pending]) throws(LogError) {
        output.count = 0
        var commitIndex: UInt16 = 0
        var i = 0
        while i < batch.count {
            var rawBound = batch[i].rawBound
            var j = i + 1
            while j < batch.count && rawBound + batch[j].rawBound <= configuration.targetFrameSize {
                rawBound += batch[j].rawBound
                j += 1
            }
            let frameEnd = writeOffset + Int64(output.count) + Int64(FrameEncoder.maxFrameLength(blockLength: rawBound))
            if frameEnd > Int64(configuration.segmentSize) && writeOffset + Int64(output.count) > Int64(SegmentHeader.size) {
                try flushOutput()
                try roll()
                commitIndex = 0  // what went before is sealed and synced: this segment's frames start afresh
            }
            encoder.beginFrame(maxBlockLength: rawBound)
            for k in i..<j {
                for record in batch[k].records {
                    record.payload.withUnsafeBytes { encoder.add(lsn: nextLSN, tag: record.tag, payload: $0) }
                    nextLSN = nextLSN.next
                }
                lastLSNs.append(LSN(nextLSN.rawValue - 1))
            }
            let frameOffset = writeOffset + Int64(output.count)
            encoder.endFrame(
                into: &output, commitIndex: commitIndex, checksumSeed: segmentHeader.checksumSeed(at: frameOffset))
            commitIndex &+= commitIndex == .max ? 0 : 1
            i = j
        }
        try flushOutput()
    }

    private func flushOutput() throws(LogError) {
        guard output.count > 0 else { return }
        try segment.write(output.bytes, at: writeOffset, .frames, faults: faults)
        writeOffset += Int64(output.count)
        zeroedUntil = max(zeroedUntil, writeOffset)
        output.count = 0
        unsynced = true
    }

    private func syncNow() throws(LogError) {
        guard unsynced else { return }
        try syncSegment()
        unsynced = false
        lastSync = .now
    }

    /// `fdatasync` (or, with `metadata`, `fsync`) of the active segment. On failure nothing written since the last
    /// successful sync may be trusted, not even by a reopen in this boot (the kernel may keep the failed pages
    /// cached and clean): the segment is marked in `LOCK` as durable up to ``syncedUntil`` for the next open to cut
    /// back to, and cut back now as well, which also drops those pages from the cache.
    private func syncSegment(metadata: Bool = false) throws(LogError) {
        do {
            if metadata { try segment.sync(faults: faults) } else { try segment.syncData(faults: faults) }
        } catch {
            let mark = DirectoryLock.FailedSync(segment: segmentName, syncedUntil: syncedUntil)
            do { try lock.recordFailedSync(mark) } catch let markError {
                configuration.logger.error(
                    "could not record the failed sync in the LOCK file",
                    metadata: ["error": "\(markError)", "segment": "\(segmentName)", "syncedUntil": "\(syncedUntil)"])
            }
            do { try segment.truncate(to: syncedUntil) } catch let cutError {
                configuration.logger.error(
                    "could not cut the segment back to its last synced offset after a failed sync",
                    metadata: ["error": "\(cutError)", "segment": "\(segmentName)", "syncedUntil": "\(syncedUntil)"])
            }
            throw error
        }
        syncedUntil = writeOffset
    }

    /// For ``LogConfiguration/Durability/interval(milliseconds:)``: sync when the interval has passed. A failure
    /// poisons the log (acknowledged records may be lost; later appends are refused).
    private func syncIfDue(force: Bool) {
        guard case .interval(let ms) = configuration.durability, unsynced else { return }
        guard force || ContinuousClock.now - lastSync >= .milliseconds(ms) else { return }
        do { try syncNow() } catch { poison(error, failing: []) }
    }

    /// Seals the active segment and makes the next one, durable before any frame goes into it: the active
    /// segment's zero fill is cut and it is synced; the next is created as `.seg.tmp` with its header, synced,
    /// renamed, and the directory synced; then (format version 2) the sealed segment gets its seal, synced.
    ///
    /// The seal comes last so that it proves the next segment was created durably: a log whose last segment ends
    /// in a seal has lost a segment (see the LogFormat article), while a crash before the seal leaves a sealed
    /// segment without one, followed by the new, empty segment.
    private func roll() throws(LogError) {
        try segment.truncate(to: writeOffset)
        try syncSegment(metadata: true)
        unsynced = false
        let base = nextLSN
        let name = LogDirectory.segmentName(base: base)
        let path = directory.file(name)
        let temporary = path + ".tmp"
        let header = SegmentHeader.fresh(baseLSN: base)
        let created = try File.open(temporary, O_RDWR | O_CREAT | O_TRUNC, mode: 0o600)
        try created.write(header.encoded(), at: 0, .segmentHeader, faults: faults)
        try created.sync(faults: faults)
        try Directory.rename(temporary, to: path)
        try Directory.sync(directory.path)
        let next = try File.open(path, O_RDWR)
        if segmentHeader.version >= 2 {
            var seal = ByteBuffer(capacity: FrameHeader.overhead)
            FrameEncoder.seal(nextBase: base, into: &seal, checksumSeed: segmentHeader.checksumSeed(at: writeOffset))
            do {
                try segment.write(seal.bytes, at: writeOffset, .frames, faults: faults)
            } catch {
                // A partial seal would be damage once the log is reopened: take it back if the disk lets us.
                try? segment.truncate(to: writeOffset)
                throw error
            }
            try syncSegment()
        }
        segment = next
        segmentHeader = header
        segmentName = name
        writeOffset = Int64(SegmentHeader.size)
        syncedUntil = writeOffset
        zeroedUntil = writeOffset
        encoder.reset()
        state.addSegment(SegmentDescriptor(name: name, path: path, base: base, replacesUntil: 0), end: writeOffset)
        try preallocate()
        configuration.logger.debug("started segment", metadata: ["segment": "\(name)"])
    }

    /// Fills the next ``LogConfiguration/preallocationStep`` bytes (not past the segment size) with zeros and syncs,
    /// so that later commits overwrite allocated blocks and their `fdatasync` need not update the file size.
    private func preallocate() throws(LogError) {
        let limit = max(Int64(configuration.segmentSize), writeOffset)
        let target = min(writeOffset + Int64(configuration.preallocationStep), limit)
        guard target > zeroedUntil else { return }
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(target - zeroedUntil), alignment: 16)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        do {
            try segment.write(UnsafeRawBufferPointer(zeros), at: zeroedUntil, .zeroFill, faults: faults)
        } catch let error where error.code == .diskFull {
            // Only zeros were written, past the data: nothing is lost. Cut them off and carry on without the fill.
            try segment.truncate(to: zeroedUntil)
            configuration.logger.warning(
                "disk full while pre-allocating the log segment; continuing without", metadata: ["path": "\(segment.path)"])
            return
        }
        // The sync also covers any unsynced frames (under `interval`): its failure, disk full included, poisons.
        try syncSegment()
        zeroedUntil = target
    }

    private func poison(_ error: any Error, failing batch: [Pending]) {
        let failure = (error as? LogError) ?? LogError(.ioFailed, "\(error)", path: directory.path)
        let queued: [Pending] = queue.withLock { q in
            if q.failure == nil { q.failure = failure }
            defer { q.items.removeAll() }
            return q.items
        }
        configuration.logger.error(
            "log write failed; no further appends will be acknowledged until the log is reopened",
            metadata: ["error": "\(failure)"])
        for p in batch { p.continuation.resume(throwing: failure) }
        let refusal = LogError.poisoned(by: failure, path: directory.path)
        for p in queued { p.continuation.resume(throwing: refusal) }
    }
}

extension LogError {
    static func poisoned(by failure: LogError, path: String) -> LogError {
        LogError(
            .poisoned,
            "an earlier write or sync failed (\(failure.code): \(failure.message)); this Log acknowledges nothing more: close it and open the directory again — after a failed sync the open cuts the segment back to what was last synced successfully, then recovers; if the disk keeps failing, stop and check it first",
            path: failure.path ?? path, offset: failure.offset, errno: failure.errno)
    }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (s, a) = components
        if s > Int64.max / 1_000_000_000 { return .max }
        return s * 1_000_000_000 + a / 1_000_000_000
    }
}
