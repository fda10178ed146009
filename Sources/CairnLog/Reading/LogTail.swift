/// The records of a log as they are appended: an `AsyncSequence` that first yields what is there from its start
/// LSN, then polls for more, forever (until the task is cancelled).
///
/// It needs no lock and works from another process than the writer. A frame being written shows up as an invalid
/// tail for a moment; the tail simply waits for it. When a newer segment appears, the current one is sealed and
/// must end cleanly: anything else is corruption and ends the sequence with ``LogError/Code/corruptSegment``.
public struct LogTail: AsyncSequence, Sendable {
    public typealias Element = LogEntry

    let directory: LogDirectory
    let from: LSN
    let pollInterval: Duration

    public func makeAsyncIterator() -> Iterator {
        Iterator(state: TailState(directory: directory, position: from), pollInterval: pollInterval)
    }

    /// Yields entries in LSN order; waits (sleeping `pollInterval` between looks) when there are none.
    public struct Iterator: AsyncIteratorProtocol {
        let state: TailState
        let pollInterval: Duration
        var buffered: [LogEntry] = []
        var index = 0

        public mutating func next() async throws -> LogEntry? {
            while index == buffered.count {
                try Task.checkCancellation()
                let state = self.state
                buffered = try await DedicatedThread.run(name: "cairn-log-tail") { try state.poll(max: 4096) }
                index = 0
                if buffered.isEmpty { try await Task.sleep(for: pollInterval) }
            }
            defer { index += 1 }
            return buffered[index]
        }
    }
}

/// The tail's place in the log between polls.
final class TailState: @unchecked Sendable {
    // @unchecked: used by one poll at a time — the iterator awaits each poll before starting the next.
    let directory: LogDirectory
    var position: LSN
    var reader: SegmentReader?
    var segment: SegmentDescriptor?

    init(directory: LogDirectory, position: LSN) {
        self.directory = directory
        self.position = position
    }

    /// Reads up to about `max` new records.
    func poll(max: Int) throws -> [LogEntry] {
        var out: [LogEntry] = []
        var rereadAfterSeal = false
        while out.count < max {
            if reader == nil {
                let segments = try directory.catalog().segments
                guard !segments.isEmpty else { return out }
                let chosen = segments[SegmentScan.index(in: segments, containing: position)]
                segment = chosen
                guard let opened = try SegmentReader.openIfPresent(path: chosen.path, in: directory.fileSystem) else {
                    continue  // compacted away between listing and opening: list again
                }
                reader = opened
            }
            guard let reader, let segment else { return out }
            let step = try reader.next { lsn, tag, bytes in
                guard lsn >= position else { return }
                out.append(LogEntry(lsn: lsn, tag: tag, payload: Array(bytes)))
                position = lsn.next
            }
            guard case .end(let end) = step else { continue }
            // At the end of what is there. Has the writer moved on to a newer segment?
            let newer = try directory.catalog().segments.contains { $0.base > segment.base }
            if !newer {
                reader.forgetBufferedTail()
                return out
            }
            if end != .endOfFile && !rereadAfterSeal {
                // The segment may have been sealed after we read its end: read that end again first.
                reader.forgetBufferedTail()
                rereadAfterSeal = true
                continue
            }
            // The writer seals a segment (cutting its zero fill) before it creates the next one: judged as sealed.
            if let error = try SegmentVerdict(reader: reader, end: end, segment: segment, isLast: false).error {
                throw error
            }
            self.reader = nil
            self.segment = nil
            rereadAfterSeal = false
            // Where next: the segment holding `position`, found afresh. A compaction output stands for everything
            // below its replaces-until LSN. And a compaction may have replaced the file just read (renamed its
            // output over it) with one that also holds the kept records of the segments after it, now removed: then
            // read on in the new file. Only when the file is still the one just read, move to the next segment,
            // past any LSNs a compaction dropped at this one's end.
            if reader.header.replacesUntil > position.rawValue { position = LSN(reader.header.replacesUntil) }
            let segments = try directory.catalog().segments
            guard !segments.isEmpty else { return out }
            let containing = segments[SegmentScan.index(in: segments, containing: position)]
            if containing.base == segment.base, try reader.file.isSameFile(as: containing.path),
                let next = segments.first(where: { $0.base > segment.base })
            {
                position = Swift.max(position, next.base)
            }
        }
        return out
    }
}
