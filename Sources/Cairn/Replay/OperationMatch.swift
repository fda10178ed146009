/// The operations workflow code can make, and how each is compared with the recorded event at its position.
///
/// Which event kinds record an operation is the kinds' business: each ``EventKind/Declaration`` names the
/// operation replay matches it with. This type holds what belongs to the operation itself: which of its fields are
/// compared in ``DeterminismMode/structure`` and ``DeterminismMode/strict`` mode.
package enum OperationKind: String, Sendable, CaseIterable {
    case step, sleep, send, receive, setEvent = "set-event", readEvent = "read-event", startChild = "start-child",
        childResult = "child-result", recordValue = "record-value", patch, parallel, writeStream = "write-stream",
        closeStream = "close-stream"

    /// Event kinds that may stand at this operation's position: those whose declaration names it.
    var recordedKinds: Set<EventKind> {
        Set(EventKind.allCases.filter { kind in
            kind.declaration.replay.map { $0.operation == self || $0.withTarget == self } ?? false
        })
    }

    /// Whether the operation's name is part of its identity (compared in structure mode). For the others the
    /// name is a detail (topic, key, child workflow), compared in strict mode.
    var nameIsIdentity: Bool {
        switch self {
        case .step, .recordValue, .patch, .parallel: true
        case .sleep, .send, .receive, .setEvent, .readEvent, .startChild, .childResult, .writeStream, .closeStream: false
        }
    }

    /// The operation an event records (see ``EventKind/Declaration/replay``); nil for a lifecycle event.
    static func of(_ event: Event) -> OperationKind? {
        event.kind.declaration.replay?.operation(hasTarget: event.target != nil)
    }

    /// The operation kind an event kind records, for reports.
    static func of(_ kind: EventKind) -> OperationKind? {
        kind.declaration.replay?.operation
    }
}

/// An operation the code is making now, with the details strict mode compares.
struct AttemptedOperation: Sendable {
    var kind: OperationKind
    var name: String
    var callSite: CallSite
    /// Step or child input digest.
    var digest: UInt64? = nil
    /// Send destination, event owner.
    var target: String? = nil
    /// Sleep duration or wait timeout, in nanoseconds.
    var duration: UInt64? = nil

    var description: OperationDescription {
        OperationDescription(kind: kind.rawValue, name: name, details: details(digest: digest, target: target, duration: duration), callSite: callSite)
    }

    /// Compares with the event recorded at this position; nil when they match.
    func mismatch(with recorded: Event, mode: DeterminismMode) -> String? {
        guard OperationKind.of(recorded) == kind else {
            let was = OperationKind.of(recorded)?.rawValue ?? recorded.kind.displayName
            return "the operation kind changed (\(was) became \(kind.rawValue))"
        }
        if kind.nameIsIdentity && recorded.name != name {
            return "the \(kind.rawValue)'s name changed ('\(recorded.name)' became '\(name)')"
        }
        guard mode == .strict else { return nil }
        if !kind.nameIsIdentity && recorded.name != name {
            let what = switch kind {
            case .send, .receive: "topic"
            case .setEvent, .readEvent, .writeStream, .closeStream: "key"
            case .startChild, .childResult: "child workflow"
            default: "name"
            }
            return "the \(kind.rawValue)'s \(what) changed ('\(recorded.name)' became '\(name)')"
        }
        if let digest, let recordedDigest = recorded.digest, digest != recordedDigest {
            return "the \(kind.rawValue)'s input changed"
        }
        if (digest == nil) != (recorded.digest == nil) && kind != .receive && kind != .readEvent {
            return "the \(kind.rawValue) \(digest == nil ? "no longer has" : "now has") an explicit input"
        }
        if let target, recorded.target != target {
            return "the \(kind.rawValue)'s destination changed ('\(recorded.target ?? "")' became '\(target)')"
        }
        if let duration, let recordedDuration = recorded.number, recorded.kind.declaration.replay?.numberIsDuration == true,
            duration != recordedDuration
        {
            return "the \(kind.rawValue)'s duration changed (\(formatNanoseconds(recordedDuration)) became \(formatNanoseconds(duration)))"
        }
        return nil
    }
}

/// The description of a recorded event, in the same terms as an attempted operation.
func describe(_ event: Event) -> OperationDescription {
    let kind = OperationKind.of(event)
    let replay = event.kind.declaration.replay
    let duration: UInt64? = replay?.numberIsDuration == true ? event.number : nil
    let target: String? = replay?.targetIsDestination == true ? event.target : nil
    return OperationDescription(
        kind: kind?.rawValue ?? event.kind.displayName, name: event.name,
        details: details(digest: event.digest, target: target, duration: duration), callSite: event.callSite)
}

private func details(digest: UInt64?, target: String?, duration: UInt64?) -> [String] {
    var d: [String] = []
    if let target { d.append("to=\(target)") }
    if let duration { d.append("duration=\(formatNanoseconds(duration))") }
    if let digest {
        let hex = String(digest, radix: 16)
        d.append("input=" + String(repeating: "0", count: 16 - hex.count) + hex)
    }
    return d
}

func formatNanoseconds(_ n: UInt64) -> String {
    if n % 1_000_000_000 == 0 { return "\(n / 1_000_000_000)s" }
    if n % 1_000_000 == 0 { return "\(n / 1_000_000)ms" }
    return "\(n)ns"
}
