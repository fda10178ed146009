public import CairnLog

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One event of a workflow's history, as ``WorkflowEngine/history(of:after:)`` returns it: a read-only view of what the
/// log recorded, with times as `Date` and `Duration` and each kind's details typed.
///
/// The user's value an event carries (a step's output, a message, an input) stays the bytes the engine's
/// ``PayloadCodec`` made; ``WorkflowEngine/decode(_:as:)`` turns them back into a value.
///
/// ```swift
/// for try await event in try engine.history(of: "order-17") {
///     switch event.details {
///     case .sleep(let wake, let duration): print("slept \(duration.map { "\($0)" } ?? "?") until \(wake)")
///     case .stepFailed(let failure): print("step \(event.name) failed: \(failure)")
///     default: print(event.kind, event.name)
///     }
/// }
/// ```
public struct HistoryEvent: Sendable, Hashable {
    /// Where the event is in the log. A received message names its send by this number
    /// (``Details/received(topic:messageID:)``).
    public let lsn: LSN
    /// The kind-specific details, typed.
    public let details: Details
    /// The recorded event the view reads (the tools and tests inspect its raw fields).
    package let event: Event

    /// The view of `record`'s event.
    /// - Throws: ``WorkflowError`` (`.undecodableEvent`) when a field its kind always records is missing.
    package init(_ record: HistoryRecord) throws {
        lsn = record.lsn
        event = record.event
        details = try Details(record.event, lsn: record.lsn)
    }

    /// What happened.
    public var kind: EventKind { event.kind }
    /// The workflow the event belongs to; empty for a message sent from outside the engine (its destination is in
    /// ``Details/sent(destination:topic:idempotencyKey:)``).
    public var workflowID: String { event.workflowID }
    /// The operation's place in the workflow's history; nil for lifecycle events and sends from outside.
    public var position: Position? { event.position }
    /// The operation's name: the step's name, the workflow's name, the message topic, the event key, the patch ID,
    /// the branch label or the kind of recorded value.
    public var name: String { event.name }
    /// Where in the code the operation was called, when it is an operation.
    public var callSite: CallSite? { event.callSite }
    /// When the event was recorded, by the engine's ``WorkflowClock`` (to within a microsecond: `Date` holds
    /// seconds as a `Double`).
    public var time: Date { Date(nanosecondsSince1970: event.time) }
    /// A digest of the operation's explicit input (a step's, a child's), compared by strict replay.
    public var inputDigest: UInt64? { event.digest }
    /// Whether the event was copied into a forked workflow from the one it was forked from: replayed there, its
    /// effect not applied again (see ``WorkflowEngine/fork(_:before:newID:)``).
    public var isCopied: Bool { event.flags.contains(.copied) }

    /// The user's value the event carries, as the payload codec encoded it: a workflow's input or output, a step's
    /// output, a message, an event's value, a stream's value, a child's output, a recorded value. Nil for kinds that carry none (a
    /// failure's message is in its ``WorkflowFailure``) and for a receive or event read that timed out.
    public var payload: [UInt8]? {
        switch details {
        case .started, .stepCompleted, .sent, .received, .eventSet, .eventRead, .recordedValue, .completed, .streamWritten,
            .debounceRequested:
            event.payload
        case .childCompleted(_, let failure):
            failure == nil ? event.payload : nil
        default:
            nil
        }
    }

    /// What each kind of event records, beyond the fields every event has.
    ///
    /// One case per ``EventKind`` (two for the kinds that may time out); a new kind adds a case.
    public enum Details: Sendable, Hashable {
        /// ``EventKind/workflowStarted``: a child's parent and the parent's position that started it (nil for a
        /// workflow started from outside). The input is the ``HistoryEvent/payload``.
        case started(parentID: String?, parentPosition: Position?)
        /// ``EventKind/stepCompleted``: the output is the ``HistoryEvent/payload``.
        case stepCompleted
        /// ``EventKind/stepFailed``: what the step's last attempt threw.
        case stepFailed(WorkflowFailure)
        /// ``EventKind/sleepStarted``: the wake time and the duration asked for (nil in records that lack it).
        case sleep(wake: Date, duration: Duration?)
        /// ``EventKind/retryWaitStarted``: a step's attempt `attempt` (from 1) of `maxAttempts` (the retry policy's,
        /// nil when not recorded) threw `failure` (its type and cut message), and the next attempt runs at
        /// `nextAttempt`.
        case retrying(attempt: Int, maxAttempts: Int?, nextAttempt: Date, failure: WorkflowFailure)
        /// ``EventKind/messageSent``: to whom, on which topic, and the key of a send from outside that was given
        /// one. The message is the ``HistoryEvent/payload``.
        case sent(destination: String, topic: String, idempotencyKey: String?)
        /// ``EventKind/messageReceived``: the message taken, named by the LSN of its send. The message is the
        /// ``HistoryEvent/payload``.
        case received(topic: String, messageID: LSN)
        /// ``EventKind/messageReceived`` without a message: the receive's timeout passed first.
        case receiveTimedOut(topic: String)
        /// ``EventKind/receiveStarted``: a receive or event read began to wait; its deadline and timeout when it
        /// has one, and for an event read the workflow whose event it waits for.
        case waiting(deadline: Date?, timeout: Duration?, eventOwner: String?)
        /// ``EventKind/eventSet``: the key; the value is the ``HistoryEvent/payload``.
        case eventSet(key: String)
        /// ``EventKind/eventRead``: the key and the workflow that set it; the value is the
        /// ``HistoryEvent/payload``.
        case eventRead(key: String, owner: String)
        /// ``EventKind/eventRead`` without a value: the read's timeout passed first.
        case eventReadTimedOut(key: String, owner: String)
        /// ``EventKind/childStarted``: the child's ID and its workflow's registered name.
        case childStarted(childID: String, workflowName: String)
        /// ``EventKind/childWaitStarted``: the child's result was awaited before the child finished.
        case childWaiting(childID: String)
        /// ``EventKind/childCompleted``: the child's result was taken — its output (the ``HistoryEvent/payload``)
        /// or, when `failure` is set, its error.
        case childCompleted(childID: String, failure: WorkflowFailure?)
        /// ``EventKind/valueRecorded``: `now`, `uuid`, `random` or a `record` name; the value is the
        /// ``HistoryEvent/payload``.
        case recordedValue(name: String)
        /// ``EventKind/patchMarker``: the patch ID, and whether it was recorded by `deprecatePatch`.
        case patch(id: String, deprecated: Bool)
        /// ``EventKind/branchStarted``: a parallel call's label.
        case branch(label: String)
        /// ``EventKind/workflowCompleted``: the output is the ``HistoryEvent/payload``.
        case completed
        /// ``EventKind/workflowFailed``: what the workflow's body threw.
        case failed(WorkflowFailure)
        /// ``EventKind/workflowCancelled``.
        case cancelled
        /// ``EventKind/workflowResumed``.
        case resumed
        /// ``EventKind/workflowForked``: the workflow forked from and the top-level position its history was copied
        /// up to (exclusive).
        case forked(source: String, before: UInt32)
        /// ``EventKind/workflowParked``: why, the explanation recorded with it, and for
        /// ``ParkReason/recoveryExhausted`` how many recoveries were attempted.
        case parked(reason: ParkReason, message: String, attempts: Int?)
        /// ``EventKind/recoveryAttempted``.
        case recoveryAttempted
        /// ``EventKind/recoverySucceeded``.
        case recoverySucceeded
        /// ``EventKind/engineStopped`` (not part of a workflow's history; listed for completeness).
        case engineStopped
        /// ``EventKind/workflowSummary``: a finished workflow whose history compaction replaced by this summary.
        case summary(status: WorkflowStatus, startedAt: Date, failure: WorkflowFailure?)
        /// ``EventKind/streamWritten``: the stream's key; the value is the ``HistoryEvent/payload``.
        case streamWritten(key: String)
        /// ``EventKind/streamClosed``: the stream's key.
        case streamClosed(key: String)
        /// ``EventKind/workflowCancelled`` because the workflow's deadline passed (``StartOptions/timeout``).
        case timedOut
        /// ``EventKind/workflowEnqueued``: the queue (empty for a delayed start without one), priority, partition
        /// key, deduplication ID and not-before time the workflow was started with.
        case enqueued(queue: String, priority: Int, partitionKey: String?, deduplicationID: String?, notBefore: Date?)
        /// ``EventKind/workflowDequeued``: its queue let it start.
        case dequeued(queue: String)
        /// ``EventKind/queueDeclared``: the queue's name (its limits are the payload, as JSON).
        case queueDeclared(queue: String)
        /// ``EventKind/scheduleChanged``: a schedule was added, replaced, paused or resumed, or (`removed`) removed.
        case scheduleChanged(schedule: String, removed: Bool)
        /// ``EventKind/scheduleTicked``: a schedule's tick at `tick` started `workflowID`.
        case scheduleTicked(schedule: String, tick: Date, workflowID: String)
        /// ``EventKind/debounceRequested``: a debounced start of the event's workflow under `key`, due at `fireAt`
        /// unless a later call moves it, and at `latest` at the latest (maxWait). The input is the
        /// ``HistoryEvent/payload``.
        case debounceRequested(key: String, fireAt: Date, latest: Date?)
    }
}

extension HistoryEvent.Details {
    /// The details of `event`; throws when a field its kind always records is missing (a foreign or damaged
    /// record whose envelope still decodes).
    package init(_ event: Event, lsn: LSN) throws {
        func require<T>(_ value: T?, _ field: String) throws -> T {
            guard let value else {
                throw WorkflowError(
                    .undecodableEvent,
                    "the \(event.kind) event at LSN \(lsn) has no \(field), which every such event records; the record is damaged or was not written by Cairn — run `cairn verify` on the log",
                    workflowID: event.workflowID, position: event.position)
            }
            return value
        }
        let failure = WorkflowFailure(recordedBy: event)
        let timedOut = event.flags.contains(.timedOut)
        switch event.kind {
        case .workflowStarted:
            self = .started(parentID: event.target, parentPosition: event.parentPosition)
        case .stepCompleted:
            self = .stepCompleted
        case .stepFailed:
            self = .stepFailed(try require(failure, "error type"))
        case .sleepStarted:
            self = .sleep(
                wake: Date(nanosecondsSince1970: try require(event.deadline, "wake time")),
                duration: event.number.map(Duration.init(nanoseconds:)))
        case .retryWaitStarted:
            _ = try require(event.deadline, "next attempt's time")
            _ = try require(event.number, "attempt")
            let wait = try require(RetryWaitRecord(event), "error type")
            self = .retrying(
                attempt: wait.attempt, maxAttempts: wait.maxAttempts, nextAttempt: Date(nanosecondsSince1970: wait.deadline),
                failure: wait.failure)
        case .messageSent:
            self = .sent(
                destination: try require(event.target, "destination"), topic: event.name, idempotencyKey: event.idempotencyKey)
        case .messageReceived:
            self = timedOut ? .receiveTimedOut(topic: event.name) : .received(topic: event.name, messageID: LSN(try require(event.number, "message ID")))
        case .receiveStarted:
            self = .waiting(
                deadline: event.deadline.map(Date.init(nanosecondsSince1970:)), timeout: event.number.map(Duration.init(nanoseconds:)),
                eventOwner: event.target)
        case .eventSet:
            self = .eventSet(key: event.name)
        case .eventRead:
            let owner = try require(event.target, "owner")
            self = timedOut ? .eventReadTimedOut(key: event.name, owner: owner) : .eventRead(key: event.name, owner: owner)
        case .childStarted:
            self = .childStarted(childID: try require(event.target, "child ID"), workflowName: event.name)
        case .childWaitStarted:
            self = .childWaiting(childID: try require(event.target, "child ID"))
        case .childCompleted:
            self = .childCompleted(childID: try require(event.target, "child ID"), failure: failure)
        case .valueRecorded:
            self = .recordedValue(name: event.name)
        case .patchMarker:
            self = .patch(id: event.name, deprecated: event.flags.contains(.deprecated))
        case .branchStarted:
            self = .branch(label: event.name)
        case .workflowCompleted:
            self = .completed
        case .workflowFailed:
            self = .failed(try require(failure, "error type"))
        case .workflowCancelled:
            self = timedOut ? .timedOut : .cancelled
        case .workflowResumed:
            self = .resumed
        case .workflowForked:
            let before = try require(event.number, "fork position")
            guard let position = UInt32(exactly: before) else {
                throw WorkflowError(
                    .undecodableEvent,
                    "the workflow forked event at LSN \(lsn) records fork position \(before), beyond any position; the record is damaged — run `cairn verify` on the log",
                    workflowID: event.workflowID)
            }
            self = .forked(source: try require(event.target, "source workflow"), before: position)
        case .workflowParked:
            self = .parked(
                reason: ParkReason(flags: event.flags), message: String(decoding: event.payload, as: UTF8.self),
                attempts: event.number.map { Int(clamping: $0) })
        case .recoveryAttempted:
            self = .recoveryAttempted
        case .recoverySucceeded:
            self = .recoverySucceeded
        case .engineStopped:
            self = .engineStopped
        case .workflowSummary:
            guard let summary = WorkflowSummaryRecord(event) else {
                throw WorkflowError(
                    .undecodableEvent,
                    "the workflow summary at LSN \(lsn) does not decode; the record is damaged — run `cairn verify` on the log",
                    workflowID: event.workflowID)
            }
            self = .summary(status: summary.status, startedAt: Date(nanosecondsSince1970: summary.startedAt), failure: summary.failure)
        case .streamWritten:
            self = .streamWritten(key: event.name)
        case .streamClosed:
            self = .streamClosed(key: event.name)
        case .workflowEnqueued:
            self = .enqueued(
                queue: event.name, priority: event.number.map { Int(Int64(bitPattern: $0)) } ?? 0,
                partitionKey: event.target, deduplicationID: event.idempotencyKey,
                notBefore: event.deadline.map(Date.init(nanosecondsSince1970:)))
        case .workflowDequeued:
            self = .dequeued(queue: event.name)
        case .queueDeclared:
            self = .queueDeclared(queue: event.name)
        case .scheduleChanged:
            self = .scheduleChanged(schedule: event.name, removed: event.payload.isEmpty)
        case .scheduleTicked:
            self = .scheduleTicked(
                schedule: event.name, tick: Date(nanosecondsSince1970: try require(event.deadline, "tick time")),
                workflowID: try require(event.target, "started workflow"))
        case .debounceRequested:
            self = .debounceRequested(
                key: try require(event.target, "debounce key"),
                fireAt: Date(nanosecondsSince1970: try require(event.deadline, "firing time")),
                latest: event.number.map { Date(nanosecondsSince1970: Int64(bitPattern: $0)) })
        }
    }
}
