import Cairn
import CairnLog
import Foundation
import Testing

/// Every command on a healthy log, its `--json` output parsed back.
@Suite struct CommandTests {
    @Test func inspectReportsSegmentsRecordsAndWorkflows() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let table = try cairn(["inspect", log.directory])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("Compression"))
        #expect(table.stdout.contains("completed"))
        #expect(!table.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
        let json = try #require(try cairn(["inspect", log.directory, "--json"]).json() as? [String: Any])
        let segments = try #require(json["segments"] as? [[String: Any]])
        #expect(segments.count == (try segmentFiles(log.directory)).count)
        #expect(segments.count > 2)
        let workflows = try #require(json["workflows"] as? [String: Any])
        #expect(workflows["completed"] as? Int == log.completedCount)
        #expect(workflows["failed"] as? Int == log.failed.count)
        #expect(workflows["pending"] as? Int == log.waiting.count)
        #expect((json["records"] as? Int ?? 0) > 400)
        #expect((json["compressionRatio"] as? Double ?? 0) > 1)
        #expect(json["undeliveredMessages"] as? Int == 2)
        #expect(json["lockedBy"] is NSNull)
    }

    @Test func listFiltersAndLimits() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let all = try #require(try cairn(["list", log.directory, "--json", "--limit", "0"]).json() as? [[String: Any]])
        #expect(all.count == log.workflowCount)
        let starts = all.compactMap { $0["startedAt"] as? String }
        #expect(starts == starts.sorted(by: >), "newest first")
        let failed = try #require(try cairn(["list", log.directory, "--json", "--status", "failed"]).json() as? [[String: Any]])
        #expect(Set(failed.compactMap { $0["id"] as? String }) == Set(log.failed))
        #expect(failed.allSatisfy { ($0["error"] as? [String: Any])?["message"] as? String != nil })
        let named = try #require(try cairn(["list", log.directory, "--json", "--name", "waits", "--status", "pending"]).json() as? [[String: Any]])
        #expect(Set(named.compactMap { $0["id"] as? String }) == Set(log.waiting))
        let limited = try #require(try cairn(["list", log.directory, "--json", "--limit", "3"]).json() as? [[String: Any]])
        #expect(limited.count == 3)
        #expect(limited.map { $0["id"] as! String } == all.prefix(3).map { $0["id"] as! String })
        let recent = try #require(try cairn(["list", log.directory, "--json", "--limit", "0", "--since", "2d"]).json() as? [[String: Any]])
        #expect(recent.count == all.count - log.completed.keys.filter { $0.hasPrefix("old-") }.count)
        let old = try #require(try cairn(["list", log.directory, "--json", "--limit", "0", "--until", "5d"]).json() as? [[String: Any]])
        #expect(old.count == 30)
        let table = try cairn(["list", log.directory, "--limit", "5"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("STATUS"))
        #expect(table.stdout.contains("5 of"))
        let bad = try cairn(["list", log.directory, "--status", "sleeping"])
        #expect(bad.status == 64)
    }

    @Test func showPrintsHistoryWithDecodedPayloads() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let table = try cairn(["show", log.directory, "greet-1"])
        #expect(table.status == 0, "\(table.stderr)")
        for text in ["step completed", "hello", "shout", "set event", "workflow completed", "CairnCLITests/TestSupport.swift:", "HELLO WORLD 1"] {
            #expect(table.stdout.contains(text), "missing \(text) in \(table.stdout)")
        }
        let json = try #require(try cairn(["show", log.directory, "greet-1", "--json"]).json() as? [String: Any])
        let workflow = try #require(json["workflow"] as? [String: Any])
        #expect(workflow["status"] as? String == "completed")
        #expect(workflow["output"] as? String == log.completed["greet-1"])
        let events = try #require(json["events"] as? [[String: Any]])
        #expect(events.map { $0["kind"] as? String } == ["workflowStarted", "stepCompleted", "eventSet", "stepCompleted", "workflowCompleted"])
        try #require(events.count == 5)
        #expect(events[1]["position"] as? String == "0")
        #expect(events[1]["name"] as? String == "hello")
        #expect((events[1]["payload"] as? String)?.hasPrefix("hello world 1") == true)
        #expect((events[1]["callSite"] as? String)?.contains("TestSupport.swift:") == true)
        let failed = try #require(try cairn(["show", log.directory, "fail-2", "--json"]).json() as? [String: Any])
        let error = try #require((failed["workflow"] as? [String: Any])?["error"] as? [String: Any])
        #expect(error["message"] as? String == "boom 4")
        // Messages sent from outside are part of the receiver's history.
        let greet0 = try #require(try cairn(["show", log.directory, "greet-0", "--json"]).json() as? [String: Any])
        #expect((greet0["events"] as? [[String: Any]])?.contains { $0["kind"] as? String == "messageSent" && $0["idempotencyKey"] as? String == "k1" } == true)
    }

    @Test func showListsStreamsAndExportNamesTheirKinds() async throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/replay/streams").path
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try FileManager.default.copyItem(atPath: source, toPath: directory)
        let table = try cairn(["show", directory, "streams-1"])
        #expect(table.status == 0, "\(table.stderr)")
        for text in ["stream write", "stream closed", "STREAM", "progress       2  closed", "tokens         3  open"] {
            #expect(table.stdout.contains(text), "missing \(text) in \(table.stdout)")
        }
        let json = try #require(try cairn(["show", directory, "streams-1", "--json"]).json() as? [String: Any])
        let streams = try #require(json["streams"] as? [[String: Any]])
        #expect(streams.map { $0["key"] as? String } == ["progress", "tokens"])
        #expect(streams.map { $0["count"] as? Int } == [2, 3])
        #expect(streams.map { $0["closed"] as? Bool } == [true, false])
        let kinds = try cairn(["export", directory]).jsonLines().compactMap { $0["kind"] as? String }
        #expect(kinds.filter { $0 == "streamWritten" }.count == 5 && kinds.filter { $0 == "streamClosed" }.count == 1)
    }

    @Test func showUnknownWorkflowIsAOneLineError() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        expectOneLineError(try cairn(["show", log.directory, "nobody"]), status: 3, containing: "no workflow with ID 'nobody'")
        expectOneLineError(try cairn(["show", log.directory, "nobody", "--json"]), status: 3, containing: "nobody")
    }

    @Test func exportWritesOneParsableLinePerEvent() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let result = try cairn(["export", log.directory])
        #expect(result.status == 0)
        let lines = try result.jsonLines()
        let records = try LogReader(directory: log.directory).entries()
        #expect(lines.count == records.count)
        #expect(lines.map { ($0["lsn"] as? NSNumber)?.uint64Value } == records.map { $0.lsn.rawValue })
        #expect(lines.contains { $0["kind"] as? String == "engineStopped" })
        let one = try cairn(["export", log.directory, "--workflow", "greet-3"]).jsonLines()
        #expect(one.count == 5)
        #expect(one.last?["payload"] as? String == log.completed["greet-3"])
        let from = try cairn(["export", log.directory, "--from", "\(records[10].lsn.rawValue)"]).jsonLines()
        #expect(from.count == records.count - 10)
    }

    @Test func tailPrintsTheLatestEvents() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let lines = try cairn(["tail", log.directory, "-n", "4", "--json"]).jsonLines()
        let records = try LogReader(directory: log.directory).entries()
        #expect(lines.map { ($0["lsn"] as? NSNumber)?.uint64Value } == records.suffix(4).map { $0.lsn.rawValue })
        let table = try cairn(["tail", log.directory, "--workflow", "fail-0"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("workflow failed"))
    }

    @Test func tailFollowsAnEngineAsItAppends() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let running = try await RunningEngine.open(directory)
        _ = try await running.engine.start(Greet.self, input: "before", id: "before").result()
        // Start after what is in the log now, so the tail prints only what is appended once it runs, however long
        // it takes to start (no guess at when it has read to the end).
        let next = try #require(try LogReader(directory: directory).entries().last).lsn.rawValue + 1
        let process = Process()
        process.executableURL = cairnBinary
        process.arguments = ["tail", directory, "--follow", "--json", "--from", "\(next)", "--poll", "10"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The reads below block: end the tail after the deadline, so that a tail that prints nothing fails the test
        // instead of hanging it.
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(20))
            if process.isRunning { process.terminate() }
        }
        defer { watchdog.cancel() }
        _ = try await running.engine.start(Greet.self, input: "during", id: "during").result()
        var seen = ""
        let deadline = ContinuousClock.now + .seconds(20)
        let handle = pipe.fileHandleForReading
        while ContinuousClock.now < deadline && !seen.contains("\"workflowCompleted\"") {
            let data = handle.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
        }
        process.terminate()
        try await running.stop()
        #expect(seen.contains("\"workflow\":\"during\""))
        #expect(seen.contains("\"workflowCompleted\""))
        #expect(!seen.contains("\"workflow\":\"before\""), "--from prints only the events from there on")
    }

    @Test func verifyPassesAHealthyLog() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let table = try cairn(["verify", log.directory])
        #expect(table.status == 0, "\(table.stdout)\(table.stderr)")
        #expect(table.stdout.contains("ok"))
        let json = try #require(try cairn(["verify", log.directory, "--json"]).json() as? [String: Any])
        #expect(json["ok"] as? Bool == true)
        #expect((json["problems"] as? [Any])?.isEmpty == true)
        #expect(json["workflows"] as? Int == log.workflowCount)
    }

    @Test(arguments: ["--help", "inspect --help", "list --help", "show --help", "tail --help", "verify --help", "export --help", "compact --help"])
    func helpHasExamples(_ arguments: String) throws {
        let result = try cairn(arguments.split(separator: " ").map(String.init))
        #expect(result.status == 0)
        #expect(result.stdout.contains("Examples"))
    }
}
