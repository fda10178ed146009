import Cairn
import CairnLog
import Foundation
import Testing

/// Text that drives a terminal when written raw: retitle the window (OSC 0), clear the screen, a C1 CSI, DEL, a
/// carriage return and a right-to-left override.
let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m\u{7F}\r\u{202E}"

/// A workflow whose name, step, topic, event key, payloads and error all carry ``hostile``.
struct Hostile: Workflow {
    static let name = "hostile\(hostile)"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        _ = try await context.step("step\(hostile)") { "result\(hostile)" }
        try await context.setEvent("key\(hostile)", "value\(hostile)")
        try await context.send("message\(hostile)", to: "elsewhere\(hostile)", topic: "topic\(hostile)")
        throw TestFailure(description: "error\(hostile)")
    }
}

@Suite("Terminal safety: what the log holds never reaches a terminal as control characters")
struct TerminalSafetyTests {
    static let id = "wf\(hostile)"

    /// A log holding one ``Hostile`` workflow, failed.
    func hostileLog() async throws -> String {
        let directory = temporaryDirectory()
        var configuration = EngineConfiguration()
        configuration.log.durability = .never
        configuration.log.preallocationStep = 0
        let engine = try await WorkflowEngine.open(directory: directory, configuration: configuration, workflows: [Hostile.self])
        let task = Task { try await engine.run() }
        let handle = try await engine.start(Hostile.self, input: "input\(hostile)", id: Self.id)
        _ = try? await handle.result()
        await engine.shutdown()
        try await task.value
        return directory
    }

    /// The raw bytes a terminal acts on: C0 controls but newline (and tab), DEL, C1 controls (UTF-8 C2 80–9F), and
    /// the bidirectional override.
    func controls(in text: String) -> [String] {
        var found: [String] = []
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if (v < 0x20 && v != 0x0A && v != 0x09) || (0x7F...0x9F).contains(v) || v == 0x202E {
                found.append("U+" + String(v, radix: 16, uppercase: true))
            }
        }
        return found
    }

    static let commands: [[String]] = [
        ["list"], ["list", "--status", "failed"], ["show", id], ["show", id, "--width", "0"], ["tail"], ["tail", "-n", "50"],
        ["inspect"], ["verify"],
    ]

    @Test("text output escapes control characters visibly", arguments: commands)
    func textOutput(_ command: [String]) async throws {
        let directory = try await hostileLog()
        defer { removeDirectory(directory) }
        var arguments = command
        arguments.insert(directory, at: 1)
        let result = try cairn(arguments)
        #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
        #expect(controls(in: result.stdout).isEmpty, "raw controls on stdout: \(controls(in: result.stdout))")
        #expect(controls(in: result.stderr).isEmpty, "raw controls on stderr: \(controls(in: result.stderr))")
        if command.first != "inspect" && command.first != "verify" {
            // Shown, not hidden: the ID (or name, step, error) is there with visible escapes.
            #expect(result.stdout.contains("\\u{1B}]0;pwned\\u{7}\\u{1B}[2J"), "\(result.stdout)")
        }
    }

    @Test("JSON output escapes them as JSON escapes and keeps the values intact", arguments: [["list", "--json"], ["show", id, "--json"], ["tail", "--json"], ["export"]])
    func jsonOutput(_ command: [String]) async throws {
        let directory = try await hostileLog()
        defer { removeDirectory(directory) }
        var arguments = command
        arguments.insert(directory, at: 1)
        let result = try cairn(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(controls(in: result.stdout).isEmpty, "raw controls in JSON: \(controls(in: result.stdout))")
        // Parsed back, the values are exactly what was recorded.
        switch command.first {
        case "list":
            let rows = try #require(try result.json() as? [[String: Any]])
            #expect(rows.compactMap { $0["id"] as? String } == [Self.id])
        case "show":
            let object = try #require(try result.json() as? [String: Any])
            #expect((object["workflow"] as? [String: Any])?["id"] as? String == Self.id)
        default:
            let workflows = Set(try result.jsonLines().compactMap { $0["workflow"] as? String })
            #expect(workflows.contains(Self.id))
        }
        #expect(result.stdout.contains("\\u009b31m\\u007f"), "C1 and DEL escaped too")
    }

    @Test("on a terminal, colour stays and the log's escape sequences do not")
    func onATerminalColourOnly() async throws {
        let directory = try await hostileLog()
        defer { removeDirectory(directory) }
        for command in [["list", directory], ["show", directory, Self.id], ["tail", directory]] {
            let output = try onATerminal(command, environment: [:])
            #expect(output.contains("\u{1B}[1m"), "colour is on")
            #expect(!output.contains("\u{1B}]") && !output.contains("\u{1B}[2J") && !output.contains("\u{07}"), "\(command)")
            #expect(output.contains("\\u{1B}]0;pwned\\u{7}"), "\(command): \(output)")
        }
    }
}
