import Hummingbird
import HTTPTypes

/// Who may use the server, and protection against cross-site requests.
///
/// - **Token.** When the server has one, every request but the sign-in page and the static assets (the stylesheet,
///   the script, the icon: the same for everyone, nothing of the engine's) must carry it: as
///   `Authorization: Bearer TOKEN` (the CLI, scripts), or as the `cairn_token` cookie the sign-in page sets
///   (the dashboard; `HttpOnly`, `SameSite=Strict`). Compared in constant time. Without one (loopback only), no
///   token is asked for.
/// - **Cross-site requests.** Every request that acts (any method but GET and HEAD) must be same-origin: a browser's
///   `Origin` header, when sent, must name this server, and `Sec-Fetch-Site`, when sent, must be `same-origin` or
///   `none`; and its body must be JSON (`Content-Type: application/json`), which no cross-site form can send
///   without a CORS preflight this server never grants. So a page elsewhere cannot make a signed-in browser act.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]?

    init(token: String?) { self.token = token.map { Array($0.utf8) } }

    static var cookieName: String { "cairn_token" }

    /// What anyone may fetch: the sign-in page needs them before the token is known.
    static var publicAssets: Set<String> { ["/static/dashboard.css", "/static/dashboard.js", "/static/favicon.svg"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let isAPI = path.hasPrefix("/api/")
        if let token, path != "/login", !Self.publicAssets.contains(path) {
            guard let presented = Self.presentedToken(request), Self.constantTimeEquals(presented, token) else {
                if isAPI || request.method != .get {
                    return try APIResponse.error(
                        .unauthorized, "unauthorized", "this server needs its token: send `Authorization: Bearer TOKEN` (cairn --token, or CAIRN_TOKEN)")
                }
                return Response(status: .seeOther, headers: [.location: "/login"])
            }
        }
        if request.method != .get && request.method != .head {
            if let problem = Self.crossSiteProblem(request) {
                return try APIResponse.error(.forbidden, "forbidden", problem)
            }
        }
        return try await next(request, context)
    }

    /// Why a request that acts looks cross-site (or not like an API call), or nil when it is fine.
    static func crossSiteProblem(_ request: Request) -> String? {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            return "a \(site) request cannot act on this server; use the dashboard on this server's own address, or the API without a browser"
        }
        if let origin = request.headers[HTTPField.Name("Origin")!] {
            guard let host = request.head.authority,
                origin == "http://\(host)" || origin == "https://\(host)"
            else {
                return "requests from \(origin) cannot act on this server (Origin does not match its address)"
            }
        }
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("application/json") else {
            return "a request that acts must send a JSON body with Content-Type: application/json (got '\(contentType)')"
        }
        return nil
    }

    static func presentedToken(_ request: Request) -> [UInt8]? {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            return Array(header.dropFirst("Bearer ".count).utf8)
        }
        if let cookie = request.cookies[cookieName] { return Array(cookie.value.utf8) }
        return nil
    }

    /// Equal bytes, in time that depends only on the lengths.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
