import CairnLog

/// Which stretches of the log hold records of which workflows: what ``WorkflowEngine/history(of:after:)`` reads
/// instead of everything between a workflow's first and last record.
///
/// A workflow that lives for weeks on a busy engine has its first and last records far apart, with millions of
/// other workflows' records between; reading its history by that span alone would scan them all. The index splits
/// positions into pages of ``pageSize`` and keeps, per page, 32 bits of the hash of each workflow with a record
/// there (its own records, and messages sent to it from outside: the records ``EnvelopePeek/concerns(_:in:)`` lists
/// in its history). A history reads only the pages holding its workflow's tag; a page another workflow's tag shares
/// by chance is read and filtered, never missed.
///
/// Cost: 4 bytes per (workflow, page) pair — a workflow's consecutive records share one entry, and a page's entries
/// are sorted and made unique once the log has moved past it — some 4–16 bytes per workflow for short workflows,
/// measured by the `waiting` bench with the rest of the projection. Compaction does not shrink pages: a page whose
/// records were dropped is read and found empty.
struct RecordIndex {
    /// Positions per page.
    static let pageShift = 12
    static var pageSize: UInt64 { 1 << pageShift }

    private struct Page {
        /// The tags of the workflows with records here; sorted and unique when ``sealed``.
        var tags: [UInt32] = []
        var sealed = false

        func contains(_ tag: UInt32) -> Bool {
            guard sealed else { return tags.contains(tag) }
            var low = 0, high = tags.count
            while low < high {
                let mid = (low + high) / 2
                if tags[mid] < tag { low = mid + 1 } else { high = mid }
            }
            return low < tags.count && tags[low] == tag
        }

        mutating func seal() {
            guard !sealed else { return }
            tags.sort()
            var unique = 0
            for tag in tags where unique == 0 || tags[unique - 1] != tag {
                tags[unique] = tag
                unique += 1
            }
            tags = Array(tags[..<unique])  // exact capacity: a sealed page no longer grows
            sealed = true
        }
    }

    /// Pages by number (`lsn >> pageShift`), from ``firstPage``.
    private var pages: [Page] = []
    private var firstPage: UInt64 = 0

    /// The tag of a workflow whose ID hashes (in the projection's ``WorkflowTable``) to `hash`.
    static func tag(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash) }

    /// Notes a record at `lsn` of the workflow whose ID has hash `hash`.
    mutating func add(hash: UInt64, at lsn: LSN) {
        let number = lsn.rawValue >> Self.pageShift
        if pages.isEmpty { firstPage = number }
        if number < firstPage {
            // A store whose positions do not follow commit order may deliver an earlier page late.
            pages.insert(contentsOf: repeatElement(Page(), count: Int(firstPage - number)), at: 0)
            firstPage = number
        }
        let index = Int(number - firstPage)
        if index >= pages.count {
            if let last = pages.indices.last { pages[last].seal() }
            pages.append(contentsOf: repeatElement(Page(), count: index - pages.count + 1))
        }
        let tag = Self.tag(hash)
        if pages[index].tags.last == tag { return }
        pages[index].tags.append(tag)
        pages[index].sealed = false
    }

    /// The stretches of `span` that may hold records of the workflow whose ID has hash `hash`, in order: whole pages
    /// holding its tag, cut to `span`, adjacent ones merged.
    func ranges(hash: UInt64, within span: ClosedRange<LSN>) -> [ClosedRange<LSN>] {
        guard !pages.isEmpty else { return [] }
        let tag = Self.tag(hash)
        let first = max(span.lowerBound.rawValue >> Self.pageShift, firstPage)
        let last = min(span.upperBound.rawValue >> Self.pageShift, firstPage + UInt64(pages.count) - 1)
        guard first <= last else { return [] }
        var ranges: [ClosedRange<LSN>] = []
        for number in first...last where pages[Int(number - firstPage)].contains(tag) {
            let lower = max(number << Self.pageShift, span.lowerBound.rawValue)
            let upper = min(((number + 1) << Self.pageShift) - 1, span.upperBound.rawValue)
            if let previous = ranges.last, previous.upperBound.rawValue + 1 == lower {
                ranges[ranges.count - 1] = previous.lowerBound...LSN(upper)
            } else {
                ranges.append(LSN(lower)...LSN(upper))
            }
        }
        return ranges
    }
}
