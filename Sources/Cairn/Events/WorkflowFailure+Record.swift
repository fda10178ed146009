/// How a failure is recorded: the event's `errorType` holds the type name; the payload the message as UTF-8, or,
/// when the failure carries a ``DurableError``'s value (flag ``Event/Flags/encodedError``), the message framed with
/// the value:
///
/// ```
/// varint  message length, message bytes (UTF-8)
/// bytes   the value, as the payload codec encoded it (the rest of the payload)
/// ```
///
/// Records without the flag — every record older Cairn versions wrote — read as they always did. The same framing
/// serves a step's failure, a workflow's, a child's failed result and the result of a failed workflow's summary.
extension WorkflowFailure {
    /// The failure recorded by a failure event with `errorType`, `payload` and `flags`.
    ///
    /// A payload flagged as framed whose frame does not parse (it cannot be: the envelope is checksummed, and this
    /// Cairn writes the frame) is read whole as the message, without a value: the text is kept, nothing is dropped,
    /// and the failure reads as one of an unregistered type.
    package init(errorType: String, recordedPayload payload: some Collection<UInt8>, flags: Event.Flags) {
        self.init(errorType: errorType, message: "")
        guard flags.contains(.encodedError) else {
            message = String(decoding: payload, as: UTF8.self)
            return
        }
        var reader = PayloadReader(bytes: Array(payload))
        guard let text = reader.field() else {
            message = String(decoding: payload, as: UTF8.self)
            return
        }
        message = String(decoding: text, as: UTF8.self)
        value = Array(reader.bytes[reader.offset...])
    }

    /// The failure recorded by `event` (a step's or workflow's failure, a child's failed result); nil when it
    /// records none (no `errorType`).
    package init?(recordedBy event: Event) {
        guard let errorType = event.errorType else { return nil }
        self.init(errorType: errorType, recordedPayload: event.payload, flags: event.flags)
    }

    /// The payload a failure event records this failure with: the message, framed with the value if there is one.
    package var recordedPayload: [UInt8] {
        guard let value else { return Array(message.utf8) }
        var w = EnvelopeWriter(capacity: message.utf8.count + value.count + 10)
        w.string(message)
        w.bytes.append(contentsOf: value)
        return w.bytes
    }

    /// The flags that say how ``recordedPayload`` is laid out.
    package var recordedFlags: Event.Flags { value == nil ? [] : .encodedError }

    /// This failure without its value: what a caller gets when the value does not decode as a registered type.
    var withoutValue: WorkflowFailure { WorkflowFailure(errorType: errorType, message: message) }
}

extension Event {
    /// The payload as shown to people: a failure's message alone when the payload frames a value with it (a
    /// summary's payload is its own: see ``WorkflowSummaryRecord``).
    package var shownPayload: [UInt8] {
        guard flags.contains(.encodedError), kind.declaration.payload != .summary,
            let failure = WorkflowFailure(recordedBy: self)
        else { return payload }
        return Array(failure.message.utf8)
    }
}
