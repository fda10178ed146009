import Cairn
import CairnAPI

/// What `list`, `show` and `tail` read from an engine, every page of it.
extension RemoteClient {
    /// A workflow's whole history, page after page (`next`).
    func history(of id: String) async throws -> [APIEvent] {
        var events: [APIEvent] = []
        var after: UInt64?
        while true {
            var query = [("limit", "10000")]
            if let after { query.append(("after", String(after))) }
            let page: APIHistory = try await get(Self.workflowPath(id, "/history"), query: query)
            events += page.events
            // A cursor that does not move on would loop forever: the history ends there.
            guard let next = page.next, next != after, !page.events.isEmpty else { return events }
            after = next
        }
    }

    /// Workflows matching `filters`, newest first, page after page (`next`), at most `limit` (nil: all).
    /// - Returns: the workflows, and whether more matched than `limit`.
    func workflows(_ filters: [(String, String)], limit: Int?) async throws -> (workflows: [APIWorkflow], more: Bool) {
        var workflows: [APIWorkflow] = []
        var cursor: String?
        while true {
            let wanted = limit.map { $0 - workflows.count } ?? 1000
            var query = filters + [("limit", String(min(max(wanted, 1), 1000)))]
            if let cursor { query.append(("cursor", cursor)) }
            let page: APIWorkflowPage = try await get("/api/v1/workflows", query: query)
            workflows += page.workflows
            if let limit, workflows.count >= limit {
                let more = workflows.count > limit || page.next != nil
                return (Array(workflows.prefix(limit)), more)
            }
            guard let next = page.next, next != cursor, !page.workflows.isEmpty else { return (workflows, false) }
            cursor = next
        }
    }
}
