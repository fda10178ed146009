import ArgumentParser
import Foundation

/// Where a running engine's HTTP API answers (`--url`), and the token it wants (`--token` or `CAIRN_TOKEN`).
///
/// The token is sent as `Authorization: Bearer TOKEN` and never printed: not in errors, not in `--json` output.
struct RemoteEndpoint: Sendable {
    /// The base URL as given, without a trailing slash: `http://127.0.0.1:8080`.
    let base: String
    let token: String?

    /// - Throws: `ValidationError` when `url` is not an `http` or `https` URL with a host and nothing after the
    ///   path (no query, no fragment, no user), or `--token` is empty.
    init(url: String, token: String?) throws {
        guard let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = parsed.host, !host.isEmpty
        else {
            throw ValidationError("--url '\(url)' is not an http:// or https:// URL with a host (e.g. http://127.0.0.1:8080)")
        }
        guard parsed.query == nil, parsed.fragment == nil, parsed.user == nil, parsed.password == nil else {
            throw ValidationError("--url '\(url)' should be the server's base URL only (e.g. http://127.0.0.1:8080), without a query, fragment or user")
        }
        if let port = parsed.port, !(1...65535).contains(port) {
            throw ValidationError("--url '\(url)' has port \(port), which is not a TCP port (1...65535)")
        }
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
        if let token, token.isEmpty { throw ValidationError("--token is empty") }
        // An empty CAIRN_TOKEN is as good as none (`CAIRN_TOKEN= cairn ...`).
        self.token = token ?? ProcessInfo.processInfo.environment["CAIRN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The URL of `path` (which starts with `/`; each part already percent-encoded) with `query`.
    func url(_ path: String, query: [(String, String)] = []) -> String {
        guard !query.isEmpty else { return base + path }
        return base + path + "?" + query.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
    }

    /// `text` percent-encoded for a path segment or a query value: everything but unreserved characters.
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
