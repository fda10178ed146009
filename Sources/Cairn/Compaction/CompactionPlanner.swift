package import CairnLog

/// Builds a ``CompactionPlan`` from one pass over a log: every workflow's summary, input, output and event values
/// (a ``WorkflowIndex`` with details, which follows the projection's rules), where each workflow's records lie,
/// which messages are undelivered, and which messages the sealed segments hold.
///
/// Needs no lock: the engine feeds it from a scan of its own log, `cairn compact` from the pass that opens the log,
/// and `cairn compact --dry-run` from a read-only scan.
package struct CompactionPlanner: Sendable {
    /// The last LSN of the sealed segments (nil: none are sealed).
    package let through: LSN?
    /// Every workflow's summary, input, output and event values, and where its records lie.
    var index: WorkflowIndex

    /// A message in the sealed segments.
    struct Send: Sendable {
        var lsn: LSN
        var sender: String
        /// nil for a send without a destination (kept or dropped with its sender).
        var destination: String?
        var bytes: Int
        var hasIdempotencyKey: Bool
    }

    var sends: [Send] = []
    package private(set) var records = 0
    var sealedRecords = 0
    var sealedRawBytes = 0

    /// A planner for a log whose sealed segments end at `through`; `expectedWorkflows` sizes its tables.
    package init(through: LSN?, expectedWorkflows: Int = 0) {
        self.through = through
        index = WorkflowIndex(expectedWorkflows: expectedWorkflows, details: true)
    }

    /// Adds the next record of the log (in LSN order).
    /// - Throws: ``WorkflowError`` `.undecodableEvent` when the record is not an event this Cairn reads.
    package mutating func add(_ record: LogRecordView) throws {
        let lsn = record.lsn
        let size = record.bytes.count
        records += 1
        let sealed = through.map { lsn <= $0 } ?? false
        if sealed {
            sealedRecords += 1
            sealedRawBytes += size
        }
        let peek: EnvelopePeek
        do { peek = try EnvelopePeek(tag: record.tag, bytes: record.bytes) } catch {
            throw WorkflowError(.undecodableEvent, error.description, lsn: lsn)
        }
        try index.apply(record, peek)
        if peek.kind == .messageSent && sealed {
            sends.append(Send(
                lsn: lsn, sender: EnvelopePeek.string(peek.workflowID, in: record.bytes),
                destination: peek.target.map { EnvelopePeek.string($0, in: record.bytes) }, bytes: size,
                hasIdempotencyKey: peek.hasIdempotencyKey))
        }
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
        let entries = index.entries

        var finished: [(at: Int64, index: Dictionary<String, WorkflowIndex.Entry>.Index)] = []
        var i = entries.startIndex
        while i != entries.endIndex {
            let status = entries.values[i].status
            if status.isFinished { finished.append((entries.values[i].updatedAt, i)) } else { plan.unfinished += 1 }
            i = entries.index(after: i)
        }
        let keys = entries.keys
        // Most recently finished first (ties by ID, so the choice is the same every time).
        finished.sort { $0.at != $1.at ? $0.at > $1.at : keys[$0.index] > keys[$1.index] }
        let cutoff = policy.keepFinished.map { now - $0.nanoseconds }

        var actions: [String: CompactionDecision.Action] = [:]
        actions.reserveCapacity(finished.count)
        var droppedRaw = 0
        var summarize: [Dictionary<String, WorkflowIndex.Entry>.Index] = []
        for (rank, f) in finished.enumerated() {
            let id = keys[f.index]
            let o = entries.values[f.index]
            guard let through, o.ownRecords == 0 || o.lastOwnLSN <= through, o.summaryLSN != nil || o.ownRecords > 0 else {
                plan.notYetSealed += 1
                continue
            }
            var keep = (policy.keepLast.map { rank < $0 } ?? true) && (cutoff.map { f.at >= $0 } ?? true)
            if !keep, let parent = o.parentID, let p = entries[parent], !p.status.isFinished {
                keep = true  // its parent may still ask for its result
            }
            if !keep, o.summaryLSN.map({ $0 <= through }) ?? true {
                actions[id] = .drop
                plan.dropped.append(CompactionPlan.DroppedWorkflow(id: id, name: o.name, status: o.status, finishedAt: f.at))
                plan.recordsToDrop += o.ownRecords + (o.summaryLSN == nil ? 0 : 1)
                droppedRaw += o.ownBytes + o.summaryBytes
                continue
            }
            if o.summaryLSN != nil {
                // Already summarized (or about to be dropped once its summary is sealed): only the summary stays.
                plan.retainedFinished += 1
                if o.ownRecords == 0 {
                    plan.alreadySummarized += 1
                } else {
                    actions[id] = .keepSummaryOnly
                    plan.recordsToDrop += o.ownRecords
                    droppedRaw += o.ownBytes
                }
                continue
            }
            summarize.append(f.index)
        }

        // The latest value of each event of the workflows to summarize.
        var values: [String: [WorkflowSummaryRecord.EventValue]] = [:]
        if !summarize.isEmpty && !index.events.isEmpty {
            let wanted = Set(summarize.map { keys[$0] })
            for (key, value) in index.events where wanted.contains(key.workflowID) {
                values[key.workflowID, default: []].append(.init(key: key.key, value: value))
            }
        }
        var summaries: [Event] = []
        summaries.reserveCapacity(summarize.count)
        var summaryRaw = 0
        for i in summarize.reversed() {  // oldest finish first
            let id = keys[i]
            let o = entries.values[i]
            let record = WorkflowSummaryRecord(
                workflowID: id, name: o.name, status: o.status, startedAt: o.startedAt, finishedAt: o.updatedAt,
                parentID: o.parentID, parentPosition: o.parentPosition,
                failure: o.status == .failed ? (o.failure ?? WorkflowFailure(errorType: "Error", message: "")) : nil,
                output: o.status == .completed ? (o.output ?? []) : [], input: o.input,
                events: (values[id] ?? []).sorted { $0.key < $1.key })
            let event = record.event
            let size = event.payload.count + 128 + id.utf8.count + o.name.utf8.count + (o.parentID?.utf8.count ?? 0)
            guard size <= maxRecordSize else {
                plan.unfinished += 1  // too large to summarize: kept whole
                continue
            }
            summaries.append(event)
            summaryRaw += size
            actions[id] = .keepSummaryOnly
            plan.retainedFinished += 1
            plan.recordsToDrop += o.ownRecords
            droppedRaw += o.ownBytes
        }
        plan.summariesToWrite = summaries.count

        // Messages: undelivered ones stay, and so does any send an unfinished workflow made or received.
        var droppedSends = Set<UInt64>()
        for s in sends {
            let drop: Bool
            if let destination = s.destination {
                let senderKeptWhole = !s.sender.isEmpty && entries[s.sender] != nil && actions[s.sender] == nil
                switch senderKeptWhole ? nil : actions[destination] {
                case nil: drop = false
                case .drop: drop = true
                case .keepSummaryOnly: drop = !index.undelivered.contains(s.lsn.rawValue) && !s.hasIdempotencyKey
                }
                if drop {
                    plan.messagesDropped += 1
                    plan.recordsToDrop += 1
                    droppedRaw += s.bytes
                } else {
                    plan.messagesKept += 1
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
