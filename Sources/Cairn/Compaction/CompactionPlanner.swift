package import CairnLog
import DequeModule

/// Builds a ``CompactionPlan`` from one pass over a log: the projection of every record, plus where each
/// workflow's records lie and which messages the sealed segments hold.
///
/// Needs no lock: the engine feeds it from a scan of its own log, `cairn compact` from the pass that opens the log,
/// and `cairn compact --dry-run` from a read-only scan.
package struct CompactionPlanner: Sendable {
    /// The last LSN of the sealed segments (nil: none are sealed).
    package let through: LSN?
    var projection = Projection()

    /// A workflow's own records (sends with a destination and summaries aside).
    struct Own: Sendable {
        var lastLSN = LSN(0)
        var records = 0
        var bytes = 0
        var summaryLSN: LSN?
        var summaryBytes = 0
    }

    /// A message in the sealed segments.
    struct Send: Sendable {
        var lsn: LSN
        var sender: String
        /// nil for a send without a destination (kept or dropped with its sender).
        var destination: String?
        var bytes: Int
        var hasIdempotencyKey: Bool
    }

    var own: [String: Own] = [:]
    var sends: [Send] = []
    package private(set) var records = 0
    var sealedRecords = 0
    var sealedRawBytes = 0

    package init(through: LSN?) { self.through = through }

    /// Adds the next record of the log (in LSN order).
    /// - Throws: ``WorkflowError`` `.undecodableEvent` when the record is not an event this Cairn reads.
    package mutating func add(_ record: LogRecordView) throws {
        let event = try Event(record: record)
        let lsn = record.lsn
        let size = record.bytes.count
        records += 1
        let sealed = through.map { lsn <= $0 } ?? false
        if sealed {
            sealedRecords += 1
            sealedRawBytes += size
        }
        projection.apply(event, lsn: lsn)
        switch event.kind {
        case .engineStopped:
            break
        case .messageSent:
            if sealed {
                sends.append(Send(
                    lsn: lsn, sender: event.workflowID, destination: event.target, bytes: size,
                    hasIdempotencyKey: event.idempotencyKey != nil))
            }
            if event.target == nil { addOwn(event.workflowID, lsn: lsn, size: size) }
        case .workflowSummary:
            own[event.workflowID, default: Own()].summaryLSN = lsn
            own[event.workflowID, default: Own()].summaryBytes = size
        default:
            addOwn(event.workflowID, lsn: lsn, size: size)
        }
    }

    private mutating func addOwn(_ id: String, lsn: LSN, size: Int) {
        guard !id.isEmpty else { return }
        own[id, default: Own()].lastLSN = lsn
        own[id, default: Own()].records += 1
        own[id, default: Own()].bytes += size
    }

    /// The decisions, the summary events to append first, and the predicate for the log's compaction.
    /// - Parameters:
    ///   - now: nanoseconds since 1970, for ``CompactionPolicy/keepFinished``.
    ///   - maxRecordSize: a workflow whose summary would not fit in one record keeps its whole history.
    ///   - sealedBytes, logBytes: on-disk sizes, for the estimates.
    package func plan(
        policy: CompactionPolicy, now: Int64, maxRecordSize: Int, sealedSegments: Int, sealedBytes: Int64,
        logBytes: Int64
    ) -> (plan: CompactionPlan, summaries: [Event], decision: CompactionDecision) {
        var plan = CompactionPlan()
        plan.through = through
        plan.sealedSegments = sealedSegments
        plan.sealedBytes = sealedBytes
        plan.logBytes = logBytes
        plan.records = records
        plan.sealedRecords = sealedRecords

        var finished: [(id: String, at: Int64)] = []
        for (id, w) in projection.workflows {
            if w.summary.status.isFinished { finished.append((id, w.summary.updatedAt)) } else { plan.unfinished += 1 }
        }
        finished.sort { ($0.at, $0.id) > ($1.at, $1.id) }  // most recently finished first
        let cutoff = policy.keepFinished.map { now - $0.nanoseconds }

        var actions: [String: CompactionDecision.Action] = [:]
        var droppedRaw = 0
        var summarize: [String] = []
        for (rank, f) in finished.enumerated() {
            let o = own[f.id] ?? Own()
            guard let through, o.records == 0 || o.lastLSN <= through, o.summaryLSN != nil || o.records > 0 else {
                plan.notYetSealed += 1
                continue
            }
            var keep = (policy.keepLast.map { rank < $0 } ?? true) && (cutoff.map { f.at >= $0 } ?? true)
            if !keep, let parent = projection.workflows[f.id]?.summary.parentID,
                let p = projection.workflows[parent], !p.summary.status.isFinished
            {
                keep = true  // its parent may still ask for its result
            }
            if !keep, o.summaryLSN.map({ $0 <= through }) ?? true {
                actions[f.id] = .drop
                let w = projection.workflows[f.id]!
                plan.dropped.append(CompactionPlan.DroppedWorkflow(
                    id: f.id, name: w.summary.name, status: w.summary.status, finishedAt: f.at))
                plan.recordsToDrop += o.records + (o.summaryLSN == nil ? 0 : 1)
                droppedRaw += o.bytes + o.summaryBytes
                continue
            }
            if o.summaryLSN != nil {
                // Already summarized (or about to be dropped once its summary is sealed): only the summary stays.
                plan.retainedFinished += 1
                if o.records == 0 {
                    plan.alreadySummarized += 1
                } else {
                    actions[f.id] = .keepSummaryOnly
                    plan.recordsToDrop += o.records
                    droppedRaw += o.bytes
                }
                continue
            }
            summarize.append(f.id)
        }

        // The latest value of each event of the workflows to summarize.
        let wanted = Set(summarize)
        var values: [String: [WorkflowSummaryRecord.EventValue]] = [:]
        if !wanted.isEmpty {
            for (key, value) in projection.events where wanted.contains(key.workflowID) {
                values[key.workflowID, default: []].append(.init(key: key.name, value: value))
            }
        }
        var summaries: [Event] = []
        summaries.reserveCapacity(summarize.count)
        var summaryRaw = 0
        for id in summarize.reversed() {  // oldest finish first
            let w = projection.workflows[id]!
            let event = WorkflowSummaryRecord(id: id, workflow: w, events: values[id] ?? []).event
            let size = event.encoded().count
            guard size <= maxRecordSize else {
                plan.unfinished += 1  // too large to summarize: kept whole
                continue
            }
            let o = own[id]!
            summaries.append(event)
            summaryRaw += size
            actions[id] = .keepSummaryOnly
            plan.retainedFinished += 1
            plan.recordsToDrop += o.records
            droppedRaw += o.bytes
        }
        plan.summariesToWrite = summaries.count

        // Messages: undelivered ones stay, and so does any send an unfinished workflow made or received.
        var undelivered = Set<UInt64>()
        for (_, inbox) in projection.inboxes { for m in inbox { undelivered.insert(m.id) } }
        var droppedSends = Set<UInt64>()
        for s in sends {
            let drop: Bool
            if let destination = s.destination {
                let senderKeptWhole = !s.sender.isEmpty && projection.workflows[s.sender] != nil && actions[s.sender] == nil
                switch senderKeptWhole ? nil : actions[destination] {
                case nil: drop = false
                case .drop: drop = true
                case .keepSummaryOnly: drop = !undelivered.contains(s.lsn.rawValue) && !s.hasIdempotencyKey
                }
                if drop { plan.messagesDropped += 1 } else { plan.messagesKept += 1 }
                if drop {
                    plan.recordsToDrop += 1
                    droppedRaw += s.bytes
                }
            } else {
                drop = actions[s.sender] != nil  // counted with its sender
            }
            if drop { droppedSends.insert(s.lsn.rawValue) }
        }

        if sealedRawBytes > 0 {
            let ratio = Double(sealedBytes) / Double(sealedRawBytes)
            plan.expectedSealedBytes = Int64(Double(max(0, sealedRawBytes - droppedRaw)) * ratio)
            plan.expectedSummaryBytes = Int64(Double(summaryRaw) * ratio)
        } else {
            plan.expectedSealedBytes = sealedBytes
            plan.expectedSummaryBytes = Int64(summaryRaw)
        }
        plan.dropped.sort { ($0.finishedAt, $0.id) < ($1.finishedAt, $1.id) }
        return (plan, summaries, CompactionDecision(actions: actions, droppedSends: droppedSends))
    }
}

/// Which records of the sealed segments a compaction keeps: the predicate handed to ``CairnLog/Log/compact(through:keeping:)``.
package struct CompactionDecision: Sendable {
    enum Action: Sendable {
        /// A retained finished workflow: its summary record stays, the rest of its records go.
        case keepSummaryOnly
        /// A finished workflow beyond retention: every record goes.
        case drop
    }

    let actions: [String: Action]
    let droppedSends: Set<UInt64>

    /// The IDs of the workflows dropped entirely.
    package var droppedWorkflows: Set<String> {
        Set(actions.compactMap { $0.value == .drop ? $0.key : nil })
    }

    /// Whether the compaction keeps `record`. A record that cannot be read is kept (`cairn verify` reports it).
    package func keep(_ record: LogRecordView) -> Bool {
        switch record.tag {
        case EventKind.messageSent.rawValue:
            return !droppedSends.contains(record.lsn.rawValue)
        case EventKind.engineStopped.rawValue:
            return true
        default:
            guard !actions.isEmpty, let peek = try? EnvelopePeek(tag: record.tag, bytes: record.bytes) else { return true }
            switch actions[EnvelopePeek.string(peek.workflowID, in: record.bytes)] {
            case nil: return true
            case .drop: return false
            case .keepSummaryOnly: return record.tag == EventKind.workflowSummary.rawValue
            }
        }
    }
}
