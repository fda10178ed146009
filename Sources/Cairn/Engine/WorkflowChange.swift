/// One change a commit made to a workflow, as ``WorkflowEngine/changes(name:id:)`` and
/// ``WorkflowHandle/updates()`` deliver it: a status change, or an event value set.
///
/// Changes are what the log records, in the order it records them: a workflow's start (`pending`), its end
/// (`completed`, `failed`), a cancellation, a parking, a resumption (`pending` again), and each
/// ``WorkflowContext/setEvent(_:_:file:line:)``. That a workflow's code is running in this process (`running`) is
/// not recorded, so it is not a change: it shows in summaries read with ``WorkflowEngine/summary(of:)``.
public enum WorkflowChange: Sendable, Hashable {
    /// A workflow appeared or its status changed: its summary just after the change (with its result once
    /// completed, as ``WorkflowEngine/summary(of:)`` gives it).
    case status(WorkflowSummary)
    /// A workflow set an event's value.
    case event(EventValue)

    /// The workflow that changed.
    public var workflowID: String {
        switch self {
        case .status(let summary): summary.id
        case .event(let event): event.workflowID
        }
    }

    /// An event value a workflow set with ``WorkflowContext/setEvent(_:_:file:line:)``, as recorded.
    public struct EventValue: Sendable, Hashable {
        /// The workflow that set it.
        public var workflowID: String
        /// The event's key.
        public var key: String
        /// The value as the engine's codec encoded it (``value(as:codec:)`` decodes it).
        public var value: [UInt8]

        /// Creates an event value (the engine makes these; tests may too).
        public init(workflowID: String, key: String, value: [UInt8]) {
            self.workflowID = workflowID
            self.key = key
            self.value = value
        }

        /// The value decoded as `type`.
        /// - Parameter codec: the codec the engine was configured with (``EngineConfiguration/codec``).
        /// - Throws: ``WorkflowError`` `.undecodablePayload` when the value does not decode as `type`.
        public func value<V: Decodable>(as type: V.Type, codec: any PayloadCodec = JSONPayloadCodec()) throws -> V {
            try codec.decodeRecorded(V.self, from: value, what: "event '\(key)'", workflowID: workflowID)
        }
    }
}

extension WorkflowStatus {
    /// Completed, failed or cancelled: where ``WorkflowHandle/updates()`` ends. Parked and diverged workflows wait
    /// to be resumed, and their updates go on.
    var endsUpdates: Bool { isFinished || self == .cancelled }
}
