public import Logging

/// How ``CairnHTTPServer`` serves: where it listens, who may use it, what it shows of payloads, what it accepts.
public struct CairnHTTPConfiguration: Sendable {
    /// The address to bind: loopback by default, reachable from this machine only. Any other address needs a
    /// ``token``.
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one (``CairnHTTPServer/port`` says which once it runs).
    public var port = 8080
    /// The secret every request must carry when set (`Authorization: Bearer TOKEN`, or the dashboard's cookie after
    /// signing in at `/login`). Required to bind anywhere but loopback. Never logged.
    public var token: String?
    /// The largest request body accepted, in bytes (a larger one gets 413 and writes nothing). By default the
    /// engine's ``Cairn/EngineConfiguration/maxPayloadSize`` plus 64 KiB for the JSON around it.
    public var maxRequestBodySize: Int?
    /// Decides what the API and the dashboard show of each payload: the bytes to show (the recorded ones, or a
    /// masked copy), or nil to withhold it (shown as redacted, with its size). Nil shows every payload.
    public var redact: (@Sendable (PayloadOrigin, [UInt8]) -> [UInt8]?)?
    /// The server's logger (requests at debug level; never a token or a payload).
    public var logger = Logger(label: "cairn.http")

    /// The defaults: 127.0.0.1:8080, no token, every payload shown.
    public init() {}

    /// Whether `host` is a loopback address (IPv4 127/8, `::1`, `localhost`).
    var bindsLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// Where a payload comes from, for ``CairnHTTPConfiguration/redact``.
public struct PayloadOrigin: Sendable, Hashable {
    /// What the payload is: wherever a workflow's input, result or event value appears (its summary, or the
    /// history event that recorded it), it has that role.
    public enum Role: String, Sendable, Hashable {
        /// A workflow's input.
        case input
        /// A workflow's result.
        case output
        /// An event value a workflow set (its key is ``PayloadOrigin/name``).
        case eventValue
        /// The payload of a history event (a step's outcome, a message, …; its kind is ``PayloadOrigin/eventKind``).
        case historyEvent
    }

    /// What the payload is.
    public var role: Role
    /// The workflow it belongs to.
    public var workflowID: String
    /// The workflow's registered name, when known.
    public var workflowName: String?
    /// The step, topic or key the payload belongs to ("" for an input or a result).
    public var name: String
    /// The kind of the history event that carries the payload (`workflowStarted`, `stepCompleted`, `messageSent`,
    /// …); nil in a workflow's summary.
    public var eventKind: String?

    /// An origin (the server makes these; tests may too).
    public init(role: Role, workflowID: String, workflowName: String?, name: String, eventKind: String? = nil) {
        self.role = role
        self.workflowID = workflowID
        self.workflowName = workflowName
        self.name = name
        self.eventKind = eventKind
    }
}
