package import CairnLog

/// The schedules and the pending debounces, as their records say: the one home of the rules by which
/// ``EventKind/scheduleChanged``, ``EventKind/scheduleTicked`` and ``EventKind/debounceRequested`` records (and
/// the start of a debounced workflow) change them.
///
/// The engine's ``Projection`` applies every record through ``apply(_:)`` — rebuilt at open and live alike — and
/// `cairn inspect` applies the log's records through the same rules (`apply` of a `LogRecordView`), so the tool
/// shows what the engine would do.
///
/// | Record | Effect |
/// |---|---|
/// | schedule changed, with a definition | the schedule is that definition; ticks count from the record's time, unless paused |
/// | schedule changed, empty | the schedule is removed (its last tick is forgotten: a schedule added again under the name starts afresh) |
/// | schedule ticked | the schedule's last tick is the later of it and the one before |
/// | debounce requested | the debounce of its workflow ID takes its input and firing time; it becomes its key's current one |
/// | workflow started | the debounce of that ID, if any, has fired: it is no longer pending |
package struct ScheduledStarts: Sendable {
    /// One schedule.
    struct Schedule: Sendable, Hashable {
        var name: String
        var definition: ScheduleDefinition
        /// Ticks count from here (ns since 1970): the time of its add, replacement or resume. Ticks at or before
        /// it are not the schedule's.
        var since: Int64
        /// The latest tick that started its workflow, and that workflow.
        var lastTick: Int64?
        var lastWorkflowID: String?

        /// The instant after which the next tick comes.
        var countsFrom: Int64 { Swift.max(since, lastTick ?? .min) }
    }

    /// One debounced start that has not fired.
    struct Debounce: Sendable, Hashable {
        /// The ID the workflow starts under (fixed at the key's first call).
        var id: String
        var key: String
        /// The workflow's registered name.
        var workflow: String
        /// The latest input, as the payload codec encoded it.
        var input: [UInt8]
        /// When it fires (ns since 1970).
        var fireAt: Int64
        /// The latest it may fire (first call + maxWait), if bounded.
        var latest: Int64?
        /// When the key's first call was recorded.
        var firstRequested: Int64
        /// How many calls it has had.
        var requests: Int
    }

    /// Schedules by name.
    var schedules: [String: Schedule] = [:]
    /// Pending debounces by workflow ID.
    var debounces: [String: Debounce] = [:]
    /// The current (latest) pending debounce's workflow ID for each key.
    var debounceByKey: [String: String] = [:]

    package init() {}

    /// Whether a record of this kind may change what is kept here (a workflow's start only while debounces are
    /// pending: the hot path pays one comparison).
    @inline(__always)
    func concerns(_ kind: EventKind) -> Bool {
        switch kind {
        case .scheduleChanged, .scheduleTicked, .debounceRequested: true
        case .workflowStarted: !debounces.isEmpty
        default: false
        }
    }

    /// Applies one record (ignoring the kinds that do not concern it).
    mutating func apply(_ event: EventEnvelope) {
        guard concerns(event.kind) else { return }
        let peek = event.peek
        switch event.kind {
        case .scheduleChanged:
            let name = event.name
            let payload = event.payload
            if payload.isEmpty {
                schedules[name] = nil
            } else if let definition = ScheduleDefinition(payload: payload) {
                var schedule = schedules[name] ?? Schedule(name: name, definition: definition, since: peek.time)
                // A pause keeps the count where it is; an add, a replacement or a resume counts from now.
                if !definition.paused { schedule.since = peek.time }
                schedule.definition = definition
                schedules[name] = schedule
            }
        case .scheduleTicked:
            guard let tick = peek.deadline, let target = peek.target else { return }
            let name = event.name
            guard schedules[name] != nil else { return }
            if tick >= schedules[name]?.lastTick ?? .min {
                schedules[name]?.lastTick = tick
                schedules[name]?.lastWorkflowID = event.string(target)
            }
        case .debounceRequested:
            guard let fireAt = peek.deadline, let keyRange = peek.target else { return }
            let id = event.workflowID
            let key = event.string(keyRange)
            var debounce = debounces[id] ?? Debounce(
                id: id, key: key, workflow: event.name, input: [], fireAt: fireAt, latest: nil, firstRequested: peek.time,
                requests: 0)
            debounce.input = event.payload
            debounce.fireAt = fireAt
            debounce.latest = peek.number.map { Int64(bitPattern: $0) }
            debounce.requests += 1
            debounces[id] = debounce
            debounceByKey[key] = id
        case .workflowStarted:
            let id = event.workflowID
            if let fired = debounces.removeValue(forKey: id), debounceByKey[fired.key] == id {
                debounceByKey[fired.key] = nil
            }
        default:
            break
        }
    }

    /// Decodes and applies a record read from the log (`cairn inspect`).
    /// - Throws: ``WorkflowError`` `.undecodableEvent` for a record of these kinds that does not decode.
    package mutating func apply(_ record: LogRecordView) throws {
        guard let kind = EventKind(rawValue: record.tag), concerns(kind) else { return }
        do {
            apply(try EventEnvelope(lsn: record.lsn, tag: record.tag, bytes: record.bytes))
        } catch {
            throw WorkflowError(.undecodableEvent, "\(error)", lsn: record.lsn)
        }
    }

    /// The schedules, by name, as the public view shows them; `next` gives each one's next tick.
    func infos(next: (Schedule) -> Int64?) -> [ScheduleInfo] {
        schedules.values.sorted { $0.name < $1.name }.map { s in
            ScheduleInfo(
                name: s.name, cron: s.definition.cron, timeZone: s.definition.timeZone, workflow: s.definition.workflow,
                catchUp: s.definition.catchUpPolicy, isPaused: s.definition.paused,
                ticksWithFixedInput: s.definition.input != nil, nextTick: next(s).map(Date.init(nanosecondsSince1970:)),
                lastTick: s.lastTick.map(Date.init(nanosecondsSince1970:)), lastWorkflowID: s.lastWorkflowID)
        }
    }

    /// The pending debounces, by key, as the public view shows them.
    var debounceInfos: [PendingDebounce] {
        debounces.values.sorted { ($0.key, $0.firstRequested) < ($1.key, $1.firstRequested) }.map { d in
            PendingDebounce(
                key: d.key, workflowID: d.id, workflow: d.workflow, fireAt: Date(nanosecondsSince1970: d.fireAt),
                latest: d.latest.map(Date.init(nanosecondsSince1970:)), requests: d.requests)
        }
    }
}

extension ScheduledStarts {
    /// The schedules as the CLI shows them, each next tick computed from the records alone (`cairn inspect`
    /// cannot know what a running engine's catch-up decides).
    package var scheduleInfos: [ScheduleInfo] {
        infos { s in s.definition.paused ? nil : TickTimeline(s)?.next(after: s.countsFrom) }
    }

    /// The pending debounces (`cairn inspect`).
    package var pendingDebounces: [PendingDebounce] { debounceInfos }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
