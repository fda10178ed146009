import ArgumentParser
import Cairn
import CairnAPI

/// `cairn send ID --url URL --message JSON`: sends a message to a workflow's inbox on a running engine.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a JSON message to a workflow on a running engine.",
        discussion: """
            The workflow receives it with `context.receive(_:topic:)` on the same topic, decoded as the type it \
            asks for. Sends with one --idempotency-key are delivered once, however often they are repeated.

            Examples:
              cairn send order-1042 --url http://127.0.0.1:8080 --topic pickup --message '"van-7"'
              cairn send order-1042 --url http://127.0.0.1:8080 --message '{"approved": true}' --idempotency-key approval-1042
            """)

    @Argument(help: "The workflow's ID.")
    var id: String

    @OptionGroup var remote: RemoteOptions

    @Option(help: "The message, as JSON (a string is quoted: '\"go\"').")
    var message: String

    @Option(help: "The topic (default: none, \"\").")
    var topic: String?

    @Option(help: "A key that makes repeated sends deliver once.")
    var idempotencyKey: String?

    func validate() throws {
        _ = try JSONArgument.parse(message, option: "--message")
    }

    /// `202 {"accepted": true}`.
    private struct Accepted: Codable {
        var accepted: Bool
    }

    func run() async throws {
        let endpoint = try remote.endpoint()
        try await reportingErrors(directory: endpoint.base) {
            let request = APISendRequest(
                message: try JSONArgument.parse(message, option: "--message"), topic: topic, idempotencyKey: idempotencyKey)
            let answer: Accepted = try await RemoteClient.with(endpoint) {
                try await $0.post(RemoteClient.workflowPath(id, "/messages"), body: request)
            }
            try remote.print(answer, "sent to \(id)" + (topic.map { " on topic '\($0)'" } ?? ""))
        }
    }
}
