import ArgumentParser

/// The options of a command that acts on a running engine through its HTTP API: where, the token, and `--json`.
struct RemoteOptions: ParsableArguments {
    @Option(help: "The engine's HTTP API (its CairnHTTPServer): the base URL, e.g. http://127.0.0.1:8080.")
    var url: String

    @Option(help: "The API's token, sent as a bearer token and never printed (default: the CAIRN_TOKEN environment variable).")
    var token: String?

    @Flag(help: "Print the API's JSON answer.")
    var json = false

    func validate() throws { _ = try endpoint() }

    func endpoint() throws -> RemoteEndpoint { try RemoteEndpoint(url: url, token: token) }
}

extension RemoteOptions {
    /// Prints the API's answer: as JSON with `--json`, else as `line`.
    func print(_ answer: some Encodable, _ line: @autoclosure () -> String) throws {
        var out = Output()
        if json {
            out.bytes(try RemoteFormat.json(answer))
            out.line()
        } else {
            out.line(line())
        }
        out.flush()
    }
}
