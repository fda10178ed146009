import Cairn
import CairnAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The web dashboard: server-rendered pages (swift-mustache templates compiled into the binary), one stylesheet,
/// one script and an icon, and the sign-in page that turns the server's token into a cookie.
///
/// The pages only read; the buttons that act (cancel, resume, fork) post JSON to the API from `dashboard.js`, so
/// the API's access rules and answers apply to them unchanged.
struct DashboardRoutes: Sendable {
    /// The engine the pages read.
    let engine: WorkflowEngine
    /// What the pages show of payloads (the server's redaction hook).
    let payloads: PayloadView
    /// The server's token, when it has one: what `POST /login` checks.
    let token: String?

    /// Adds the pages, the sign-in and the assets to `router` (`/`, `/workflows`, `/workflows/{id}`, `/login`,
    /// `/static/…`).
    func add(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in
            DashboardRenderer.page("overview", title: "Overview", tab: "overview", model: OverviewModel(engine: engine).context())
        }
        router.get("/workflows") { request, _ in
            do {
                let model = try WorkflowListModel(engine: engine, query: DashboardQuery(request.uri.query ?? ""))
                return DashboardRenderer.page("list", title: "Workflows", tab: "workflows", model: model.context())
            } catch let bad as WorkflowListModel.BadQuery {
                return DashboardRenderer.error(.badRequest, "Bad filter", bad.message)
            }
        }
        // Every segment after /workflows/: an ID with a slash (a child's `parent/3`) works encoded or not.
        router.get("/workflows/**") { _, context in
            await workflowPage(id: context.parameters.getCatchAll().joined(separator: "/"))
        }
        router.get("/login") { _, _ in
            var model: [String: Any] = [:]
            if token == nil { model["open"] = true }
            return DashboardRenderer.page("login", title: "Sign in", model: model)
        }
        router.post("/login") { request, _ in
            try await signIn(request)
        }
        router.get("/static/dashboard.css") { _, _ in
            DashboardRenderer.asset(DashboardStylesheet.text, contentType: "text/css; charset=utf-8")
        }
        router.get("/static/favicon.svg") { _, _ in
            DashboardRenderer.asset(DashboardIcon.text, contentType: "image/svg+xml")
        }
        router.get("/static/dashboard.js") { _, _ in
            DashboardRenderer.asset(DashboardScript.text, contentType: "text/javascript; charset=utf-8")
        }
    }

    /// A workflow's page, or the 404 page when the engine knows no workflow `path` (percent-encoded) names.
    func workflowPage(id path: String) async -> Response {
        let id = path.removingPercentEncoding ?? path
        guard let summary = engine.summary(of: id) else {
            return DashboardRenderer.error(
                .notFound, "No such workflow",
                "The engine knows no workflow with ID '\(id)'. It may never have been started here, or it was compacted away.")
        }
        let model = WorkflowPageModel(engine: engine, payloads: payloads, summary: summary)
        return DashboardRenderer.page("workflow", title: id, tab: "workflows", model: await model.context())
    }

    /// `POST /login` with `{"token": "..."}`: 204 and the `cairn_token` cookie when the token is the server's; 401
    /// otherwise (the access rules already require a same-origin JSON request).
    func signIn(_ request: Request) async throws -> Response {
        struct SignIn: Decodable { var token: String }
        guard let token else {
            return try APIResponse.error(.badRequest, "invalid_state", "this server needs no token: open the dashboard at /")
        }
        let body = try await request.body.collect(upTo: 16 << 10)
        guard let presented = try? JSONDecoder().decode(SignIn.self, from: Data(String(buffer: body).utf8)) else {
            return try APIResponse.error(.badRequest, "invalid_json", "send {\"token\": \"...\"} as JSON")
        }
        guard AccessMiddleware<BasicRequestContext>.constantTimeEquals(Array(presented.token.utf8), Array(token.utf8)) else {
            return try APIResponse.error(.unauthorized, "unauthorized", "that is not this server's token")
        }
        let cookie = "\(AccessMiddleware<BasicRequestContext>.cookieName)=\(presented.token); Path=/; HttpOnly; SameSite=Strict"
        return Response(status: .noContent, headers: [.setCookie: cookie, .cacheControl: "no-store"])
    }
}
