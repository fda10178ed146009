public import CairnLog

/// An error from the engine: what happened, to which workflow, at which position or LSN, and what to do.
///
/// Like ``CairnLog/LogError``, a struct with an extensible ``Code``; switch on the code with a `default`.
public struct WorkflowError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// No workflow with this name is registered in this process.
        public static let unknownWorkflow = Code("unknownWorkflow")
        /// No workflow with this ID exists.
        public static let notFound = Code("notFound")
        /// The ID is already taken by a workflow of another name; or, at open, a workflow name (or a
        /// ``DurableError/errorType``) by two types.
        public static let idConflict = Code("idConflict")
        /// A payload (input, output, message) could not be encoded or decoded.
        public static let undecodablePayload = Code("undecodablePayload")
        /// An event envelope in the log could not be decoded.
        public static let undecodableEvent = Code("undecodableEvent")
        /// A payload exceeds ``EngineConfiguration/maxPayloadSize``; nothing was written.
        public static let payloadTooLarge = Code("payloadTooLarge")
        /// The workflow's code no longer matches its recorded history (see ``DeterminismError``).
        public static let diverged = Code("diverged")
        /// The workflow was cancelled.
        public static let cancelled = Code("cancelled")
        /// The workflow is parked (diverged, unknown name, or recovery failed too often) until resumed.
        public static let parked = Code("parked")
        /// The workflow finished with an error.
        public static let failed = Code("failed")
        /// A workflow operation was called where it cannot be recorded: inside a step's body, from a task the
        /// workflow spawned itself (rather than a branch of ``WorkflowContext/parallel(_:file:line:_:)``),
        /// concurrently on one context, or after the workflow returned.
        public static let misuse = Code("misuse")
        /// The workflow was evicted from memory while every task of it waited durably
        /// (``EngineConfiguration/maxCachedWorkflows``): its waits end with this error, and the engine resumes it by
        /// replay when a wait's wake-up comes. Code that catches errors around a wait must rethrow it.
        public static let evicted = Code("evicted")
        /// The consumer of a change sequence (``WorkflowEngine/changes(name:id:)``, ``WorkflowHandle/updates()``)
        /// or of a stream (``WorkflowEngine/readStream(_:of:key:from:)``) fell
        /// ``EngineConfiguration/maxBufferedChanges`` behind and was unsubscribed: read the state again and subscribe
        /// again, or read the stream again from the index the error names.
        public static let fellBehind = Code("fellBehind")
        /// A workflow wrote to a stream it had closed (``WorkflowContext/writeStream(_:_:file:line:)``); nothing
        /// was written.
        public static let streamClosed = Code("streamClosed")
        /// The engine is shutting down or stopped: no new work is accepted.
        public static let shuttingDown = Code("shuttingDown")
        /// A management call that does not apply to the workflow's state (resume a finished workflow, …).
        public static let invalidState = Code("invalidState")
        /// The log failed underneath (see ``WorkflowError/underlying``).
        public static let logFailure = Code("logFailure")
        /// A step exhausted its retries or timed out (see ``StepFailure``).
        public static let stepFailed = Code("stepFailed")
        /// Workflow code asked for a dependency (``WorkflowContext/dependency(_:file:line:)``) the engine was not
        /// given; the workflow is parked until a process that provides it resumes it.
        public static let missingDependency = Code("missingDependency")
        /// The workflow's deadline passed (``StartOptions/timeout``): it and its descendants were cancelled. A
        /// resume clears the deadline and goes on.
        public static let timedOut = Code("timedOut")
        /// A start named a queue the engine does not declare (``EngineConfiguration/queues``); nothing was written.
        public static let unknownQueue = Code("unknownQueue")
        /// A start's ``StartOptions/deduplicationID`` is held by another workflow of its queue, queued or running
        /// (``DeduplicationPolicy/reject``); nothing was written.
        public static let duplicate = Code("duplicate")
        /// A setting or argument is out of range or inconsistent (``EngineConfiguration``); nothing was written.
        public static let invalidArgument = Code("invalidArgument")
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened and what to do.
    public var message: String
    /// The workflow concerned.
    public var workflowID: String?
    /// The position in its history concerned.
    public var position: Position?
    /// The log record concerned.
    public var lsn: LSN?
    /// The error underneath, if any (a ``LogError``, a ``DeterminismError``, a decoding error).
    public var underlying: (any Error & Sendable)?
    /// Where in Cairn the error was raised.
    public var location: String

    /// Creates an error; the engine raises these, users match on ``code``.
    public init(
        _ code: Code, _ message: String, workflowID: String? = nil, position: Position? = nil, lsn: LSN? = nil,
        underlying: (any Error & Sendable)? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.workflowID = workflowID
        self.position = position
        self.lsn = lsn
        self.underlying = underlying
        self.location = "\(file):\(line)"
    }

    public var description: String {
        var parts = ["\(code): \(message)"]
        if let workflowID { parts.append("workflow: \(workflowID)") }
        if let position { parts.append("position: \(position)") }
        if let lsn { parts.append("lsn: \(lsn)") }
        if let underlying, !(underlying is DeterminismError) { parts.append("cause: \(underlying)") }
        return parts.joined(separator: "; ")
    }
}

/// The error a step's caller sees when the step failed for good: after its last retry, or on replay of a recorded
/// failure. Live and on replay it is the same type with the same fields, so workflow code that catches it behaves
/// the same both times.
public struct StepFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The step's name.
    public var step: String
    /// The Swift type name of the error the step's body threw (`"TimeoutError"` for a timeout); a
    /// ``DurableError``'s ``DurableError/errorType`` when its type is not registered (a registered one is thrown as
    /// itself).
    public var errorType: String
    /// The error's description.
    public var message: String

    /// Creates a step failure.
    public init(step: String, errorType: String, message: String) {
        self.step = step
        self.errorType = errorType
        self.message = message
    }

    public var description: String { "step '\(step)' failed: \(errorType): \(message)" }
}

/// The error a workflow's result carries when its body threw: the type name and description of what it threw,
/// as recorded.
///
/// ``WorkflowHandle/result()`` and ``ChildWorkflow/result(file:line:)`` throw it for an error of any type but a
/// registered ``DurableError``, which they throw as itself; a summary's ``WorkflowSummary/failure`` is always one.
public struct WorkflowFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The Swift type name of the error; a ``DurableError``'s ``DurableError/errorType``.
    public var errorType: String
    /// The error's description.
    public var message: String
    /// A ``DurableError``'s value, as the payload codec encoded it; nil for an error of another type.
    package var value: [UInt8]?

    /// Creates a workflow failure.
    public init(errorType: String, message: String) {
        self.errorType = errorType
        self.message = message
    }

    public var description: String { "\(errorType): \(message)" }
}
