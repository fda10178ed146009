/// The one loop every reader shares: walk segments in LSN order from a position, hand records at or after it to a
/// body, and decide what the end of each segment means.
///
/// A scan may be bounded above (`through`): segments whose base lies past the bound are never opened, and the scan
/// stops at the first frame whose header starts past it, before that frame is read or decompressed. Frames before
/// `from` in the first segment are still decompressed (a segment's frames form one LZ4 stream, each block may refer
/// to the 64 KiB before it), but their records reach no body.
///
/// Segments are chosen by LSN, not by index, and a segment that vanished (a compaction finished meanwhile) makes the
/// scan list the directory again and carry on from the same LSN: compaction keeps LSNs, so nothing is seen twice
/// or skipped.
package struct SegmentScan {
    /// Where a read-only scan stopped in the last segment, when that was not a clean end.
    package var tail: (file: String, offset: Int64, reason: String)?
    package var recordsVisited = 0
    package var lastLSN: LSN?
    /// The next LSN the scan would hand out.
    package var position: LSN

    /// `segments` lists the segments and, for an open log, the committed end of the last (nil for a read-only
    /// reader, which then treats a bad tail of the last segment as a write in progress or a torn tail).
    package init(
        from: LSN, through: LSN? = nil, in fileSystem: any FileSystem,
        segments: () throws -> (segments: [SegmentDescriptor], activeEnd: Int64?),
        _ body: (LogRecordView) throws -> Bool
    ) throws {
        position = from
        var (list, activeEnd) = try segments()
        var index = Self.index(in: list, containing: from)
        var stopped = false
        var relisted = false
        while index < list.count && !stopped {
            let segment = list[index]
            if let through, segment.base > through { break }
            let isLast = index == list.count - 1
            guard let reader = try SegmentReader.openIfPresent(path: segment.path, in: fileSystem) else {
                // Compacted away since the listing: list again, once, and go on from the same LSN.
                guard !relisted else {
                    throw LogError(.notFound, "segment \(segment.name) vanished while reading", path: segment.path)
                }
                (list, activeEnd) = try segments()
                index = Self.index(in: list, containing: position)
                relisted = true
                continue
            }
            relisted = false
            let limit = isLast ? activeEnd : nil
            var end = SegmentReader.End.endOfFile
            frames: while !stopped {
                if let through, let first = try reader.nextFrameFirstLSN(limit: limit), first > through {
                    stopped = true
                    break frames
                }
                let step = try reader.next(limit: limit) { lsn, tag, bytes in
                    guard !stopped, lsn >= position else { return }
                    if let through, lsn > through {
                        stopped = true
                        return
                    }
                    position = lsn.next
                    lastLSN = lsn
                    recordsVisited += 1
                    if try !body(LogRecordView(lsn: lsn, tag: tag, bytes: bytes)) { stopped = true }
                }
                if case .end(let why) = step {
                    end = why
                    break frames
                }
            }
            if stopped { break }
            // A compaction output stands for every record below its replaces-until LSN: the segments it replaced
            // may still be listed (a listing taken before the compaction finished), but are not to be read.
            if reader.header.replacesUntil > position.rawValue { position = LSN(reader.header.replacesUntil) }
            if isLast {
                // The last segment of a log being written is judged by where it stands: an open log's committed end
                // is known (any stop before it is damage); a read-only reader cannot tell a write in progress from a
                // torn tail, so it reports one and stops there (only the writer's open may search past it and cut).
                switch end {
                case .endOfFile: break
                case .zeroes where activeEnd == nil: break
                case .invalid(let reason) where activeEnd == nil: tail = (segment.name, reader.offset, reason)
                default:
                    throw LogError(
                        .corruptSegment,
                        "segment \(segment.name) is damaged at this offset (\(end.explanation)); run `cairn verify` for details",
                        path: segment.path, offset: reader.offset, lsn: reader.lastLSN)
                }
            } else if let error = try SegmentVerdict(reader: reader, end: end, segment: segment, isLast: false).error {
                throw error
            }
            index = max(index + 1, Self.index(in: list, containing: position))
        }
    }

    /// The index of the segment that holds `lsn`: the last whose base is at or below it.
    static func index(in list: [SegmentDescriptor], containing lsn: LSN) -> Int {
        var result = 0
        for (i, segment) in list.enumerated() where segment.base <= lsn { result = i }
        return result
    }
}

extension Log {
    /// Calls `body` for each committed record with an LSN at or after `from`, in order, until it returns false.
    ///
    /// Blocking: it reads files on the calling thread. Call it from a thread of your own (or at start-up), not from
    /// a task on the cooperative pool while the service is serving. Records appended while the scan runs may or may
    /// not be included. The view is valid only during the call.
    /// - Returns: how many records the body saw.
    @discardableResult
    public func scan(from: LSN = .first, _ body: (LogRecordView) throws -> Bool) throws -> Int {
        let state = self.state
        return try SegmentScan(from: from, in: state.directory.fileSystem, segments: {
            let s = state.snapshot
            return (s.segments, s.activeEnd)
        }, body).recordsVisited
    }

    /// Calls `body` for each committed record with an LSN in `range`, in order, until it returns false, reading
    /// only what the range needs: segments wholly outside it are not opened, and frames that start past its end
    /// are not read (see ``SegmentScan``). Blocking, as ``scan(from:_:)``.
    /// - Returns: how many records the body saw.
    @discardableResult
    package func scan(_ range: ClosedRange<LSN>, _ body: (LogRecordView) throws -> Bool) throws -> Int {
        let state = self.state
        return try SegmentScan(from: range.lowerBound, through: range.upperBound, in: state.directory.fileSystem, segments: {
            let s = state.snapshot
            return (s.segments, s.activeEnd)
        }, body).recordsVisited
    }

    /// Reads every committed record from `from` on into memory, on a dedicated thread. For tests and small logs;
    /// use ``scan(from:_:)`` for large ones.
    public func entries(from: LSN = .first) async throws -> [LogEntry] {
        let state = self.state
        return try await DedicatedThread.run(name: "cairn-log-read") {
            var entries: [LogEntry] = []
            _ = try SegmentScan(from: from, in: state.directory.fileSystem, segments: {
                let s = state.snapshot
                return (s.segments, s.activeEnd)
            }) { record in
                entries.append(record.entry)
                return true
            }
            return entries
        }
    }
}
