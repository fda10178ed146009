/// The files of a log directory and what each one is.
///
/// ```
/// LOCK                               the flock file (holder's PID inside, and the failed-sync mark if any)
/// 00000000000000000001.seg           a segment; the name is its base LSN, 20 decimal digits
/// 00000000000000000001.seg.tmp       a segment being created (renamed into place once durable)
/// 00000000000000000001.seg.compact   a compaction output being written (renamed over the first input)
/// ```
/// Anything else is a foreign file: the log refuses to open rather than guess whose it is.
package struct LogDirectory: Sendable {
    package static let segmentSuffix = ".seg"
    package static let creatingSuffix = ".seg.tmp"
    package static let compactingSuffix = ".seg.compact"

    package let path: String

    /// Segment file names (base LSN order) and the temporary files left by an interrupted creation or compaction.
    package struct Listing: Sendable {
        package var segments: [(name: String, base: LSN)] = []
        package var temporaries: [String] = []
    }

    package init(path: String) {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        self.path = p
    }

    package func file(_ name: String) -> String { path + "/" + name }

    package static func segmentName(base: LSN) -> String {
        let digits = String(base.rawValue)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + segmentSuffix
    }

    /// The base LSN a segment file name encodes, or nil if the name is not a segment's.
    package static func base(ofSegmentNamed name: String, suffix: String = segmentSuffix) -> LSN? {
        guard name.hasSuffix(suffix) else { return nil }
        let digits = name.dropLast(suffix.count)
        guard digits.count == 20, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt64(digits),
            value >= 1
        else { return nil }
        return LSN(value)
    }

    /// Lists and classifies the directory; a foreign file is an error.
    package func list() throws(LogError) -> Listing {
        var listing = Listing()
        for name in try Directory.list(path) {
            if name == DirectoryLock.fileName { continue }
            if let base = Self.base(ofSegmentNamed: name) {
                listing.segments.append((name, base))
            } else if Self.base(ofSegmentNamed: name, suffix: Self.creatingSuffix) != nil
                || Self.base(ofSegmentNamed: name, suffix: Self.compactingSuffix) != nil
            {
                listing.temporaries.append(name)
            } else {
                throw LogError(
                    .foreignFile,
                    "'\(name)' is not a file Cairn's log writes; move it out of the log directory (nothing was changed)",
                    path: file(name))
            }
        }
        listing.segments.sort { $0.base < $1.base }
        return listing
    }
}
