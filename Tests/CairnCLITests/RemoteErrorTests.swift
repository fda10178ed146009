import Foundation
import Testing

/// What the remote commands say when something is wrong: one line, the right exit status, nothing done.
@Suite(.serialized) struct RemoteErrorTests {
    @Test func unknownWorkflowNameIsNotFound() async throws {
        try await withTestServer { server in
            let result = try cairn(["start", "no-such-workflow", "--input", "1"], on: server)
            expectOneLineError(result, status: 3, containing: "no-such-workflow")
            let listed = try #require(try cairn(["list", "--json"], on: server).json() as? [[String: Any]])
            #expect(listed.isEmpty)
        }
    }

    @Test func unknownIDIsNotFound() async throws {
        try await withTestServer { server in
            expectOneLineError(try cairn(["show", "nobody"], on: server), status: 3, containing: "nobody")
            expectOneLineError(try cairn(["cancel", "nobody"], on: server), status: 3, containing: "nobody")
            expectOneLineError(try cairn(["tail", "--workflow", "nobody"], on: server), status: 3, containing: "nobody")
            expectOneLineError(try cairn(["tail", "--workflow", "nobody", "--follow"], on: server), status: 3, containing: "nobody")
            expectOneLineError(try cairn(["send", "nobody", "--message", "1"], on: server), status: 3, containing: "nobody")
            expectOneLineError(try cairn(["resume", "nobody"], on: server), status: 3, containing: "nobody")
            expectOneLineError(try cairn(["fork", "nobody", "--before", "1"], on: server), status: 3, containing: "nobody")
        }
    }

    @Test func inputOfTheWrongTypeStartsNothing() async throws {
        try await withTestServer { server in
            // remote-greet takes a string.
            let result = try cairn(["start", "remote-greet", "--input", "{\"name\": 1}", "--id", "typed"], on: server)
            expectOneLineError(result, status: 7, containing: "nothing was started")
            expectOneLineError(try cairn(["show", "typed"], on: server), status: 3, containing: "typed")
        }
    }

    @Test func malformedInputIsAUsageErrorAndStartsNothing() async throws {
        try await withTestServer { server in
            let result = try cairn(["start", "remote-greet", "--input", "{not json", "--id", "bad"], on: server)
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr.contains("--input is not valid JSON"), "\(result.stderr)")
            let file = server.directory + "/bad.json"
            try Data("[1, 2".utf8).write(to: URL(fileURLWithPath: file))
            let fromFile = try cairn(["start", "remote-greet", "--input-file", file, "--id", "bad"], on: server)
            expectOneLineError(fromFile, status: 64, containing: "not valid JSON")
            let message = try cairn(["send", "bad", "--message", "go"], on: server)
            #expect(message.status == 64, "an unquoted string is not JSON: \(message.stderr)")
            let listed = try #require(try cairn(["list", "--json"], on: server).json() as? [[String: Any]])
            #expect(listed.isEmpty)
        }
    }

    @Test func wrongTokenIsRefused() async throws {
        let token = "correct-horse-battery-staple-0123"
        try await withTestServer(token: token) { server in
            let wrong = "wrong-token-wrong-token-wrong"
            let refused = try cairn(["list", "--token", wrong], on: server)
            expectOneLineError(refused, status: 8, containing: "the token given was refused")
            #expect(!refused.stderr.contains(wrong) && !refused.stdout.contains(wrong), "the token is never printed")
            let wrongInEnvironment = try cairn(["start", "remote-greet", "--input", "\"x\""], on: server, environment: ["CAIRN_TOKEN": wrong])
            expectOneLineError(wrongInEnvironment, status: 8, containing: "the token given was refused")
            // None at all (an empty CAIRN_TOKEN is none).
            let missing = try cairn(["list", "--url", server.url], environment: ["CAIRN_TOKEN": ""])
            expectOneLineError(missing, status: 8, containing: "token")
            #expect(!missing.stderr.contains("refused"), "\(missing.stderr)")
            #expect(try cairn(["list", "--token", ""], on: server).status == 64)
            // The right one, from the environment (`cairn(_:on:)` passes the server's).
            let listed = try cairn(["list", "--json"], on: server)
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(!listed.stdout.contains(token))
        }
    }

    @Test func noServerCannotBeReached() async throws {
        let server = try await TestServer.start()
        let url = server.url
        server.stop()
        for arguments in [["list"], ["show", "x"], ["tail"], ["start", "remote-greet"], ["send", "x", "--message", "1"]] {
            let result = try cairn(arguments + ["--url", url])
            expectOneLineError(result, status: 7, containing: "cannot reach \(url)")
            #expect(result.stderr.contains("CairnHTTPServer running?"), "\(result.stderr)")
        }
    }

    @Test func directoryAndURLTogetherIsAUsageError() throws {
        let directory = temporaryDirectory()
        for arguments in [
            ["list", directory, "--url", "http://127.0.0.1:1"], ["show", directory, "some-id", "--url", "http://127.0.0.1:1"],
            ["tail", directory, "--url", "http://127.0.0.1:1"], ["list"], ["show", "--url", "http://127.0.0.1:1"],
            ["list", "--url", "not a url"], ["list", "--url", "ftp://127.0.0.1/"], ["start", "x", "--url", "http://"],
            ["list", directory, "--token", "t"], ["start", "x", "--url", "http://127.0.0.1:1", "--input", "1", "--input-file", "f"],
        ] {
            let result = try cairn(arguments)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"))
        }
    }
}
