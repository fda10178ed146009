import Cairn

// The workflows the model-based simulation drives. Their history shape is what the model predicts: a receiver
// records three operations per message (receive, step, setEvent) at positions 3i, 3i + 1, 3i + 2 (and, while it
// waits for message i, the receive's wait at 3i).

/// The text of simulated message `name` ("m17"): the name, a bar, then padding, so that a few hundred messages
/// fill a 64 KiB segment and compaction has sealed segments to rewrite.
func simMessage(_ name: String) -> String {
    name + "|" + String(repeating: "p", count: 160)
}

/// The name of a simulated message (what precedes the bar).
func simName(_ message: String) -> String {
    String(message.prefix { $0 != "|" })
}

/// Receives `n` messages on `topic`, one at a time: each goes through a step (whose body counts its runs in the
/// episode's probe under "ID i") and is published as event "got-i". Returns the messages in the order received.
struct SimReceiver: Workflow {
    static let name = "sim-receiver"

    struct Input: Codable, Sendable {
        var probe: String
        var n: Int
        var topic: String
    }

    static func run(_ context: WorkflowContext, input: Input) async throws -> [String] {
        let id = context.workflowID
        var got: [String] = []
        for i in 0..<input.n {
            let message = try await context.receive(String.self, topic: input.topic) ?? "<timed out>"
            let taken = try await context.step("take-\(i)") {
                Probe.get(input.probe).hit("\(id) \(i)")
                return message
            }
            try await context.setEvent("got-\(i)", taken)
            got.append(taken)
        }
        return got
    }
}

/// Reads event `key` of `target` once, without waiting; returns its value or "<none>".
struct SimReader: Workflow {
    static let name = "sim-reader"

    struct Input: Codable, Sendable {
        var target: String
        var key: String
    }

    static func run(_ context: WorkflowContext, input: Input) async throws -> String {
        try await context.event(String.self, key: input.key, of: input.target) ?? "<none>"
    }
}
