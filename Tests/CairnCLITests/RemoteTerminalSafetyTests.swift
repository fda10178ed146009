import Foundation
import Testing

/// What an engine's API returns passes the same filter as a log's: no control sequence of a workflow's making
/// reaches the terminal, in tables, JSON or error messages.
@Suite(.serialized) struct RemoteTerminalSafetyTests {
    /// An OSC that retitles the window, a BEL, a C1 CSI and a right-to-left override.
    static let hostile = "x\u{1B}]0;pwned\u{07} \u{9B}31m \u{202E}"

    /// Whether `text` holds a byte or character a terminal acts on (newlines and tabs aside).
    static func isUnsafe(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
                || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        }
    }

    @Test func payloadsAndMessagesAreEscaped() async throws {
        try await withTestServer { server in
            let input = String(decoding: try JSONEncoder().encode(Self.hostile), as: UTF8.self)
            #expect(try cairn(["start", "remote-greet", "--input", input, "--id", "hostile"], on: server).status == 0)
            try await waitForStatus("hostile", "completed", on: server)
            for arguments in [
                ["list"], ["list", "--json"], ["show", "hostile"], ["show", "hostile", "--json"], ["tail"], ["tail", "--json"],
                ["show", "hostile", "--width", "0"],
            ] {
                let result = try cairn(arguments, on: server)
                #expect(result.status == 0, "\(arguments): \(result.stderr)")
                #expect(result.stdout.contains("hostile"), "\(arguments): \(result.stdout)")
                #expect(!Self.isUnsafe(result.stdout), "\(arguments): \(result.stdout.debugDescription)")
            }
            // The JSON still says what was recorded.
            let json = try #require(try cairn(["show", "hostile", "--json"], on: server).json() as? [String: Any])
            let workflow = try #require(json["workflow"] as? [String: Any])
            #expect((workflow["input"] as? [String: Any])?["json"] as? String == Self.hostile)

            let unknown = try cairn(["start", "no\u{1B}[2Jsuch"], on: server)
            expectOneLineError(unknown, status: 3, containing: "no\\u{1B}[2Jsuch")
            #expect(!Self.isUnsafe(unknown.stderr.replacingOccurrences(of: "\n", with: "")))
        }
    }
}
