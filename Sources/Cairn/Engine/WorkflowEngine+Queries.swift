#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import CairnLog
import HeapModule
import Synchronization

extension WorkflowEngine {
    /// What the engine knows about workflow `id` (with its result once completed), or nil if there is none.
    public func summary(of id: String) -> WorkflowSummary? {
        state.withLock { $0.projection.querySummary(of: id) }
    }

    /// The workflows matching every given filter, newest start first, at most `limit` of them, continuing `after`
    /// a cursor from an earlier page: "the latest 50 failures" is `list(status: [.failed], limit: 50)`, the next
    /// 50 `list(status: [.failed], limit: 50, after: page.next)`.
    ///
    /// With a limit, the workflows are not all sorted: a pass keeps the newest `limit` matches in a bounded heap, and
    /// the summaries are made only for those. The pass visits the workflow table's chunks newest first, skips those
    /// that start after the cursor, and stops once no chunk left can hold a newer match (each chunk knows its start
    /// times' bounds): a page costs about one chunk of 4,096 workflows however many there are, when the workflows
    /// were started in about the order they are stored (a filter that few match visits them all).
    /// - Parameters:
    ///   - status: only these statuses.
    ///   - name: only workflows of this registered name.
    ///   - startedSince: only those started at or after this time (to within a microsecond).
    ///   - startedBefore: only those started before this time.
    ///   - idContaining: only those whose ID contains this text (a search box's).
    ///   - limit: at most this many (nil: all). A limit of 0 or less gives an empty page.
    ///   - cursor: only those after it in the newest-first order (``WorkflowPage/next`` of the page before).
    /// - Returns: the page, whose ``WorkflowPage/next`` is nil when nothing more matches. (When the pass stopped
    ///   early, with a filter, `next` is set without knowing whether the chunks not visited hold another match: its
    ///   page may be empty, with a nil `next`.)
    public func list(
        status: Set<WorkflowStatus>? = nil, name: String? = nil, startedSince: Date? = nil, startedBefore: Date? = nil,
        idContaining: String? = nil, limit: Int? = nil, after cursor: WorkflowCursor? = nil
    ) -> WorkflowPage {
        let idContaining = idContaining?.isEmpty == true ? nil : idContaining
        let since = startedSince?.nanosecondsSince1970
        let before = startedBefore?.nanosecondsSince1970
        let limit = limit.map { Swift.max(0, $0) } ?? .max
        // Borrowed, not copied: a summary's strings are retained only for the workflows that match.
        func matches(_ summary: borrowing WorkflowSummary) -> Bool {
            if let status, !status.contains(summary.status) { return false }
            if let name, summary.name != name { return false }
            if let since, summary.startedAt < since { return false }
            if let before, summary.startedAt >= before { return false }
            if let cursor, !cursor.precedes(startedAt: summary.startedAt, id: summary.id) { return false }
            if let idContaining, !summary.id.contains(idContaining) { return false }
            return true
        }
        return state.withLock { s in
            let workflows = s.projection.workflows
            let bounds = workflows.startBounds
            // The latest start in chunks 0...c: once the newest `limit` matches are all later than that, no chunk
            // left to visit can hold a newer one, and the pass stops.
            var latestUpTo = bounds.map(\.upperBound)
            for c in latestUpTo.indices.dropFirst() { latestUpTo[c] = Swift.max(latestUpTo[c], latestUpTo[c - 1]) }
            var newest = Heap<Listed>()
            var unbounded: [Listed] = []
            var matched = 0
            var more = false
            for chunk in bounds.indices.reversed() {
                if limit != .max, newest.count == limit, let oldest = newest.min, latestUpTo[chunk] < oldest.startedAt {
                    more = true  // matches may remain in the chunks not visited: say there is a next page
                    break
                }
                // A chunk whose every workflow starts after the cursor holds nothing for this page.
                if let cursor, bounds[chunk].lowerBound > cursor.startedAt { continue }
                for index in workflows.indices(ofChunk: chunk) where matches(workflows[at: index].summary) {
                    matched += 1
                    let listed = Listed(
                        startedAt: workflows[at: index].summary.startedAt, id: workflows[at: index].summary.id, index: index)
                    if limit == .max {
                        unbounded.append(listed)
                    } else if newest.count < limit {
                        newest.insert(listed)
                    } else if let oldest = newest.min, oldest < listed {
                        newest.replaceMin(with: listed)
                    }
                }
            }
            var selected = limit == .max ? unbounded : Array(newest.unordered)
            selected.sort(by: >)
            let summaries = selected.map { s.projection.querySummary(at: $0.index) }
            let next = more || matched > summaries.count ? summaries.last.map(WorkflowCursor.init(after:)) : nil
            return WorkflowPage(summaries: summaries, next: next)
        }
    }

    /// Every event recorded for workflow `id` so far, in log order, after `after` when given: its operations
    /// (position, kind, name, call site, time, the details of each kind, the payload bytes) and its lifecycle, as
    /// read-only ``HistoryEvent``s, read from the store as the ``WorkflowHistory`` sequence is iterated (`collect()`
    /// gives an array). Reads the log, so it works for finished workflows too (until a compaction replaces their
    /// history by a summary).
    ///
    /// Served from the projection's index of which pages of the log hold which workflows (`RecordIndex`): only
    /// those pages of the workflow's span are read, not everything between its first and last record.
    /// - Parameter after: the LSN of the last event a reader has (``HistoryEvent/lsn``): a client that fell behind
    ///   or reconnects goes on from there.
    /// - Throws: ``WorkflowError`` `.notFound` for an unknown ID, at once; iterating throws `.undecodableEvent` for
    ///   a damaged record, or the store's error.
    public func history(of id: String, after: LSN? = nil) throws -> WorkflowHistory {
        let ranges = state.withLock { s in
            s.projection.workflows.index(forKey: id).map { s.projection.recordRanges(ofWorkflowAt: $0, after: after) }
        }
        guard let ranges else { throw WorkflowError(.notFound, "no workflow with this ID", workflowID: id) }
        return WorkflowHistory(engine: self, id: id, ranges: ranges)
    }

    /// ``history(of:after:)`` as the recorded events themselves, all at once, for the tools and tests of this package.
    package func historyRecords(of id: String) async throws -> [HistoryRecord] {
        let ranges = try history(of: id).ranges
        return try await historyChunk(of: id, in: ranges, limit: .max).records
    }
}

/// A workflow in the newest-first order of ``WorkflowEngine/list(status:name:startedSince:startedBefore:idContaining:limit:after:)``:
/// ordered by start time, then ID (the order ``WorkflowCursor`` continues).
private struct Listed: Comparable {
    var startedAt: Int64
    var id: String
    /// Where the workflow is in the projection's table (valid while the engine's lock is held).
    var index: Int

    static func < (a: Listed, b: Listed) -> Bool { (a.startedAt, a.id) < (b.startedAt, b.id) }
    static func == (a: Listed, b: Listed) -> Bool { a.startedAt == b.startedAt && a.id == b.id }
}

extension Projection {
    /// Where the records of the workflow at `index` may lie, after `after` when given: the pages of the
    /// ``recordIndex`` holding it, cut to its ``Workflow/historySpan``. What its history and its streams read.
    func recordRanges(ofWorkflowAt index: Int, after: LSN? = nil) -> [ClosedRange<LSN>] {
        var span = workflows[at: index].historySpan
        if let after {
            guard after < span.upperBound else { return [] }
            span = max(span.lowerBound, after.next)...span.upperBound
        }
        return recordIndex.ranges(hash: workflows.hash(at: index), within: span)
    }

    /// The summary of workflow `id` that queries give (``WorkflowEngine/summary(of:)``): ``Workflow/publicSummary``
    /// with the current value of each of its events.
    func querySummary(of id: String) -> WorkflowSummary? {
        workflows.index(forKey: id).map(querySummary(at:))
    }

    /// ``querySummary(of:)`` of the workflow at `index`.
    func querySummary(at index: Int) -> WorkflowSummary {
        var summary = workflows[at: index].publicSummary
        if let keys = eventKeys[summary.id] {
            for key in keys { summary.eventValues[key] = events[Key(workflowID: summary.id, name: key)] }
        }
        return summary
    }
}

extension Projection.Workflow {
    /// The summary the engine's queries give: the stored one, with the result of a completed workflow.
    var publicSummary: WorkflowSummary {
        var summary = self.summary
        if summary.status == .completed { summary.output = output }
        return summary
    }
}
