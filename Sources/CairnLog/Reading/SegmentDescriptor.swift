/// A segment of an open log: its file and the LSNs it may hold.
package struct SegmentDescriptor: Sendable, Equatable {
    package var name: String
    package var path: String
    package var base: LSN
    /// From the header: non-zero for a compaction output (see ``SegmentHeader/replacesUntil``).
    package var replacesUntil: UInt64

    package init(name: String, path: String, base: LSN, replacesUntil: UInt64) {
        self.name = name
        self.path = path
        self.base = base
        self.replacesUntil = replacesUntil
    }
}

/// Contiguity: the segments of a log cover one unbroken LSN range. The first starts at LSN 1 (or is a compaction
/// output, whose base is its first input's); each next one starts where the one before ends — at its seal's LSN,
/// at its replaces-until LSN for a compaction output, else after its last record. A gap means a segment file is
/// missing, and the LSNs it held could be handed out again: the open stops instead. One rule for recovery and
/// `cairn verify`.
extension SegmentDescriptor {
    /// The base the segment after this one must have. `lastLSN` is this segment's own last record, if any;
    /// `sealedNextBase` its seal's LSN, if it ends in one.
    package func successorBase(lastLSN: LSN?, sealedNextBase: LSN?) -> LSN {
        if let sealedNextBase { return sealedNextBase }
        // Compaction keeps the first input's base and may drop records at either end: its header says where the
        // range it stands for ends.
        if replacesUntil != 0 { return LSN(replacesUntil) }
        return lastLSN?.next ?? base
    }

    /// Checks that this segment starts where the ones before it end (`expected`, nil for the first segment).
    package func checkContiguity(after expected: LSN?) throws(LogError) {
        let want = expected ?? .first
        if base == want { return }
        if expected == nil && replacesUntil != 0 { return }
        if base > want {
            throw LogError(
                .missingSegment,
                "no segment holds LSNs \(want)...\(base.rawValue - 1), which come before \(name): the segment file \(LogDirectory.segmentName(base: want)) is missing; restore it from a backup (opening without it would hand those LSNs out again)",
                path: path, lsn: want)
        }
        throw LogError(
            .missingSegment,
            "segment \(name) starts at LSN \(base), but the segments before it reach LSN \(want.rawValue - 1): they overlap, so a segment was replaced or copied in by hand; restore the directory from a backup",
            path: path, offset: 16, lsn: base)
    }

    /// Checks that nothing says a segment followed this one, the last present.
    package func checkIsLast(sealedNextBase: LSN?) throws(LogError) {
        if let next = sealedNextBase {
            throw LogError(
                .missingSegment,
                "segment \(name) is sealed: the writer created the segment \(LogDirectory.segmentName(base: next)) after it, for LSNs from \(next) on, and that file is missing; restore it from a backup (opening without it would hand acknowledged LSNs out again)",
                path: path, lsn: next)
        }
        if replacesUntil != 0 {
            throw LogError(
                .missingSegment,
                "segment \(name) is a compaction output, which is never the last segment: the segment \(LogDirectory.segmentName(base: LSN(replacesUntil))) after it, for LSNs from \(replacesUntil) on, is missing; restore it from a backup",
                path: path, lsn: LSN(replacesUntil))
        }
    }
}

extension LogDirectory {
    /// The directory's segments in order, after setting aside those an interrupted compaction already replaced.
    package struct Catalog: Sendable {
        package var segments: [SegmentDescriptor] = []
        package var superseded: [String] = []
        package var temporaries: [String] = []
    }

    /// Lists the segments and reads their headers (a foreign file, a bad header or a newer version is an error).
    package func catalog() throws(LogError) -> Catalog {
        let listing = try list()
        var catalog = Catalog()
        catalog.temporaries = listing.temporaries
        var coveredUntil: UInt64 = 0
        for (name, base) in listing.segments {
            let path = file(name)
            let reader = try SegmentReader(path: path)
            guard reader.header.baseLSN == base else {
                throw LogError(
                    .corruptSegment,
                    "the segment header says base LSN \(reader.header.baseLSN) but the file is named for \(base)",
                    path: path, offset: 16)
            }
            if base.rawValue < coveredUntil {
                // A compaction wrote a segment covering this one, then was interrupted before removing it.
                catalog.superseded.append(name)
                continue
            }
            coveredUntil = max(coveredUntil, reader.header.replacesUntil)
            catalog.segments.append(
                SegmentDescriptor(name: name, path: path, base: base, replacesUntil: reader.header.replacesUntil))
        }
        return catalog
    }
}
