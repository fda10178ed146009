public import Cairn
import CairnLog

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One recorded event as the API shows it (``HistoryEvent``): where it is, what kind, the details of its kind as
/// a flat JSON object, and its payload.
public struct APIEvent: Codable, Sendable, Hashable {
    /// Its place in the store (a history continues `after` it).
    public var lsn: UInt64
    /// The workflow it belongs to (for a message sent from outside, the sender's; its `destination` detail names the receiver).
    public var workflowID: String
    /// The kind's stable name, as `cairn show --json` gives it (the ``EventKind`` case: `stepCompleted`,
    /// `sleepStarted`, …).
    public var kind: String
    /// The kind in words, as `cairn show` prints it (`step completed`).
    public var label: String
    /// The operation's position in the workflow (`3`, `2.1` inside parallel branches); nil for lifecycle events.
    public var position: String?
    /// The operation's name (a step's name, a message's topic, an event's key, …).
    public var name: String
    /// Where in the workflow's code the operation was called (`File.swift:42`).
    public var callSite: String?
    /// When it was recorded.
    public var time: Date
    /// What this kind records beyond the above: `error` for failures, `wake` for sleeps, `childID`, `attempt`,
    /// `nextAttempt`, … (each kind's fields are listed in the OpenAPI document).
    public var details: [String: JSONValue]
    /// What it recorded (a step's result, a message, an input, …), when its kind records a value.
    public var payload: APIPayload?

    /// The event of `event`, its payload as `payload` gives it (the redaction hook's say).
    public init(_ event: HistoryEvent, payload: APIPayload?) {
        lsn = event.lsn.rawValue
        workflowID = event.workflowID
        kind = event.kind.declaration.caseName
        label = event.kind.displayName
        position = event.position.map { "\($0)" }
        name = event.name
        callSite = event.callSite.map { "\($0)" }
        time = event.time
        details = Self.details(of: event.details)
        self.payload = payload
    }

    /// A date as the details carry it: ISO 8601 with milliseconds, UTC.
    static func date(_ date: Date) -> JSONValue { .string(APIJSON.format(date)) }
    static func milliseconds(_ duration: Duration) -> JSONValue { .number(duration.inMilliseconds) }
    static func failure(_ failure: WorkflowFailure) -> JSONValue {
        .object(["errorType": .string(failure.errorType), "message": .string(failure.message)])
    }

    static func details(of details: HistoryEvent.Details) -> [String: JSONValue] {
        func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        switch details {
        case .started(let parentID, let parentPosition):
            return ["parentID": optional(parentID), "parentPosition": optional(parentPosition.map { "\($0)" })]
        case .stepCompleted, .completed, .cancelled, .resumed, .recoveryAttempted, .recoverySucceeded, .engineStopped,
            .timedOut:
            return [:]
        case .stepFailed(let failure), .failed(let failure):
            return ["error": Self.failure(failure)]
        case .sleep(let wake, let duration):
            return ["wake": date(wake), "durationMs": duration.map(milliseconds) ?? .null]
        case .retrying(let attempt, let maxAttempts, let nextAttempt, let failure):
            return [
                "attempt": .integer(Int64(attempt)), "maxAttempts": maxAttempts.map { .integer(Int64($0)) } ?? .null,
                "nextAttempt": date(nextAttempt), "error": Self.failure(failure),
            ]
        case .sent(let destination, let topic, let idempotencyKey):
            return ["destination": .string(destination), "topic": .string(topic), "idempotencyKey": optional(idempotencyKey)]
        case .received(let topic, let messageID):
            return ["topic": .string(topic), "messageLSN": .integer(Int64(messageID.rawValue))]
        case .receiveTimedOut(let topic):
            return ["topic": .string(topic), "timedOut": .bool(true)]
        case .waiting(let deadline, let timeout, let eventOwner):
            return [
                "deadline": deadline.map(date) ?? .null, "timeoutMs": timeout.map(milliseconds) ?? .null,
                "eventOwner": optional(eventOwner),
            ]
        case .eventSet(let key):
            return ["key": .string(key)]
        case .eventRead(let key, let owner):
            return ["key": .string(key), "owner": .string(owner)]
        case .eventReadTimedOut(let key, let owner):
            return ["key": .string(key), "owner": .string(owner), "timedOut": .bool(true)]
        case .childStarted(let childID, let workflowName):
            return ["childID": .string(childID), "workflowName": .string(workflowName)]
        case .childWaiting(let childID):
            return ["childID": .string(childID)]
        case .childCompleted(let childID, let failure):
            return ["childID": .string(childID), "error": failure.map(Self.failure) ?? .null]
        case .recordedValue(let name):
            return ["valueName": .string(name)]
        case .patch(let id, let deprecated):
            return ["patchID": .string(id), "deprecated": .bool(deprecated)]
        case .branch(let label):
            return ["label": .string(label)]
        case .forked(let source, let before):
            return ["source": .string(source), "before": .integer(Int64(before))]
        case .parked(let reason, let message, let attempts):
            return [
                "reason": .string(reason.rawValue), "message": .string(message),
                "attempts": attempts.map { .integer(Int64($0)) } ?? .null,
            ]
        case .summary(let status, let startedAt, let failure):
            return ["status": .string(status.rawValue), "startedAt": date(startedAt), "error": failure.map(Self.failure) ?? .null]
        case .streamWritten(let key), .streamClosed(let key):
            return ["key": .string(key)]
        case .enqueued(let queue, let priority, let partitionKey, let deduplicationID, let notBefore):
            return [
                "queue": .string(queue), "priority": .integer(Int64(priority)), "partitionKey": optional(partitionKey),
                "deduplicationID": optional(deduplicationID), "notBefore": notBefore.map(date) ?? .null,
            ]
        case .dequeued(let queue), .queueDeclared(let queue):
            return ["queue": .string(queue)]
        case .scheduleChanged(let schedule, let removed):
            return ["schedule": .string(schedule), "removed": .bool(removed)]
        case .scheduleTicked(let schedule, let tick, let workflowID):
            return ["schedule": .string(schedule), "tick": date(tick), "startedWorkflow": .string(workflowID)]
        case .debounceRequested(let key, let fireAt, let latest):
            return ["key": .string(key), "fireAt": date(fireAt), "latest": latest.map(date) ?? .null]
        }
    }
}

/// A page of a workflow's history, in log order, and the LSN to continue after (nil when the history ends there).
public struct APIHistory: Codable, Sendable, Hashable {
    /// The events of this page, in log order.
    public var events: [APIEvent]
    /// The LSN to ask `after` for the next page; nil at the end of the history.
    public var next: UInt64?

    /// A page of `events`, continuing after `next`.
    public init(events: [APIEvent], next: UInt64?) {
        self.events = events
        self.next = next
    }
}
