import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// Renders the dashboard's pages from their templates and answers with HTML under a strict content security
/// policy: scripts and styles only from this server's `/static/` files, no inline script, no framing.
struct DashboardRenderer: Sendable {
    /// The templates, parsed once; a template that does not parse is an error every page reports (tests catch it).
    static let library: Result<MustacheLibrary, any Error> = Result {
        var library = MustacheLibrary()
        for (name, text) in DashboardTemplates.all { library.register(try MustacheTemplate(string: text), named: name) }
        return library
    }

    /// The headers of every page and asset: no scripts or styles from elsewhere, no sniffing, no framing.
    static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!: "default-src 'self'; style-src 'self'; script-src 'self'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
    ]

    /// Page `template` rendered with `model` (plus the page title and the navigation's current tab).
    static func page(
        _ template: String, title: String, tab: String = "", model: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) -> Response {
        var context = model
        context["title"] = title
        if !tab.isEmpty { context["tab_" + tab] = true }
        if context["script"] == nil { context["script"] = "/static/dashboard.js" }
        switch library {
        case .success(let library):
            guard let html = library.render(context, withTemplate: template) else {
                return plain(.internalServerError, "the dashboard has no template '\(template)'")
            }
            return respond(status, contentType: "text/html; charset=utf-8", body: html)
        case .failure(let error):
            return plain(.internalServerError, "the dashboard's templates do not parse: \(error)")
        }
    }

    /// The error page: `status` and a message saying what was wrong and what to do.
    static func error(_ status: HTTPResponse.Status, _ heading: String, _ message: String) -> Response {
        page("error", title: heading, model: ["heading": heading, "message": message, "code": status.code], status: status)
    }

    /// A static asset (the stylesheet, the script), cacheable for a few minutes.
    static func asset(_ text: String, contentType: String) -> Response {
        var response = respond(.ok, contentType: contentType, body: text)
        response.headers[.cacheControl] = "public, max-age=300"
        return response
    }

    /// A plain-text answer (used when even the error template cannot render).
    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        respond(status, contentType: "text/plain; charset=utf-8", body: text + "\n")
    }

    /// An answer with the security headers, not cached unless the caller says otherwise.
    private static func respond(_ status: HTTPResponse.Status, contentType: String, body: String) -> Response {
        var headers = securityHeaders
        headers[.contentType] = contentType
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
