/// One recorded event: an operation of a workflow, or a step in its lifecycle — the engine's own form of what the
/// envelope stores, for the engine, its tools and its tests. Users read histories as ``HistoryEvent``s instead,
/// which type each kind's fields and show times as `Date` and `Duration`.
///
/// The fields are the same for every kind; which are set depends on the kind (see ``EventKind``). ``payload``
/// holds the user's value (an input, a step's output, a message) as bytes from the ``PayloadCodec``; it is never
/// decoded while the projection is rebuilt, only when a replay or a query needs the value.
///
/// An event is a value with copy-on-write storage: its fields (some 200 bytes, several of them strings) live in one
/// shared box, so a copy costs a retain. Events travel through many async functions, and every copy held across a
/// suspension point is part of that function's frame, which the task allocates for each call.
package struct Event: Sendable, Hashable {
    /// What happened.
    package var kind: EventKind {
        get { box.fields.kind }
        set { update { $0.kind = newValue } }
    }
    /// The workflow it belongs to.
    package var workflowID: String {
        get { box.fields.workflowID }
        set { update { $0.workflowID = newValue } }
    }
    /// The operation's place in the workflow's history; nil for lifecycle events and sends from outside.
    package var position: Position? {
        get { box.fields.position }
        set { update { $0.position = newValue } }
    }
    /// The operation's name: the step's name, the workflow's name, the message topic, the event key, the patch ID,
    /// or the kind of recorded value.
    package var name: String {
        get { box.fields.name }
        set { update { $0.name = newValue } }
    }
    /// Where in the code the operation was called.
    package var callSite: CallSite? {
        get { box.fields.callSite }
        set { update { $0.callSite = newValue } }
    }
    /// When it was recorded, in nanoseconds since 1970-01-01 UTC (from the engine's clock).
    package var time: Int64 {
        get { box.fields.time }
        set { update { $0.time = newValue } }
    }
    /// A digest of the operation's explicit input (step input, child input), compared in strict mode.
    package var digest: UInt64? {
        get { box.fields.digest }
        set { update { $0.digest = newValue } }
    }
    /// The other workflow concerned: a message's destination, a child's ID, the owner of an event that was read,
    /// a fork's source, a started child's parent.
    package var target: String? {
        get { box.fields.target }
        set { update { $0.target = newValue } }
    }
    /// A wall-clock time that matters later: a sleep's wake time, a retry wait's next attempt, a receive's or event
    /// read's deadline, a workflow's deadline. Nanoseconds since 1970.
    package var deadline: Int64? {
        get { box.fields.deadline }
        set { update { $0.deadline = newValue } }
    }
    /// A number: a received message's ID (the LSN of its send), the position a fork copied up to, a sleep's or
    /// timeout's duration in nanoseconds (for strict matching), a park's attempt count, a retry wait's failed
    /// attempt and policy's attempts (``RetryWaitRecord``).
    package var number: UInt64? {
        get { box.fields.number }
        set { update { $0.number = newValue } }
    }
    /// The Swift type name of a recorded error (step failed, workflow failed) or the reason of a park.
    package var errorType: String? {
        get { box.fields.errorType }
        set { update { $0.errorType = newValue } }
    }
    /// For a child's start: the parent's position that started it.
    package var parentPosition: Position? {
        get { box.fields.parentPosition }
        set { update { $0.parentPosition = newValue } }
    }
    /// The idempotency key of a send from outside the engine.
    package var idempotencyKey: String? {
        get { box.fields.idempotencyKey }
        set { update { $0.idempotencyKey = newValue } }
    }
    /// The trace context of the code that started a workflow, as the tracer injected it (``TraceCarrier``).
    package var traceContext: String? {
        get { box.fields.traceContext }
        set { update { $0.traceContext = newValue } }
    }
    /// Kind-specific flags.
    package var flags: Flags {
        get { box.fields.flags }
        set { update { $0.flags = newValue } }
    }
    /// The user's value, encoded by the payload codec; empty when there is none.
    package var payload: [UInt8] {
        get { box.fields.payload }
        set { update { $0.payload = newValue } }
    }

    /// Kind-specific flags: one bit each, stored in the envelope as one byte.
    package struct Flags: OptionSet, Sendable, Hashable {
        package let rawValue: UInt8

        package init(rawValue: UInt8) { self.rawValue = rawValue }

        /// A receive or event read that timed out (no message, no value); a cancellation caused by the workflow's deadline.
        package static let timedOut = Flags(rawValue: 1)
        /// A workflow parked because its code diverged from its history.
        package static let diverged = Flags(rawValue: 2)
        /// A workflow parked because its name is not registered in this process.
        package static let unknownWorkflow = Flags(rawValue: 4)
        /// A workflow parked because its recovery failed too often.
        package static let recoveryExhausted = Flags(rawValue: 8)
        /// A patch marker recorded as deprecated (``WorkflowContext/deprecatePatch(_:file:line:)``).
        package static let deprecated = Flags(rawValue: 16)
        /// An operation copied into a forked workflow's history from the workflow it was forked from
        /// (``WorkflowEngine/fork(_:before:newID:)``): replayed there, but its effect is not applied again — a
        /// copied send is not delivered a second time.
        package static let copied = Flags(rawValue: 32)
        /// A failure (step failed, workflow failed, a child's failed result, a failed workflow's summary) that
        /// carries its ``DurableError``'s value: the payload (a summary's result) is the message framed with it
        /// (``WorkflowFailure/recordedPayload``).
        package static let encodedError = Flags(rawValue: 64)
    }

    /// Creates an event.
    package init(
        kind: EventKind, workflowID: String, position: Position? = nil, name: String, callSite: CallSite? = nil,
        time: Int64, digest: UInt64? = nil, target: String? = nil, deadline: Int64? = nil, number: UInt64? = nil,
        errorType: String? = nil, parentPosition: Position? = nil, idempotencyKey: String? = nil,
        traceContext: String? = nil, flags: Event.Flags = [], payload: [UInt8] = []
    ) {
        box = Box(Fields(
            kind: kind, workflowID: workflowID, position: position, name: name, callSite: callSite, time: time,
            digest: digest, target: target, deadline: deadline, number: number, errorType: errorType,
            parentPosition: parentPosition, idempotencyKey: idempotencyKey, traceContext: traceContext, flags: flags,
            payload: payload))
    }

    // MARK: Storage

    struct Fields: Hashable, Sendable {
        var kind: EventKind
        var workflowID: String
        var position: Position?
        var name: String
        var callSite: CallSite?
        var time: Int64
        var digest: UInt64?
        var target: String?
        var deadline: Int64?
        var number: UInt64?
        var errorType: String?
        var parentPosition: Position?
        var idempotencyKey: String?
        var traceContext: String?
        var flags: Flags
        var payload: [UInt8]
    }

    final class Box: @unchecked Sendable {
        // @unchecked: `fields` is only mutated through `update`, which first makes the box unique to its event
        // (copy-on-write, as Array's buffer), so a box shared between threads is never written.
        var fields: Fields

        init(_ fields: Fields) { self.fields = fields }
    }

    private var box: Box

    private mutating func update(_ change: (inout Fields) -> Void) {
        if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
        change(&box.fields)
    }

    package static func == (lhs: Event, rhs: Event) -> Bool {
        lhs.box === rhs.box || lhs.box.fields == rhs.box.fields
    }

    package func hash(into hasher: inout Hasher) {
        box.fields.hash(into: &hasher)
    }
}
