import ArgumentParser

/// Where `list`, `show` and `tail` read: a log directory, or a running engine's HTTP API (`--url`); exactly one.
struct SourceOptions: ParsableArguments {
    /// Where to read.
    enum Source {
        case directory(String)
        case engine(RemoteEndpoint)
    }

    @Argument(help: "The log directory (omitted with --url).")
    var directory: String?

    @Option(help: "Read from a running engine's HTTP API instead of a directory: its base URL, e.g. http://127.0.0.1:8080.")
    var url: String?

    @Option(help: "With --url: the API's token, never printed (default: the CAIRN_TOKEN environment variable).")
    var token: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    /// The source the arguments name, with `directory` as the directory argument.
    /// - Throws: `ValidationError` unless exactly one of a directory and `--url` is given, `--token` comes without
    ///   `--url`, or the URL is malformed.
    func source(directory: String?) throws -> Source {
        switch (directory, url) {
        case (let directory?, nil):
            guard token == nil else { throw ValidationError("--token goes with --url; a log directory is read without one") }
            return .directory(directory)
        case (nil, let url?):
            return .engine(try RemoteEndpoint(url: url, token: token))
        case (_?, _?):
            throw ValidationError("give a log directory or --url, not both")
        case (nil, nil):
            throw ValidationError("give the log directory, or --url to read from a running engine")
        }
    }

    /// The source: the directory argument or `--url`.
    func source() throws -> Source { try source(directory: directory) }
}
