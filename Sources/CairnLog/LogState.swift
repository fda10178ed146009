package import Synchronization

/// What the writer, readers and compaction of one open ``Log`` share: the segment list and how far the active
/// segment is committed. In-process readers read the active segment only up to the committed end, so they never
/// see a frame being written.
package final class LogState: Sendable {
    package let directory: LogDirectory

    package struct Snapshot: Sendable {
        package var segments: [SegmentDescriptor]
        /// Committed bytes of the last segment.
        package var activeEnd: Int64
        package var lastLSN: LSN?
        package var compacting = false
    }

    package let shared: Mutex<Snapshot>

    package init(directory: LogDirectory, segments: [SegmentDescriptor], activeEnd: Int64, lastLSN: LSN?) {
        self.directory = directory
        shared = Mutex(Snapshot(segments: segments, activeEnd: activeEnd, lastLSN: lastLSN))
    }

    package var snapshot: Snapshot { shared.withLock { $0 } }

    package func commit(end: Int64, lastLSN: LSN) {
        shared.withLock {
            $0.activeEnd = end
            $0.lastLSN = lastLSN
        }
    }

    package func addSegment(_ segment: SegmentDescriptor, end: Int64) {
        shared.withLock {
            $0.segments.append(segment)
            $0.activeEnd = end
        }
    }
}
