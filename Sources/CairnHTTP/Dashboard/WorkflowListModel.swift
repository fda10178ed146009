import Cairn
import CairnAPI
import Foundation

/// What the workflow list (`GET /workflows`) shows: the workflows matching its filters (status, name, started
/// since, an ID substring, as the API's `q`), newest first, 50 a page, continued with the engine's cursor.
struct WorkflowListModel {
    /// Workflows per page.
    static let pageSize = 50

    /// A query parameter that cannot be used: the 400 page says which and why.
    struct BadQuery: Error {
        let message: String
    }

    let engine: WorkflowEngine
    var statuses: [WorkflowStatus] = []
    var name: String?
    var since: Date?
    var sinceText = ""
    var search: String?
    var cursor: WorkflowCursor?

    /// The filters of `query` (`status` (repeatable), `name`, `since`, `q`, `cursor`).
    /// - Throws: ``BadQuery`` for an unknown status, a time that is not one, a cursor that is not one.
    init(engine: WorkflowEngine, query: DashboardQuery) throws {
        self.engine = engine
        for text in query.all("status") where !text.isEmpty {
            guard let status = WorkflowStatus(rawValue: text) else {
                let known = WorkflowStatus.allCases.map(\.rawValue).joined(separator: ", ")
                throw BadQuery(message: "'\(text)' is not a workflow status; use one of \(known)")
            }
            if !statuses.contains(status) { statuses.append(status) }
        }
        name = query.first("name").flatMap { $0.isEmpty ? nil : $0 }
        search = query.first("q").flatMap { $0.isEmpty ? nil : $0 }
        if let text = query.first("since"), !text.isEmpty {
            guard let date = Self.parseTime(text) else {
                throw BadQuery(
                    message: "'since' is '\(text)', which is not a time; use ISO 8601 in UTC, e.g. 2026-12-07T21:00 or 2026-12-07T21:00:00Z")
            }
            since = date
            sinceText = text
        }
        if let text = query.first("cursor"), !text.isEmpty {
            guard let cursor = WorkflowCursor(text) else {
                throw BadQuery(message: "'cursor' is '\(text)', which is not a page cursor; follow the list's 'Next' link")
            }
            self.cursor = cursor
        }
    }

    /// A time from a form's `datetime-local` field (`2026-12-07T21:00`, read as UTC) or ISO 8601.
    static func parseTime(_ text: String) -> Date? {
        if let date = APIJSON.parse(text) { return date }
        for candidate in [text + ":00Z", text + "Z", text + "T00:00:00Z"] {
            if let date = APIJSON.parse(candidate) { return date }
        }
        return nil
    }

    /// The page: at most ``pageSize`` workflows and the cursor of the next page.
    func page() -> WorkflowPage {
        engine.list(
            status: statuses.isEmpty ? nil : Set(statuses), name: name, startedSince: since, idContaining: search,
            limit: Self.pageSize, after: cursor)
    }

    /// The page's template context.
    func context() -> [String: Any] {
        let page = page()
        let rows = Array(page)
        let next = page.next
        var context: [String: Any] = [
            "rows": rows.map { WorkflowRow(summary: $0).context }, "count": rows.count,
            "q": search ?? "", "since": sinceText, "nameFilter": name ?? "",
            "statusOptions": WorkflowStatus.allCases.map { status -> [String: Any] in
                var option: [String: Any] = ["value": status.rawValue]
                if statuses.contains(status) { option["selected"] = true }
                return option
            },
            "nameOptions": engine.registeredWorkflows.map { registered -> [String: Any] in
                var option: [String: Any] = ["value": registered]
                if registered == name { option["selected"] = true }
                return option
            },
        ]
        if rows.isEmpty { context["empty"] = true }
        if let next { context["nextHref"] = link(cursor: next) }
        if cursor != nil { context["firstHref"] = link(cursor: nil) }
        if !statuses.isEmpty || name != nil || since != nil || search != nil { context["filtered"] = true }
        return context
    }

    /// `/workflows` with these filters, at `cursor`.
    func link(cursor: WorkflowCursor?) -> String {
        var items: [String] = statuses.map { "status=\($0.rawValue)" }
        if let name { items.append("name=" + DashboardFormat.percentEncoded(name)) }
        if since != nil { items.append("since=" + DashboardFormat.percentEncoded(sinceText)) }
        if let search { items.append("q=" + DashboardFormat.percentEncoded(search)) }
        if let cursor { items.append("cursor=" + DashboardFormat.percentEncoded(cursor.description)) }
        return items.isEmpty ? "/workflows" : "/workflows?" + items.joined(separator: "&")
    }
}
