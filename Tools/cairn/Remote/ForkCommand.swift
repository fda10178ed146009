import ArgumentParser
import Cairn
import CairnAPI

/// `cairn fork ID --url URL --before N`: a new workflow that replays another's history before a position.
struct ForkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fork",
        abstract: "Fork a workflow on a running engine: a new one with its input, replaying its history before a position.",
        discussion: """
            The new workflow replays the recorded results of the top-level operations before --before and runs \
            live from there (--before 1 runs everything again). Positions are the POS column of cairn show.

            Example:
              cairn fork order-1042 --url http://127.0.0.1:8080 --before 3 --new-id order-1042-retry
            """)

    @Argument(help: "The workflow's ID.")
    var id: String

    @OptionGroup var remote: RemoteOptions

    @Option(help: "The first top-level position the fork runs live.")
    var before: UInt32

    @Option(name: .customLong("new-id"), help: "The new workflow's ID (default: a random UUID the engine picks).")
    var newID: String?

    func validate() throws {
        if let newID, newID.isEmpty { throw ValidationError("--new-id is empty") }
    }

    func run() async throws {
        let endpoint = try remote.endpoint()
        try await reportingErrors(directory: endpoint.base) {
            let request = APIForkRequest(before: before, newID: newID)
            let answer: APIForkResponse = try await RemoteClient.with(endpoint) {
                try await $0.post(RemoteClient.workflowPath(id, "/fork"), body: request)
            }
            try remote.print(
                answer, "forked \(id) as \(answer.id)" + (answer.workflow.map { ": \($0.status.rawValue)" } ?? ""))
        }
    }
}
