import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a compaction did.
public struct CompactionReport: Sendable, CustomStringConvertible {
    /// The sealed segments that were rewritten.
    public var inputSegments: [String] = []
    /// The segment that replaced them (it takes the first input's name), or nil when there was nothing to compact.
    public var outputSegment: String?
    /// Records kept and dropped.
    public var recordsKept = 0
    /// Records the predicate did not keep.
    public var recordsDropped = 0
    /// Bytes on disk before (the inputs) and after (the output).
    public var bytesBefore: Int64 = 0
    /// Bytes of the output segment.
    public var bytesAfter: Int64 = 0

    public var description: String {
        guard let outputSegment else { return "nothing to compact" }
        return "\(inputSegments.count) segments -> \(outputSegment): kept \(recordsKept), dropped \(recordsDropped), \(bytesBefore) -> \(bytesAfter) bytes"
    }
}

/// The points between the durable steps of a compaction: tests stop a compaction at each to check that the next
/// open finishes or discards it.
package enum CompactionStep: CaseIterable, Sendable {
    case wroteOutput, syncedOutput, renamedOutput, syncedDirectory, removedFirstInput, removedInputs
}

extension Log {
    /// Rewrites the sealed segments whose records all have LSNs at or below `through` (all sealed segments when nil)
    /// into one segment holding only the records `keep` selects, with their LSNs unchanged. Never touches the
    /// active segment; appends go on while it runs.
    ///
    /// Crash-safe: the output is written to a temporary file and synced, renamed over the first input, the
    /// directory synced, and only then the other inputs removed. Its header records the LSN range it replaces, so
    /// an open after a crash either discards the temporary file (the old segments are intact) or removes the inputs
    /// it replaced (finishing the job).
    ///
    /// Runs on a dedicated thread. One compaction at a time per log; a second concurrent call waits for none and
    /// throws `.invalidArgument`.
    public func compact(
        through: LSN? = nil, keeping keep: @escaping @Sendable (LogRecordView) -> Bool
    ) async throws -> CompactionReport {
        try await compact(through: through, interruptAfter: nil, keeping: keep)
    }

    package func compact(
        through: LSN?, interruptAfter: CompactionStep?, keeping keep: @escaping @Sendable (LogRecordView) -> Bool
    ) async throws -> CompactionReport {
        let state = self.state
        let targetFrameSize = configuration.targetFrameSize
        let started = state.shared.withLock { s -> Bool in
            if s.compacting { return false }
            s.compacting = true
            return true
        }
        guard started else {
            throw LogError(.invalidArgument, "a compaction of this log is already running", path: directory)
        }
        defer { state.shared.withLock { $0.compacting = false } }
        return try await DedicatedThread.run(name: "cairn-compact") {
            try Compaction(state: state, through: through, targetFrameSize: targetFrameSize, interruptAfter: interruptAfter, keep: keep).report
        }
    }
}

/// Raised by a test's interruption point: the compaction stops there, leaving the files as a crash would.
package struct CompactionInterrupted: Error {
    package var step: CompactionStep
}

/// One compaction run (see ``Log/compact(through:keeping:)``).
struct Compaction {
    var report = CompactionReport()

    init(
        state: LogState, through: LSN?, targetFrameSize: Int, interruptAfter: CompactionStep?,
        keep: (LogRecordView) -> Bool
    ) throws {
        let segments = state.snapshot.segments
        // Sealed segments only; with `through`, only those whose successor starts at or below through + 1.
        var count = 0
        while count < segments.count - 1 {
            // The next segment starts above through + 1 (bases are at least 1; through + 1 may not exist).
            if let through, segments[count + 1].base.rawValue - 1 > through.rawValue { break }
            count += 1
        }
        guard count > 0 else { return }
        let inputs = Array(segments[0..<count])
        let replacesUntil = segments[count].base
        let directory = state.directory
        func checkpoint(_ step: CompactionStep) throws {
            if interruptAfter == step { throw CompactionInterrupted(step: step) }
        }

        let first = inputs[0]
        let temporary = directory.file(
            String(first.name.dropLast(LogDirectory.segmentSuffix.count)) + LogDirectory.compactingSuffix)
        let output = try File.open(temporary, O_RDWR | O_CREAT | O_TRUNC, mode: 0o600, in: directory.fileSystem)
        var writeOffset = Int64(SegmentHeader.size)
        let header = SegmentHeader.fresh(baseLSN: first.base, replacesUntil: replacesUntil.rawValue)
        try output.write(header.encoded(), at: 0)

        let encoder = FrameEncoder(maxBlockLength: targetFrameSize)
        encoder.reset()
        var buffer = ByteBuffer(capacity: targetFrameSize + (1 << 16))
        var pending: [(LSN, UInt8, [UInt8])] = []
        var pendingBytes = 0
        func flush() throws {
            guard !pending.isEmpty else { return }
            encoder.beginFrame(maxBlockLength: pendingBytes)
            for (lsn, tag, bytes) in pending { bytes.withUnsafeBytes { encoder.add(lsn: lsn, tag: tag, payload: $0) } }
            buffer.count = 0
            encoder.endFrame(into: &buffer, checksumSeed: header.checksumSeed(at: writeOffset))
            try output.write(buffer.bytes, at: writeOffset)
            writeOffset += Int64(buffer.count)
            pending.removeAll(keepingCapacity: true)
            pendingBytes = 0
        }

        var previous: LSN?
        for input in inputs {
            let reader = try SegmentReader(path: input.path, following: previous, in: directory.fileSystem)
            report.bytesBefore += try reader.file.size()
            while true {
                let step = try reader.next { lsn, tag, bytes in
                    if keep(LogRecordView(lsn: lsn, tag: tag, bytes: bytes)) {
                        pending.append((lsn, tag, Array(bytes)))
                        pendingBytes += RecordBlock.encodedSize(lsnDelta: UInt64.max, payloadCount: bytes.count)
                        report.recordsKept += 1
                    } else {
                        report.recordsDropped += 1
                    }
                }
                if pendingBytes >= targetFrameSize { try flush() }
                guard case .end(let end) = step else { continue }
                // An input is a sealed segment: judged as recovery and `cairn verify` judge one.
                if var error = try SegmentVerdict(reader: reader, end: end, segment: input, isLast: false).error {
                    error.message += "; compaction stopped and changed nothing"
                    throw error
                }
                break
            }
            previous = reader.lastLSN ?? previous
            report.inputSegments.append(input.name)
        }
        try flush()
        try checkpoint(.wroteOutput)
        try output.sync()
        try checkpoint(.syncedOutput)
        try Directory.rename(temporary, to: first.path, in: directory.fileSystem)
        // From the rename on, the output is the log's first segment and the other inputs are leftovers (an open
        // would remove them): readers must be pointed at it now, even if a later step fails.
        let replacement = SegmentDescriptor(
            name: first.name, path: first.path, base: first.base, replacesUntil: replacesUntil.rawValue)
        state.shared.withLock { s in
            s.segments.removeFirst(count)
            s.segments.insert(replacement, at: 0)
        }
        try checkpoint(.renamedOutput)
        try Directory.sync(directory.path, in: directory.fileSystem)
        try checkpoint(.syncedDirectory)
        for (i, input) in inputs.enumerated().dropFirst() {
            try Directory.remove(input.path, in: directory.fileSystem)
            if i == 1 { try checkpoint(.removedFirstInput) }
        }
        try checkpoint(.removedInputs)
        try Directory.sync(directory.path, in: directory.fileSystem)
        report.outputSegment = first.name
        report.bytesAfter = writeOffset
    }
}
