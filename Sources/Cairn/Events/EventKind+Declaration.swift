extension EventKind {
    /// Everything kind-specific about an event kind except how the projection applies it: its names, whether it is
    /// an operation, the envelope fields it carries and what each means for it, the operation replay matches it
    /// with, what its payload holds, and the tone the CLI shows it in.
    ///
    /// Each kind has one, written in ``EventKind/declaration``; ``OperationKind``, determinism reports and the
    /// CLI read it instead of switching on kinds of their own. See the "Adding an event kind" article.
    package struct Declaration: Sendable {
        /// The stable name for scripts (`cairn export`, `--json`): the Swift case name.
        package var caseName: String
        /// The name shown by the CLI and in determinism reports.
        package var displayName: String
        /// An operation of the workflow's code at a position in its history, or a lifecycle event the engine writes.
        package var role: Role
        /// What the event's `name` holds for this kind.
        package var name: String
        /// The optional envelope fields this kind carries (an event never sets another), with what each means.
        package var fields: [Field]
        /// The flags an event of this kind may carry.
        package var flags: Event.Flags
        /// What the payload holds.
        package var payload: Payload
        /// The operation replay matches this kind with (nil for a lifecycle event).
        package var replay: Replay?
        /// How the CLI shows the kind.
        package var tone: Tone
        /// Whether the event records that a wait began at its position (a receive's, a child result's), not the
        /// operation's outcome: replay resumes the wait, with its deadline, and recovery knows the workflow runs no
        /// code until the wait ends.
        package var beginsWait = false
        /// Whether compaction keeps events of this kind while their workflow is retained, even when it replaces the
        /// rest of a finished workflow's history by its summary (a stream's records: readers read them from the log).
        /// They go when the workflow is dropped.
        package var keptWithSummary = false

        /// Whether events of this kind are operations of a workflow's code, at a position in its history.
        package enum Role: Sendable {
            /// An operation of the workflow's code, at a position in its history (a send from outside the
            /// engine is one without a position).
            case operation
            /// A step in a workflow's (or the engine's) life, written by the engine.
            case lifecycle
        }

        /// One optional envelope field a kind carries.
        package struct Field: Sendable {
            /// The field.
            package var field: EnvelopeField
            /// Whether every event of the kind sets it.
            package var required: Bool
            /// What it holds for this kind.
            package var meaning: String
        }

        /// What a kind's payload holds.
        package enum Payload: Sendable, Equatable {
            /// Nothing: the payload is empty.
            case none
            /// A user's value as the payload codec wrote it.
            case value(String)
            /// UTF-8 text (an error's message, a park's reason).
            case text(String)
            /// A value, or UTF-8 text (an error's message) when the event has an error type.
            case valueOrErrorText(String)
            /// A ``WorkflowSummaryRecord``'s fields.
            case summary
        }

        /// Which operation replay matches a kind with.
        package struct Replay: Sendable {
            /// The operation.
            package var operation: OperationKind
            /// The operation when the event has a target, if that differs (a wait's start is shared by receive and
            /// read-event; a read-event's names the workflow it reads from).
            package var withTarget: OperationKind?
            /// Whether the event's `number` is the operation's duration (a sleep's, a wait's timeout), compared in
            /// strict mode and shown in determinism reports.
            package var numberIsDuration = false
            /// Whether the event's `target` is the operation's destination (a send's, an event read's owner), shown
            /// in determinism reports.
            package var targetIsDestination = false

            /// The operation an event of this kind records.
            package func operation(hasTarget: Bool) -> OperationKind { hasTarget ? withTarget ?? operation : operation }
        }

        /// The semantic tone of a kind; the CLI maps it to a colour.
        package enum Tone: Sendable {
            /// Something failed.
            case failure
            /// A workflow finished well.
            case success
            /// Needs someone's attention (a parked workflow).
            case attention
            /// A workflow's life begins or is summarised.
            case lifecycle
            /// Everything else.
            case plain
        }

        /// The declaration of `field`, when this kind carries it.
        package func field(_ field: EnvelopeField) -> Field? { fields.first { $0.field == field } }

        /// Whether the payload of an event of this kind is text rather than a codec's bytes.
        package func payloadIsText(hasErrorType: Bool) -> Bool {
            switch payload {
            case .text: true
            case .valueOrErrorText: hasErrorType
            case .none, .value, .summary: false
            }
        }

        /// Why `event` does not fit this declaration (fields it sets that the kind does not carry, required ones it
        /// lacks, flags it may not have); empty when it fits.
        package func misfits(_ event: Event) -> [String] {
            var problems: [String] = []
            for field in EnvelopeField.optional where field != .flags {
                let declared = self.field(field)
                if event.has(field), declared == nil { problems.append("sets \(field), which a \(caseName) does not carry") }
                if declared?.required == true, !event.has(field) { problems.append("lacks \(field), which a \(caseName) requires") }
            }
            if !flags.isSuperset(of: event.flags) { problems.append("has flags \(event.flags.rawValue), a \(caseName) allows \(flags.rawValue)") }
            if payload == .none, !event.payload.isEmpty { problems.append("has a payload, which a \(caseName) does not carry") }
            return problems
        }
    }
}

extension EventKind.Declaration.Field {
    /// A field every event of the kind sets.
    static func required(_ field: EnvelopeField, _ meaning: String) -> Self { Self(field: field, required: true, meaning: meaning) }
    /// A field some events of the kind set.
    static func optional(_ field: EnvelopeField, _ meaning: String) -> Self { Self(field: field, required: false, meaning: meaning) }
}
