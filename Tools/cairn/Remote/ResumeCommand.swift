import ArgumentParser
import Cairn
import CairnAPI

/// `cairn resume ID --url URL`: resumes a cancelled, diverged or parked workflow on a running engine.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a cancelled, diverged or parked workflow on a running engine.",
        discussion: """
            It goes on from its history by replay. Any other status is refused.

            Example:
              cairn resume order-1042 --url http://127.0.0.1:8080
            """)

    @Argument(help: "The workflow's ID.")
    var id: String

    @OptionGroup var remote: RemoteOptions

    /// The resume request's body: `{}`.
    private struct Empty: Encodable {}

    func run() async throws {
        let endpoint = try remote.endpoint()
        try await reportingErrors(directory: endpoint.base) {
            let workflow: APIWorkflow = try await RemoteClient.with(endpoint) {
                try await $0.post(RemoteClient.workflowPath(id, "/resume"), body: Empty())
            }
            try remote.print(workflow, "resumed \(workflow.id) (\(workflow.name)): \(workflow.status.rawValue)")
        }
    }
}
