import CairnAPI

extension CLIError {
    /// An error the API answered, as its message, with the exit status of its code.
    /// - Parameter tokenSent: whether the request carried a token (an `unauthorized` answer then says it was
    ///   refused, not missing).
    init(api error: APIErrorBody, tokenSent: Bool = false) {
        var message = Format.oneLine(error.error.message)
        // Some engine messages say "this ID" without it; the error names the workflow beside the message.
        if let id = error.error.workflowID, !message.contains(id) { message += " (workflow '\(id)')" }
        switch error.error.code {
        case "not_found", "unknown_workflow":
            self.init(message, status: ExitStatus.notFound)
        case "unauthorized":
            self.init(tokenSent ? "the token given was refused: \(message)" : message, status: ExitStatus.denied)
        case "forbidden":
            self.init(message, status: ExitStatus.denied)
        default:
            self.init(message, status: ExitStatus.failure)
        }
    }
}
