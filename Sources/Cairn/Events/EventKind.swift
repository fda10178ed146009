/// Every kind of event the engine writes, one per operation; its raw value is the log record's tag.
///
/// Each kind is declared once, in `declaration` below (see `EventKind.Declaration` and <doc:EventKinds>): its
/// names, the envelope fields it carries and what they mean, what replay matches it with, what its payload holds
/// and how the CLI shows it. How the projection applies it is the projection's.
public enum EventKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// A workflow was started: its name, input and (for a child) parent.
    case workflowStarted = 1
    /// A step returned: its output.
    case stepCompleted = 2
    /// A step failed after its last attempt: the error's type and message.
    case stepFailed = 3
    /// A durable sleep began: its wake time.
    case sleepStarted = 4
    /// A message was sent, from a workflow or from outside: destination, topic, payload.
    case messageSent = 5
    /// A receive ended: the message taken (by the LSN of its send), or a timeout.
    case messageReceived = 6
    /// A receive began to wait: its deadline.
    case receiveStarted = 7
    /// A workflow set an event: key and value.
    case eventSet = 8
    /// A workflow read another's event: the value, or a timeout.
    case eventRead = 9
    /// A workflow started a child: the child's ID.
    case childStarted = 10
    /// A child's result was taken: its output or error.
    case childCompleted = 11
    /// A recorded value: `now()`, `uuid()`, `random` or `record`.
    case valueRecorded = 12
    /// A patch marker (`patched`, `deprecatePatch`).
    case patchMarker = 13
    /// A workflow returned: its output.
    case workflowCompleted = 14
    /// A workflow's body threw: the error's type and message.
    case workflowFailed = 15
    /// A workflow was cancelled.
    case workflowCancelled = 16
    /// A cancelled, diverged or parked workflow was resumed.
    case workflowResumed = 17
    /// A workflow was forked from another: the source and the position copied up to.
    case workflowForked = 18
    /// A workflow was parked: diverged, unknown here, or out of recovery attempts; the reason.
    case workflowParked = 19
    /// A parallel call began (its branches number their operations under its position).
    case branchStarted = 20
    /// A workflow's recovery began (counted to park one whose recovery keeps crashing).
    case recoveryAttempted = 21
    /// The engine stopped cleanly (recovery attempt counts start afresh).
    case engineStopped = 22
    /// The compact record that stands for a finished workflow after compaction dropped its history: name, status,
    /// start and finish times, result or error, input, and its events' latest values (see ``WorkflowSummaryRecord``).
    case workflowSummary = 23
    /// A child's result was awaited before the child finished: the parent waits, running no code, until it does.
    case childWaitStarted = 24
    /// A step's attempt failed and the step will be tried again: the failed attempt, its error's type and message,
    /// and when the next attempt runs. The workflow waits durably until then, running no code.
    case retryWaitStarted = 25
    /// A workflow wrote a value to one of its streams: key and value.
    case streamWritten = 26
    /// A workflow closed one of its streams: its key.
    case streamClosed = 27
    /// A workflow started with ``StartOptions`` waits for its queue (a slot, its rate limit, its not-before time):
    /// the queue, priority, partition key, deduplication ID and not-before time. Written with its start.
    case workflowEnqueued = 28
    /// A queue let an enqueued workflow start: it is pending from now on and holds a slot of its queue until it
    /// settles.
    case workflowDequeued = 29
    /// A schedule was added, replaced, paused, resumed or removed: its whole definition (see <doc:Schedules>).
    case scheduleChanged = 30
    /// A schedule's tick fired: the tick's time and the workflow it started (written with that workflow's start).
    case scheduleTicked = 31
    /// A debounced start was asked for: the workflow it will start, its key, when it fires and the latest input.
    case debounceRequested = 32
    /// The engine declared a queue with these limits (written at ``WorkflowEngine/run()`` when they differ from the
    /// ones recorded last): what `cairn inspect` shows as the queue's limits.
    case queueDeclared = 33
    /// A workflow resumed after an unclean stop reached a wait (every task of it waiting): its recovery succeeded,
    /// and its recovery attempts count from zero again (see ``EngineConfiguration/maxRecoveryAttempts``).
    case recoverySucceeded = 34

    /// The name shown by the CLI and in determinism reports.
    public var displayName: String { declaration.displayName }

    public var description: String { displayName }

    /// Whether this event is an operation of the workflow's code, at a position in its history (as opposed to a
    /// lifecycle event written by the engine). A send from outside the engine is an operation kind without a
    /// position.
    public var isOperation: Bool { declaration.role == .operation }

    // MARK: Declarations

    /// This kind's declaration (see ``Declaration``).
    package var declaration: Declaration { Self.declarations[Int(rawValue) - 1] }

    /// Every kind's declaration, by raw value (they run from 1 without gaps), made once.
    private static let declarations: [Declaration] = allCases.map(\.declare)

    /// Each kind's declaration, one entry per kind: everything about the kind but the projection's state change.
    /// A new kind gets its entry here (and its tests: see the "Adding an event kind" article).
    fileprivate var declare: Declaration {
        switch self {
        case .workflowStarted:
            .lifecycle(
                "workflowStarted", "workflow started", name: "the workflow's registered name",
                fields: [
                    .optional(.target, "a child's parent workflow"),
                    .optional(.parentPosition, "a child's start: the parent's position that started it"),
                    .optional(.traceContext, "the trace context of the code that started it, which its runs' spans continue"),
                    .optional(.deadline, "its deadline (``StartOptions/timeout``, or its parent's): when it passes, the workflow and its descendants are cancelled"),
                ],
                payload: .value("the workflow's input"), tone: .lifecycle)
        case .stepCompleted:
            .operation(
                "stepCompleted", "step completed", name: "the step's name", replay: .step,
                fields: [.optional(.digest, "the step's explicit input, compared in strict mode")],
                payload: .value("the step's output"))
        case .stepFailed:
            .operation(
                "stepFailed", "step failed", name: "the step's name", replay: .step,
                fields: [
                    .optional(.digest, "the step's explicit input, compared in strict mode"),
                    .required(.errorType, "the Swift type of the error the last attempt threw (a durable error's errorType)"),
                ],
                flags: .encodedError, payload: .text("the error's message (framed with a durable error's value)"),
                tone: .failure)
        case .sleepStarted:
            .operation(
                "sleepStarted", "sleep", name: "\"sleep\"", replay: .sleep, numberIsDuration: true,
                fields: [
                    .required(.deadline, "the wake time"),
                    .required(.number, "the duration in nanoseconds, compared in strict mode"),
                ],
                payload: .none)
        case .messageSent:
            .operation(
                "messageSent", "send", name: "the topic", replay: .send, targetIsDestination: true,
                optionalPosition: true,
                fields: [
                    .required(.target, "the destination workflow"),
                    .optional(.idempotencyKey, "a send from outside the engine: the key that makes it happen once"),
                ],
                payload: .value("the message"))
        case .messageReceived:
            .operation(
                "messageReceived", "receive", name: "the topic", replay: .receive,
                fields: [.optional(.number, "the message taken: the LSN of its send (absent when timed out)")],
                flags: .timedOut, payload: .value("the message (empty when timed out)"))
        case .receiveStarted:
            .operation(
                "receiveStarted", "receive waiting", name: "the topic, or the key of a read event", replay: .receive,
                withTarget: .readEvent, numberIsDuration: true, beginsWait: true,
                fields: [
                    .optional(.target, "an event read's owner (a receive has none)"),
                    .optional(.deadline, "when the wait times out"),
                    .optional(.number, "the timeout in nanoseconds, compared in strict mode"),
                ],
                payload: .none)
        case .eventSet:
            .operation("eventSet", "set event", name: "the key", replay: .setEvent, payload: .value("the value"))
        case .eventRead:
            .operation(
                "eventRead", "read event", name: "the key", replay: .readEvent, targetIsDestination: true,
                fields: [.required(.target, "the workflow whose event was read")],
                flags: .timedOut, payload: .value("the value (empty when timed out)"))
        case .childStarted:
            .operation(
                "childStarted", "child started", name: "the child's workflow name", replay: .startChild,
                fields: [
                    .optional(.digest, "the child's input, compared in strict mode"),
                    .required(.target, "the child's ID"),
                ],
                payload: .none)
        case .childCompleted:
            .operation(
                "childCompleted", "child result", name: "the child's ID", replay: .childResult,
                fields: [
                    .required(.target, "the child's ID"),
                    .optional(.errorType, "a failed child: its error's Swift type (a durable error's errorType)"),
                ],
                flags: .encodedError,
                payload: .valueOrErrorText("the child's output, or its error's message (framed with a durable error's value)"))
        case .childWaitStarted:
            .operation(
                "childWaitStarted", "child waiting", name: "the child's ID", replay: .childResult, beginsWait: true,
                fields: [.required(.target, "the child's ID")], payload: .none)
        case .retryWaitStarted:
            .operation(
                "retryWaitStarted", "retrying", name: "the step's name", replay: .step, beginsWait: true,
                fields: [
                    .optional(.digest, "the step's explicit input, compared in strict mode"),
                    .required(.deadline, "when the next attempt runs (the backoff, jitter included, drawn once)"),
                    .required(
                        .number,
                        "the attempt that failed (1-based) in the low 32 bits; the retry policy's maxAttempts in the high 32 bits (0: not recorded)"),
                    .required(.errorType, "the Swift type of the error the failed attempt threw (a durable error's errorType)"),
                ],
                payload: .text("the error's message, cut like a step failure's"))
        case .valueRecorded:
            .operation(
                "valueRecorded", "recorded value", name: "what was recorded (now, uuid, random, a record's name)",
                replay: .recordValue, payload: .value("the value"))
        case .patchMarker:
            .operation(
                "patchMarker", "patch", name: "the patch ID", replay: .patch, flags: .deprecated, payload: .none)
        case .workflowCompleted:
            .lifecycle(
                "workflowCompleted", "workflow completed", name: "the workflow's name",
                payload: .value("the workflow's output"), tone: .success)
        case .workflowFailed:
            .lifecycle(
                "workflowFailed", "workflow failed", name: "the workflow's name",
                fields: [.required(.errorType, "the Swift type of the error its body threw (a durable error's errorType)")],
                flags: .encodedError, payload: .text("the error's message (framed with a durable error's value)"),
                tone: .failure)
        case .workflowCancelled:
            .lifecycle(
                "workflowCancelled", "workflow cancelled", name: "the workflow's name",
                flags: .timedOut)
        case .workflowResumed:
            .lifecycle("workflowResumed", "workflow resumed", name: "the workflow's name")
        case .workflowForked:
            .lifecycle(
                "workflowForked", "workflow forked", name: "the workflow's name",
                fields: [
                    .required(.target, "the workflow it was forked from"),
                    .required(.number, "the top-level position its copied history ends before"),
                ])
        case .workflowParked:
            .lifecycle(
                "workflowParked", "workflow parked", name: "the workflow's name",
                fields: [.optional(.number, "out of recovery attempts: how many were made")],
                flags: [.diverged, .unknownWorkflow, .recoveryExhausted], payload: .text("why it was parked"),
                tone: .attention)
        case .branchStarted:
            .operation("branchStarted", "branch", name: "the parallel call's label", replay: .parallel, payload: .none)
        case .recoveryAttempted:
            .lifecycle("recoveryAttempted", "recovery attempt", name: "the workflow's name")
        case .recoverySucceeded:
            .lifecycle("recoverySucceeded", "recovery succeeded", name: "the workflow's name")
        case .engineStopped:
            .lifecycle("engineStopped", "engine stopped", name: "empty (the workflow ID is empty too)")
        case .workflowSummary:
            .lifecycle(
                "workflowSummary", "workflow summary", name: "the workflow's name",
                fields: [
                    .optional(.target, "a child's parent workflow"),
                    .required(.number, "the start time (ns since 1970, as its bit pattern); `time` is the finish"),
                    .optional(.errorType, "a failed workflow: its error's Swift type (a durable error's errorType)"),
                    .optional(.parentPosition, "a child: the parent's position that started it"),
                ],
                flags: .encodedError, payload: .summary, tone: .lifecycle)
        case .streamWritten:
            .operation(
                "streamWritten", "stream write", name: "the stream's key", replay: .writeStream,
                keptWithSummary: true, payload: .value("the value"))
        case .streamClosed:
            .operation(
                "streamClosed", "stream closed", name: "the stream's key", replay: .closeStream, keptWithSummary: true,
                payload: .none)
        case .workflowEnqueued:
            .lifecycle(
                "workflowEnqueued", "workflow enqueued", name: "the queue (empty: no queue, a delayed start only)",
                fields: [
                    .optional(.number, "its priority, as the bit pattern of an Int64 (lower runs first; absent: 0)"),
                    .optional(.target, "its partition key (the queue's partition concurrency counts per key)"),
                    .optional(.idempotencyKey, "its deduplication ID: no other workflow of the queue with it may be queued or running"),
                    .optional(.deadline, "not before: the earliest time it may start"),
                ],
                tone: .lifecycle)
        case .workflowDequeued:
            .lifecycle("workflowDequeued", "workflow dequeued", name: "the queue", tone: .lifecycle)
        case .queueDeclared:
            .lifecycle(
                "queueDeclared", "queue declared", name: "the queue's name (the workflow ID is empty: the engine's)",
                payload: .text("the queue's limits as JSON (concurrency, workerConcurrency, partitionConcurrency, rateLimit count and period in nanoseconds; null: none)"))
        case .scheduleChanged:
            .lifecycle(
                "scheduleChanged", "schedule changed", name: "the schedule's name (the workflow ID is empty: the engine's)",
                payload: .text(
                    "the schedule as JSON (cron expression, time zone, workflow name, fixed input as base64 of the payload codec's bytes or none when each tick's input is the tick, catch-up policy, paused); empty when it was removed. Ticks count from this record's time (an add, a replacement, a resume)"
                ))
        case .scheduleTicked:
            .lifecycle(
                "scheduleTicked", "schedule tick", name: "the schedule's name (the workflow ID is empty: the engine's)",
                fields: [
                    .required(.target, "the workflow the tick started (written in the same commit as its start)"),
                    .required(.deadline, "the tick's time: the cron tick itself, not when the engine got round to it"),
                ])
        case .debounceRequested:
            .lifecycle(
                "debounceRequested", "debounce",
                name: "the registered name of the workflow it starts (the workflow ID is the ID it starts under, fixed at the key's first call)",
                fields: [
                    .required(.target, "the debounce key"),
                    .required(.deadline, "when the workflow starts unless a later call for the key moves it"),
                    .optional(
                        .number,
                        "the latest it may start: the first call's time plus maxWait, ns since 1970 as its bit pattern; absent without maxWait"),
                ],
                payload: .value("the latest input (the workflow starts with the payload of the last such record for its ID)"))
        }
    }
}

extension EventKind.Declaration {
    /// An operation's declaration: its position and call site are required (optional for `optionalPosition`, a
    /// kind also written from outside a workflow), and it may carry ``Event/Flags/copied`` (a fork's copy).
    fileprivate static func operation(
        _ caseName: String, _ displayName: String, name: String, replay: OperationKind,
        withTarget: OperationKind? = nil, numberIsDuration: Bool = false, targetIsDestination: Bool = false,
        optionalPosition: Bool = false, beginsWait: Bool = false, keptWithSummary: Bool = false, fields: [Field] = [],
        flags: Event.Flags = [], payload: Payload, tone: Tone = .plain
    ) -> Self {
        let place: [Field] =
            optionalPosition
            ? [
                .optional(.position, "its place in the workflow's history (absent for a send from outside)"),
                .optional(.callSite, "where the code called it (absent for a send from outside)"),
            ]
            : [.required(.position, "its place in the workflow's history"), .required(.callSite, "where the code called it")]
        return Self(
            caseName: caseName, displayName: displayName, role: .operation, name: name, fields: place + fields,
            flags: flags.union(.copied), payload: payload, replay: Replay(
                operation: replay, withTarget: withTarget, numberIsDuration: numberIsDuration,
                targetIsDestination: targetIsDestination),
            tone: tone, beginsWait: beginsWait, keptWithSummary: keptWithSummary)
    }

    /// A lifecycle event's declaration: no position, no call site.
    fileprivate static func lifecycle(
        _ caseName: String, _ displayName: String, name: String, fields: [Field] = [], flags: Event.Flags = [],
        payload: Payload = .none, tone: Tone = .plain
    ) -> Self {
        Self(
            caseName: caseName, displayName: displayName, role: .lifecycle, name: name, fields: fields, flags: flags,
            payload: payload, replay: nil, tone: tone)
    }
}
