/// One recorded event: an operation of a workflow, or a step in its lifecycle.
///
/// The fields are the same for every kind; which are set depends on the kind (see ``EventKind``). ``payload``
/// holds the user's value (an input, a step's output, a message) as bytes from the ``PayloadCodec``; it is never
/// decoded while the projection is rebuilt, only when a replay or a query needs the value.
public struct Event: Sendable, Hashable {
    /// What happened.
    public var kind: EventKind
    /// The workflow it belongs to.
    public var workflowID: String
    /// The operation's place in the workflow's history; nil for lifecycle events and sends from outside.
    public var position: Position?
    /// The operation's name: the step's name, the workflow's name, the message topic, the event key, the patch ID,
    /// or the kind of recorded value.
    public var name: String
    /// Where in the code the operation was called.
    public var callSite: CallSite?
    /// When it was recorded, in nanoseconds since 1970-01-01 UTC (from the engine's clock).
    public var time: Int64
    /// A digest of the operation's explicit input (step input, child input), compared in strict mode.
    public var digest: UInt64?
    /// The other workflow concerned: a message's destination, a child's ID, the owner of an event that was read,
    /// a fork's source, a started child's parent.
    public var target: String?
    /// A wall-clock time that matters later: a sleep's wake time, a receive's or event read's deadline, a
    /// workflow's deadline. Nanoseconds since 1970.
    public var deadline: Int64?
    /// A number: a received message's ID (the LSN of its send), the position a fork copied up to, a sleep's or
    /// timeout's duration in nanoseconds (for strict matching), a park's attempt count.
    public var number: UInt64?
    /// The Swift type name of a recorded error (step failed, workflow failed) or the reason of a park.
    public var errorType: String?
    /// For a child's start: the parent's position that started it.
    public var parentPosition: Position?
    /// The idempotency key of a send from outside the engine.
    public var idempotencyKey: String?
    /// Kind-specific flags (``Event/Flags``).
    public var flags: UInt8
    /// The user's value, encoded by the payload codec; empty when there is none.
    public var payload: [UInt8]

    /// Flag bits.
    public enum Flags {
        /// A receive or event read that timed out (no message, no value).
        public static let timedOut: UInt8 = 1
        /// A workflow parked because its code diverged from its history.
        public static let diverged: UInt8 = 2
        /// A workflow parked because its name is not registered in this process.
        public static let unknownWorkflow: UInt8 = 4
        /// A workflow parked because its recovery failed too often.
        public static let recoveryExhausted: UInt8 = 8
        /// A patch marker recorded as deprecated (``WorkflowContext/deprecatePatch(_:file:line:)``).
        public static let deprecated: UInt8 = 16
        /// An operation copied into a forked workflow's history from the workflow it was forked from
        /// (``WorkflowEngine/fork(_:before:newID:)``): replayed there, but its effect is not applied again — a
        /// copied send is not delivered a second time.
        public static let copied: UInt8 = 32
    }

    /// Creates an event.
    public init(
        kind: EventKind, workflowID: String, position: Position? = nil, name: String, callSite: CallSite? = nil,
        time: Int64, digest: UInt64? = nil, target: String? = nil, deadline: Int64? = nil, number: UInt64? = nil,
        errorType: String? = nil, parentPosition: Position? = nil, idempotencyKey: String? = nil, flags: UInt8 = 0,
        payload: [UInt8] = []
    ) {
        self.idempotencyKey = idempotencyKey
        self.kind = kind
        self.workflowID = workflowID
        self.position = position
        self.name = name
        self.callSite = callSite
        self.time = time
        self.digest = digest
        self.target = target
        self.deadline = deadline
        self.number = number
        self.errorType = errorType
        self.parentPosition = parentPosition
        self.flags = flags
        self.payload = payload
    }
}
