import ArgumentParser
import Cairn
import CairnAPI

/// `cairn start NAME --url URL`: starts a workflow on a running engine by its registered name.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a workflow on a running engine, by its registered name, with a JSON input.",
        discussion: """
            The input is checked as JSON before anything is sent; the engine decodes it as the workflow's input \
            type and refuses (nothing started) when it does not fit. Starting an ID that exists starts nothing \
            and says so.

            Examples:
              cairn start process-order --url http://127.0.0.1:8080 --input '{"item": "kettle", "quantity": 1}'
              cairn start process-order --url http://127.0.0.1:8080 --input-file order.json --id order-1042
            """)

    @Argument(help: "The workflow's registered name.")
    var name: String

    @OptionGroup var remote: RemoteOptions

    @Option(help: "The input, as JSON (default: null).")
    var input: String?

    @Option(help: "Read the input, as JSON, from this file ('-': standard input).")
    var inputFile: String?

    @Option(help: "The workflow's ID (default: a random UUID the engine picks).")
    var id: String?

    func validate() throws {
        if input != nil && inputFile != nil { throw ValidationError("give --input or --input-file, not both") }
        if let input { _ = try JSONArgument.parse(input, option: "--input") }
        if let id, id.isEmpty { throw ValidationError("--id is empty") }
    }

    func run() async throws {
        let endpoint = try remote.endpoint()
        try await reportingErrors(directory: endpoint.base) {
            let value: JSONValue =
                if let input { try JSONArgument.parse(input, option: "--input") }
                else if let inputFile { try await JSONArgument.read(file: inputFile, option: "--input-file") }
                else { .null }
            let request = APIStartRequest(name: name, input: value, id: id)
            let answer: APIStartResponse = try await RemoteClient.with(endpoint) { try await $0.post("/api/v1/workflows", body: request) }
            let workflow = answer.workflow
            try remote.print(
                answer,
                answer.created
                    ? "started \(workflow.id) (\(workflow.name)): \(workflow.status.rawValue)"
                    : "\(workflow.id) exists (\(workflow.name), \(workflow.status.rawValue)): nothing started")
        }
    }
}
