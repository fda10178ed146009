import Foundation
import Testing

/// The remote commands against a real engine and its HTTP API (`cairn-testhost http-serve`).
@Suite(.serialized) struct RemoteCommandTests {
    @Test func startListAndShow() async throws {
        try await withTestServer { server in
            let started = try cairn(["start", "remote-greet", "--input", "\"ada\"", "--id", "greet-1"], on: server)
            #expect(started.status == 0, "\(started.stderr)")
            #expect(started.stdout.hasPrefix("started greet-1 (remote-greet)"), "\(started.stdout)")
            let done = try await waitForStatus("greet-1", "completed", on: server)
            let workflow = try #require(done["workflow"] as? [String: Any])
            #expect((workflow["output"] as? [String: Any])?["json"] as? String == "hello ada!")

            // Starting the ID again starts nothing, and says so.
            let again = try cairn(["start", "remote-greet", "--input", "\"bob\"", "--id", "greet-1", "--json"], on: server)
            #expect(again.status == 0, "\(again.stderr)")
            let answer = try #require(try again.json() as? [String: Any])
            #expect(answer["created"] as? Bool == false)

            let table = try cairn(["list"], on: server)
            #expect(table.status == 0, "\(table.stderr)")
            for text in ["ID", "NAME", "STATUS", "STARTED (UTC)", "greet-1", "remote-greet", "completed"] {
                #expect(table.stdout.contains(text), "missing \(text) in \(table.stdout)")
            }
            let listed = try #require(try cairn(["list", "--json"], on: server).json() as? [[String: Any]])
            #expect(listed.compactMap { $0["id"] as? String } == ["greet-1"])
            let filtered = try #require(try cairn(["list", "--json", "--status", "failed"], on: server).json() as? [[String: Any]])
            #expect(filtered.isEmpty)
            #expect(try cairn(["list", "--status", "failed"], on: server).stdout.contains("no workflow matches"))

            let shown = try cairn(["show", "greet-1"], on: server)
            #expect(shown.status == 0, "\(shown.stderr)")
            for text in ["Workflow  greet-1", "remote-greet", "completed", "\"ada\"", "\"hello ada!\"", "hello", "shout",
                "step completed", "workflow completed", "HTTPMode.swift:"]
            {
                #expect(shown.stdout.contains(text), "missing \(text) in \(shown.stdout)")
            }
            let events = try #require(done["events"] as? [[String: Any]])
            #expect(events.compactMap { $0["name"] as? String }.contains("shout"))
        }
    }

    @Test func startWithAnInputFile() async throws {
        try await withTestServer { server in
            let file = server.directory + "/input.json"
            try Data("\"from a file\"".utf8).write(to: URL(fileURLWithPath: file))
            let started = try cairn(["start", "remote-greet", "--input-file", file, "--json"], on: server)
            #expect(started.status == 0, "\(started.stderr)")
            let answer = try #require(try started.json() as? [String: Any])
            #expect(answer["created"] as? Bool == true)
            let id = try #require((answer["workflow"] as? [String: Any])?["id"] as? String)
            let done = try await waitForStatus(id, "completed", on: server)
            #expect(((done["workflow"] as? [String: Any])?["output"] as? [String: Any])?["json"] as? String == "hello from a file!")
        }
    }

    @Test func sendDeliversAMessage() async throws {
        try await withTestServer { server in
            #expect(try cairn(["start", "remote-waits", "--input", "\"w\"", "--id", "waits-1"], on: server).status == 0)
            let sent = try cairn(["send", "waits-1", "--topic", "go", "--message", "\"now\"", "--idempotency-key", "k-1"], on: server)
            #expect(sent.status == 0, "\(sent.stderr)")
            #expect(sent.stdout == "sent to waits-1 on topic 'go'\n")
            let done = try await waitForStatus("waits-1", "completed", on: server)
            #expect(((done["workflow"] as? [String: Any])?["output"] as? [String: Any])?["json"] as? String == "w:now")
            let shown = try cairn(["show", "waits-1"], on: server)
            #expect(shown.stdout.contains("receive"), "\(shown.stdout)")
        }
    }

    @Test func cancelThenResume() async throws {
        try await withTestServer { server in
            #expect(try cairn(["start", "remote-waits", "--input", "\"c\"", "--id", "waits-2"], on: server).status == 0)
            let cancelled = try cairn(["cancel", "waits-2"], on: server)
            #expect(cancelled.status == 0, "\(cancelled.stderr)")
            #expect(cancelled.stdout.hasPrefix("cancelled waits-2 (remote-waits)"), "\(cancelled.stdout)")
            try await waitForStatus("waits-2", "cancelled", on: server)
            let listed = try #require(try cairn(["list", "--json", "--status", "cancelled"], on: server).json() as? [[String: Any]])
            #expect(listed.compactMap { $0["id"] as? String } == ["waits-2"])

            let resumed = try cairn(["resume", "waits-2", "--json"], on: server)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            let workflow = try #require(try resumed.json() as? [String: Any])
            #expect(workflow["id"] as? String == "waits-2")
            #expect(workflow["status"] as? String != "cancelled")
            #expect(try cairn(["send", "waits-2", "--topic", "go", "--message", "\"again\""], on: server).status == 0)
            let done = try await waitForStatus("waits-2", "completed", on: server)
            #expect(((done["workflow"] as? [String: Any])?["output"] as? [String: Any])?["json"] as? String == "c:again")

            // A workflow that is not cancelled cannot be resumed: the engine's refusal, in one line.
            expectOneLineError(try cairn(["resume", "waits-2"], on: server), status: 7, containing: "resumed")
            // Nor is a finished one cancelled.
            let finished = try cairn(["cancel", "waits-2"], on: server)
            #expect(finished.status == 0, "\(finished.stderr)")
            #expect(finished.stdout == "waits-2 (remote-waits) had already finished: completed\n")
        }
    }

    @Test func forkStartsANewWorkflow() async throws {
        try await withTestServer { server in
            #expect(try cairn(["start", "remote-greet", "--input", "\"fay\"", "--id", "greet-2"], on: server).status == 0)
            try await waitForStatus("greet-2", "completed", on: server)
            let forked = try cairn(["fork", "greet-2", "--before", "1", "--new-id", "greet-2-fork"], on: server)
            #expect(forked.status == 0, "\(forked.stderr)")
            #expect(forked.stdout.hasPrefix("forked greet-2 as greet-2-fork"), "\(forked.stdout)")
            let done = try await waitForStatus("greet-2-fork", "completed", on: server)
            #expect(((done["workflow"] as? [String: Any])?["output"] as? [String: Any])?["json"] as? String == "hello fay!")
            let ids = try #require(try cairn(["list", "--json"], on: server).json() as? [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(Set(ids) == ["greet-2", "greet-2-fork"])
        }
    }

    @Test func listPagesUpToTheLimit() async throws {
        try await withTestServer { server in
            for i in 0..<5 {
                #expect(try cairn(["start", "remote-greet", "--input", "\"\(i)\"", "--id", "page-\(i)"], on: server).status == 0)
            }
            let three = try #require(try cairn(["list", "--json", "--limit", "3"], on: server).json() as? [[String: Any]])
            #expect(three.count == 3)
            let all = try #require(try cairn(["list", "--json", "--limit", "0"], on: server).json() as? [[String: Any]])
            #expect(Set(all.compactMap { $0["id"] as? String }) == Set((0..<5).map { "page-\($0)" }))
            #expect(three.compactMap { $0["id"] as? String } == all.prefix(3).compactMap { $0["id"] as? String })
            let table = try cairn(["list", "--limit", "2"], on: server)
            #expect(table.stdout.contains("--limit 0 shows all"), "\(table.stdout)")
            let named = try #require(try cairn(["list", "--json", "--name", "remote-waits", "--limit", "0"], on: server).json() as? [[String: Any]])
            #expect(named.isEmpty)
            let recent = try #require(try cairn(["list", "--json", "--since", "1h", "--limit", "0"], on: server).json() as? [[String: Any]])
            #expect(recent.count == 5)
            let old = try #require(try cairn(["list", "--json", "--until", "1h", "--limit", "0"], on: server).json() as? [[String: Any]])
            #expect(old.isEmpty)
        }
    }

    @Test func tailPrintsTheLatestEvents() async throws {
        try await withTestServer { server in
            #expect(try cairn(["start", "remote-greet", "--input", "\"tim\"", "--id", "greet-3"], on: server).status == 0)
            try await waitForStatus("greet-3", "completed", on: server)

            let table = try cairn(["tail", "-n", "3"], on: server)
            #expect(table.status == 0, "\(table.stderr)")
            let lines = table.stdout.split(separator: "\n")
            #expect(lines.count == 4, "a header and 3 events: \(table.stdout)")
            #expect(lines.first?.contains("WORKFLOW") == true)
            #expect(table.stdout.contains("workflow completed"), "\(table.stdout)")

            let json = try cairn(["tail", "--json", "--workflow", "greet-3", "-n", "100"], on: server).jsonLines()
            #expect(json.count >= 4)
            #expect(json.allSatisfy { $0["workflowID"] as? String == "greet-3" })
            #expect(json.compactMap { $0["name"] as? String }.contains("shout"))
            let lsns = json.compactMap { $0["lsn"] as? Int }
            #expect(lsns == lsns.sorted())

            let from = try cairn(["tail", "--json", "--from", String(lsns[1])], on: server).jsonLines()
            #expect(from.first?["lsn"] as? Int == lsns[1])
        }
    }

    @Test func tailFollowsNewEvents() async throws {
        try await withTestServer { server in
            #expect(try cairn(["start", "remote-waits", "--input", "\"f\"", "--id", "waits-3"], on: server).status == 0)
            let follow = try BackgroundCLI(["tail", "--url", server.url, "--follow", "--workflow", "waits-3"])
            defer { follow.stop() }
            try await follow.waitFor("workflow started")
            #expect(try cairn(["send", "waits-3", "--topic", "go", "--message", "\"later\""], on: server).status == 0)
            try await follow.waitFor("workflow completed")
            #expect(follow.isRunning, "--follow goes on after the workflow finished")
            #expect(follow.stdout.contains("after"))

            let all = try BackgroundCLI(["tail", "--url", server.url, "--follow", "--json", "-n", "1000"])
            defer { all.stop() }
            #expect(try cairn(["start", "remote-greet", "--input", "\"g\"", "--id", "greet-4"], on: server).status == 0)
            try await all.waitFor("\"workflowID\":\"greet-4\"")
        }
    }
}
