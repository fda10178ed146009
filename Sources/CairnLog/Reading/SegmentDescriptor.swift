/// A segment of an open log: its file and the LSNs it may hold.
package struct SegmentDescriptor: Sendable, Equatable {
    package var name: String
    package var path: String
    package var base: LSN
    /// From the header: non-zero for a compaction output (see ``SegmentHeader/replacesUntil``).
    package var replacesUntil: UInt64
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
            let reader = try SegmentReader(path: path, in: fileSystem)
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
