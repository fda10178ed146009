/// One page of ``WorkflowEngine/list(status:name:startedSince:startedBefore:idContaining:limit:after:)``: the matching
/// workflows, newest start first, and the cursor the next page starts after.
///
/// A collection of ``WorkflowSummary``: `page.count`, `for summary in page`, `page.map(\.id)` read the summaries.
///
/// ```swift
/// var page = engine.list(status: [.failed], limit: 50)
/// while true {
///     for summary in page { report(summary) }
///     guard let next = page.next else { break }
///     page = engine.list(status: [.failed], limit: 50, after: next)
/// }
/// ```
public struct WorkflowPage: RandomAccessCollection, Sendable {
    /// The workflows of this page, newest start first (ties by ID, greatest first).
    public let summaries: [WorkflowSummary]
    /// Where the next page starts: pass it as `after:` with the same filters. Nil when no workflow matched past
    /// this page (when the listing was made).
    public let next: WorkflowCursor?

    /// A page of these summaries, followed by `next`.
    public init(summaries: [WorkflowSummary], next: WorkflowCursor?) {
        self.summaries = summaries
        self.next = next
    }

    /// The index of the first summary (0).
    public var startIndex: Int { summaries.startIndex }
    /// The index past the last summary (the page's count).
    public var endIndex: Int { summaries.endIndex }
    /// The summary at `position`.
    public subscript(position: Int) -> WorkflowSummary { summaries[position] }
}

/// A place in the newest-first order of ``WorkflowEngine/list(status:name:startedSince:startedBefore:idContaining:limit:after:)``:
/// a listing `after:` it returns the workflows that come after it (started earlier, or at the same time with a
/// smaller ID).
///
/// A cursor is a position, not a snapshot: workflows started after the first page was read do not appear on later
/// pages, and one that is removed (compacted away) is simply absent. Its text form (`description`, and
/// ``init(_:)`` to read it back) fits in a URL's query once percent-encoded, for an HTTP API's "next" link.
public struct WorkflowCursor: Sendable, Hashable, Codable, LosslessStringConvertible {
    /// The start time (nanoseconds since 1970) and ID of the last workflow of the page before.
    let startedAt: Int64
    let id: String

    /// The cursor just past `summary`: the page after it begins with the workflow listed after it.
    public init(after summary: WorkflowSummary) {
        startedAt = summary.startedAt
        id = summary.id
    }

    /// Reads a cursor from its ``description``; nil when `description` is not one.
    public init?(_ description: String) {
        guard let dot = description.firstIndex(of: "."), let startedAt = Int64(description[..<dot]) else { return nil }
        self.startedAt = startedAt
        id = String(description[description.index(after: dot)...])
    }

    /// `<start nanoseconds>.<ID>`.
    public var description: String { "\(startedAt).\(id)" }

    /// Whether a workflow started at `startedAt` with ID `id` comes after this cursor in the newest-first order.
    func precedes(startedAt: Int64, id: String) -> Bool {
        startedAt < self.startedAt || (startedAt == self.startedAt && id < self.id)
    }
}
