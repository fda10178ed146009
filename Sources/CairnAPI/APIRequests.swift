public import Cairn

/// `POST /api/v1/workflows`: start the workflow registered as `name` with `input` (idempotent by `id`).
public struct APIStartRequest: Codable, Sendable, Hashable {
    /// The registered workflow name.
    public var name: String
    /// Its input, as JSON of the workflow's input type.
    public var input: JSONValue
    /// The workflow's ID; a random UUID when absent. Starting an ID that exists starts nothing.
    public var id: String?

    /// A start of `name` with `input`.
    public init(name: String, input: JSONValue, id: String? = nil) {
        self.name = name
        self.input = input
        self.id = id
    }
}

/// The answer to a start: the workflow, and whether this request started it (false: the ID existed).
public struct APIStartResponse: Codable, Sendable, Hashable {
    /// The workflow with this ID.
    public var workflow: APIWorkflow
    /// True when this request started it.
    public var created: Bool

    /// The answer for `workflow`.
    public init(workflow: APIWorkflow, created: Bool) {
        self.workflow = workflow
        self.created = created
    }
}

/// `POST /api/v1/workflows/{id}/messages`: send `message` to the workflow's inbox on `topic`.
public struct APISendRequest: Codable, Sendable, Hashable {
    /// The message, any JSON; the receiver decodes it as its own type.
    public var message: JSONValue
    /// The topic ("" when absent).
    public var topic: String?
    /// Sends with one key are delivered once.
    public var idempotencyKey: String?

    /// A message on `topic`.
    public init(message: JSONValue, topic: String? = nil, idempotencyKey: String? = nil) {
        self.message = message
        self.topic = topic
        self.idempotencyKey = idempotencyKey
    }
}

/// `POST /api/v1/workflows/{id}/cancel`.
public struct APICancelRequest: Codable, Sendable, Hashable {
    /// Cancel its children too (true when absent).
    public var includingChildren: Bool?

    /// A cancellation.
    public init(includingChildren: Bool? = nil) { self.includingChildren = includingChildren }
}

/// `POST /api/v1/workflows/{id}/fork`: a new workflow with the same input, replaying the history before `before`.
public struct APIForkRequest: Codable, Sendable, Hashable {
    /// The first top-level position the fork runs live: it replays the source's operations at positions before it
    /// (0: replays nothing, runs the whole workflow again).
    public var before: UInt32
    /// The new workflow's ID; a random UUID when absent.
    public var newID: String?

    /// A fork replaying the positions before `before`.
    public init(before: UInt32, newID: String? = nil) {
        self.before = before
        self.newID = newID
    }
}

/// The answer to a fork: the new workflow.
public struct APIForkResponse: Codable, Sendable, Hashable {
    /// The new workflow's ID.
    public var id: String
    /// The new workflow, when the engine already knows it.
    public var workflow: APIWorkflow?

    /// The answer for the fork `id`.
    public init(id: String, workflow: APIWorkflow?) {
        self.id = id
        self.workflow = workflow
    }
}

/// Every error the API answers: a 4xx or 5xx status with `{"error": {"code", "message", "workflowID"}}`.
public struct APIErrorBody: Codable, Sendable, Hashable, Error, CustomStringConvertible {
    /// The error itself.
    public struct Detail: Codable, Sendable, Hashable {
        /// A stable code: `not_found`, `unknown_workflow`, `invalid_argument`, `invalid_json`, `id_conflict`,
        /// `invalid_state`, `payload_too_large`, `unauthorized`, `forbidden`, `shutting_down`, … .
        public var code: String
        /// What happened and what to do.
        public var message: String
        /// The workflow it concerns, if one.
        public var workflowID: String?

        /// An error with `code` and `message`.
        public init(code: String, message: String, workflowID: String? = nil) {
            self.code = code
            self.message = message
            self.workflowID = workflowID
        }
    }

    /// The error.
    public var error: Detail

    /// An error with `code` and `message`.
    public init(code: String, message: String, workflowID: String? = nil) {
        error = Detail(code: code, message: message, workflowID: workflowID)
    }

    public var description: String { "\(error.code): \(error.message)" }
}
