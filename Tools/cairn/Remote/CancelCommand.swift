import ArgumentParser
import Cairn
import CairnAPI

/// `cairn cancel ID --url URL`: cancels a workflow on a running engine.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a workflow on a running engine (and its children, unless --keep-children).",
        discussion: """
            A cancelled workflow stops at its next operation and can be resumed (cairn resume). Cancelling a \
            finished workflow changes nothing for it (its unfinished children are still cancelled).

            Examples:
              cairn cancel order-1042 --url http://127.0.0.1:8080
              cairn cancel order-1042 --url http://127.0.0.1:8080 --keep-children
            """)

    @Argument(help: "The workflow's ID.")
    var id: String

    @OptionGroup var remote: RemoteOptions

    @Flag(help: "Leave the workflows it started as children running.")
    var keepChildren = false

    func run() async throws {
        let endpoint = try remote.endpoint()
        try await reportingErrors(directory: endpoint.base) {
            let request = APICancelRequest(includingChildren: !keepChildren)
            let workflow: APIWorkflow = try await RemoteClient.with(endpoint) {
                try await $0.post(RemoteClient.workflowPath(id, "/cancel"), body: request)
            }
            let line =
                switch workflow.status {
                case .cancelled: "cancelled \(workflow.id) (\(workflow.name))"
                case .completed, .failed: "\(workflow.id) (\(workflow.name)) had already finished: \(workflow.status.rawValue)"
                default: "\(workflow.id) (\(workflow.name)): \(workflow.status.rawValue)"
                }
            try remote.print(workflow, line)
        }
    }
}
