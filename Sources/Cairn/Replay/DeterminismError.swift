/// How strictly replay compares the code's operations with the recorded ones.
public enum DeterminismMode: String, Sendable, Hashable, CaseIterable {
    /// Kind, name and order: a step's name, a patch's ID, the kind of a recorded value.
    case structure
    /// Also the details: a step's input digest, a sleep's duration, a message's destination and topic, an event's
    /// key, a child's workflow name and input digest, a receive's topic and timeout.
    case strict
}

/// An operation as replay saw it: what it was, with which details, called from where.
public struct OperationDescription: Sendable, Hashable, CustomStringConvertible {
    /// The operation kind, as the CLI names it (`step`, `sleep`, `send`, …).
    public var kind: String
    /// Its name (step name, topic, key, child workflow name, patch ID…).
    public var name: String
    /// Details compared in strict mode, as `key=value` strings.
    public var details: [String]
    /// Where it was called.
    public var callSite: CallSite?

    public var description: String {
        var s = name == kind || name.isEmpty ? kind : "\(kind) '\(name)'"
        if !details.isEmpty { s += " (\(details.joined(separator: ", ")))" }
        if let callSite { s += " at \(callSite)" }
        return s
    }
}

/// A workflow's code no longer matches its recorded history: the report a developer acts on.
///
/// ```
/// workflow order-17 (process-order) diverged at position 2 [strict]:
///   recorded: step 'charge-card' (input=9f1c…) at Orders/ProcessOrder.swift:31
///   attempted: step 'charge-card' (input=77ab…) at Orders/ProcessOrder.swift:33
///   the step's input changed
/// ```
public struct DeterminismError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The workflow.
    public var workflowID: String
    /// Its registered name.
    public var workflowName: String
    /// Where in the history the code and the record part ways.
    public var position: Position
    /// What the history recorded there (nil: nothing — the code made an extra operation where the record had
    /// already ended... which is only divergence when recorded operations were left over).
    public var recorded: OperationDescription?
    /// What the code did there (nil: the code returned while recorded operations were left).
    public var attempted: OperationDescription?
    /// What differs, in a phrase.
    public var reason: String
    /// The mode that found it.
    public var mode: DeterminismMode

    public var description: String {
        var lines = ["workflow \(workflowID) (\(workflowName)) diverged at position \(position) [\(mode.rawValue)]:"]
        lines.append("  recorded:  \(recorded.map(\.description) ?? "nothing")")
        lines.append("  attempted: \(attempted.map(\.description) ?? "nothing (the workflow returned)")")
        lines.append("  \(reason)")
        return lines.joined(separator: "\n")
    }
}
