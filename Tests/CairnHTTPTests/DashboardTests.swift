import Cairn
import CairnHTTP
import Foundation
import HTTPTypes
import Testing

/// The dashboard's pages, by request: what each shows, what it escapes, what it refuses.
@Suite struct DashboardTests {
    @Test func overviewShowsCountsAndRegisteredWorkflows() async throws {
        try await DashboardFixture.with { fixture in
            let page = try await fixture.request("/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            // done and the hostile one completed; changed diverged; waiting runs.
            #expect(page.body.contains(#"data-status="completed">"#))
            #expect(Self.count(in: page.body, status: "completed") == 2)
            #expect(Self.count(in: page.body, status: "diverged") == 1)
            #expect(Self.count(in: page.body, status: "running") == 1)
            #expect(page.body.contains(">dash-add</a>"))
            #expect(page.body.contains(">dash-change</a>"))
            #expect(page.body.contains("<th>commit</th>"))
        }
    }

    @Test func listShowsWorkflowsAndFilters() async throws {
        try await DashboardFixture.with { fixture in
            let all = try await fixture.request("/workflows")
            #expect(all.status == .ok)
            for id in ["done", "waiting", "changed"] { #expect(all.body.contains(#"href="/workflows/\#(id)">\#(id)</a>"#)) }
            let diverged = try await fixture.request("/workflows?status=diverged")
            #expect(diverged.body.contains(">changed</a>"))
            #expect(!diverged.body.contains(">done</a>"))
            let byName = try await fixture.request("/workflows?name=dash-change")
            #expect(byName.body.contains(">changed</a>") && byName.body.contains(">waiting</a>"))
            #expect(!byName.body.contains(">done</a>"))
            let search = try await fixture.request("/workflows?q=ait")
            #expect(search.body.contains(">waiting</a>"))
            #expect(!search.body.contains(">changed</a>"))
            let future = try await fixture.request("/workflows?since=2999-01-01T00:00")
            #expect(future.body.contains("No workflow matches."))
        }
    }

    @Test func listPagesWithTheCursor() async throws {
        try await DashboardFixture.with(extra: 55) { fixture in
            let first = try await fixture.request("/workflows?name=dash-add")
            let firstIDs = Self.listedIDs(first.body)
            #expect(firstIDs.count == 50)
            let next = try #require(Self.nextLink(first.body))
            let second = try await fixture.request(next)
            let secondIDs = Self.listedIDs(second.body)
            // 55 extra, done and the hostile one: 57 dash-add workflows, each listed once.
            #expect(secondIDs.count == 7)
            #expect(Set(firstIDs + secondIDs).count == 57)
            #expect(Self.nextLink(second.body) == nil)
        }
    }

    @Test func workflowPageShowsTheTimeline() async throws {
        try await DashboardFixture.with { fixture in
            let page = try await fixture.request("/workflows/done")
            #expect(page.status == .ok)
            #expect(page.body.contains(#"class="badge big status-completed">completed</span>"#))
            for step in ["add-one", "double-it"] { #expect(page.body.contains(#"<span class="name">\#(step)</span>"#)) }
            #expect(page.body.contains(#"data-kind="stepCompleted""#))
            #expect(page.body.contains("<code>12</code>"), "the result's preview")
            #expect(!page.body.contains(#"data-action="cancel""#), "a completed workflow cannot be cancelled")
            let waiting = try await fixture.request("/workflows/waiting")
            #expect(waiting.body.contains(#"data-live="true""#))
            #expect(waiting.body.contains(#"data-action="cancel""#))
            #expect(waiting.body.contains("waits with no deadline"))
        }
    }

    @Test func divergedWorkflowShowsBothCallSites() async throws {
        try await DashboardFixture.with { fixture in
            let page = try await fixture.request("/workflows/changed")
            #expect(page.status == .ok)
            #expect(page.body.contains(#"id="divergence""#))
            #expect(page.body.contains(#"<p class="callsite">Orders.swift:11</p>"#), "the recorded call site")
            #expect(page.body.contains(#"<p class="callsite">Orders.swift:22</p>"#), "the attempted call site")
            #expect(page.body.contains("old-step") && page.body.contains("new-step"))
            #expect(page.body.contains(#"data-action="resume""#))
            #expect(page.body.contains(#"data-fork-before="0""#), "a fork replays up to the divergence by default")
        }
    }

    @Test func hostileIDIsEscaped() async throws {
        try await DashboardFixture.with { fixture in
            let escaped = "&lt;script&gt;x&lt;/script&gt;"
            let list = try await fixture.request("/workflows")
            #expect(list.body.contains(escaped))
            #expect(!list.body.contains(DashboardFixture.hostileID))
            #expect(list.body.contains(#"href="/workflows/%3Cscript%3Ex%3C%2Fscript%3E""#))
            let page = try await fixture.request("/workflows/%3Cscript%3Ex%3C%2Fscript%3E")
            #expect(page.status == .ok)
            #expect(page.body.contains(escaped))
            #expect(!page.body.contains(DashboardFixture.hostileID))
            let missing = try await fixture.request("/workflows/%3Cimg%20src%3Dx%3E")
            #expect(missing.status == .notFound)
            #expect(missing.body.contains("&lt;img src=x&gt;") && !missing.body.contains("<img src=x>"))
        }
    }

    @Test func unknownWorkflowIsA404AndABadFilterA400() async throws {
        try await DashboardFixture.with { fixture in
            let missing = try await fixture.request("/workflows/no-such-workflow")
            #expect(missing.status == .notFound)
            #expect(missing.body.contains("No such workflow") && missing.body.contains("no-such-workflow"))
            let badStatus = try await fixture.request("/workflows?status=finished")
            #expect(badStatus.status == .badRequest)
            #expect(badStatus.body.contains("&#39;finished&#39; is not a workflow status"))
            let badTime = try await fixture.request("/workflows?since=yesterday")
            #expect(badTime.status == .badRequest)
            #expect(badTime.body.contains("not a time"))
            let badCursor = try await fixture.request("/workflows?cursor=nonsense")
            #expect(badCursor.status == .badRequest)
        }
    }

    @Test func pagesCarryTheSecurityHeaders() async throws {
        try await DashboardFixture.with { fixture in
            for uri in ["/", "/workflows", "/workflows/done", "/workflows/nothing", "/static/dashboard.css", "/static/dashboard.js"] {
                let answer = try await fixture.request(uri)
                #expect(
                    answer.headers[HTTPField.Name("Content-Security-Policy")!]
                        == "default-src 'self'; style-src 'self'; script-src 'self'", "\(uri)")
                #expect(answer.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(uri)")
                #expect(answer.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(uri)")
                #expect(!answer.body.contains("<script>"), "no inline script in \(uri)")
            }
            let css = try await fixture.request("/static/dashboard.css")
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(css.body.contains(".status-diverged"))
            let js = try await fixture.request("/static/dashboard.js")
            #expect(js.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(js.body.contains("new EventSource"))
        }
    }

    @Test func tokenSendsPagesToSignInAndTheCookieLetsThemThrough() async throws {
        let token = "0123456789abcdef0123456789abcdef"
        try await DashboardFixture.with(token: token) { fixture in
            let page = try await fixture.request("/workflows")
            #expect(page.status == .seeOther)
            #expect(page.headers[.location] == "/login")
            let login = try await fixture.request("/login")
            #expect(login.status == .ok)
            #expect(login.body.contains(#"id="login-form""#))
            #expect(login.body.contains(#"src="/static/dashboard.js""#))
            // The sign-in page's assets load before the token is known; nothing of the engine's does.
            let script = try await fixture.request("/static/dashboard.js")
            #expect(script.status == .ok && script.body.contains("wireLogin"))
            #expect(try await fixture.request("/api/v1/overview").status == .unauthorized)
            let json: HTTPFields = [.contentType: "application/json"]
            let wrong = try await fixture.request("/login", method: .post, headers: json, body: #"{"token": "not-the-token-at-all"}"#)
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.setCookie] == nil)
            let right = try await fixture.request("/login", method: .post, headers: json, body: #"{"token": "\#(token)"}"#)
            #expect(right.status == .noContent)
            let cookie = try #require(right.headers[.setCookie])
            #expect(cookie.hasPrefix("cairn_token=\(token);"))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
            let signedIn = try await fixture.request("/workflows", headers: [.cookie: "cairn_token=\(token)"])
            #expect(signedIn.status == .ok)
            #expect(signedIn.body.contains(">done</a>"))
        }
    }

    // MARK: Reading pages

    /// The count on the overview's card for `status`.
    static func count(in body: String, status: String) -> Int? {
        guard let card = body.range(of: #"data-status="\#(status)">"#) else { return nil }
        let rest = body[card.upperBound...]
        guard let open = rest.range(of: #"<span class="count">"#), let close = rest.range(of: "</span>", range: open.upperBound..<rest.endIndex)
        else { return nil }
        return Int(rest[open.upperBound..<close.lowerBound])
    }

    /// The IDs a list page links in its table.
    static func listedIDs(_ body: String) -> [String] {
        body.components(separatedBy: #"<td class="id"><a href="/workflows/"#).dropFirst().compactMap { cell in
            cell.split(separator: ">", maxSplits: 1).dropFirst().first.flatMap { $0.split(separator: "<").first }.map(String.init)
        }
    }

    /// The list page's "Next page" link, unescaped.
    static func nextLink(_ body: String) -> String? {
        guard let range = body.range(of: #"<a class="button" href=""#) else { return nil }
        let rest = body[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end]).replacingOccurrences(of: "&amp;", with: "&")
    }
}
