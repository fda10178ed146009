package import CairnLog

/// Builds a ``CompactionPlan`` from one pass over a log: every workflow's summary, input, output and event values
/// (a ``WorkflowIndex`` with details, which applies the ``WorkflowLifecycle`` rules), where each workflow's records lie,
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
        /// The sending workflow (nil: sent from outside any workflow).
        var sender: IDHash?
        /// nil for a send without a destination (kept or dropped with its sender).
        var destination: IDHash?
        var bytes: Int
        var hasIdempotencyKey: Bool
    }

    var sends: [Send] = []
    /// Each schedule's latest tick in the whole log (by the schedule's name hash): the tick's time and its record.
    var latestTicks: [IDHash: (tick: Int64, lsn: LSN)] = [:]
    /// The tick records in the sealed segments (schedule name hash, LSN): all but each schedule's latest can go.
    var sealedTicks: [(schedule: IDHash, lsn: LSN)] = []
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
        try add(lsn: record.lsn, tag: record.tag, bytes: record.bytes)
    }

    /// Adds the next record of the log (in LSN order), given by its parts.
    package mutating func add(lsn: LSN, tag: UInt8, bytes: UnsafeRawBufferPointer) throws {
        let size = bytes.count
        records += 1
        let sealed = through.map { lsn <= $0 } ?? false
        if sealed {
            sealedRecords += 1
            sealedRawBytes += size
        }
        let peek: EnvelopePeek
        do { peek = try EnvelopePeek(tag: tag, bytes: bytes) } catch {
            throw WorkflowError(.undecodableEvent, error.description, lsn: lsn)
        }
        index.apply(EventEnvelope(lsn: lsn, bytes: bytes, checked: peek))
        if peek.kind == .messageSent && sealed {
            sends.append(Send(
                lsn: lsn, sender: peek.owner.map { EnvelopePeek.hash($0, in: bytes) },
                destination: peek.addressee.map { EnvelopePeek.hash($0, in: bytes) }, bytes: size,
                hasIdempotencyKey: peek.hasIdempotencyKey))
        }
        if peek.kind == .scheduleTicked, let tick = peek.deadline {
            let schedule = EnvelopePeek.hash(peek.name, in: bytes)
            if tick >= latestTicks[schedule]?.tick ?? .min { latestTicks[schedule] = (tick, lsn) }
            if sealed { sealedTicks.append((schedule, lsn)) }
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

        var finished: [(at: Int64, index: Int)] = []
        for i in entries.indices {
            if entries[i].status.isFinished { finished.append((entries[i].updatedAt, i)) } else { plan.unfinished += 1 }
        }
        // Most recently finished first (ties by ID, so the choice is the same every time).
        finished.sort { $0.at != $1.at ? $0.at > $1.at : entries[$0.index].id > entries[$1.index].id }
        let cutoff = policy.keepFinished.map { now.subtractingSaturating($0.nanoseconds) }

        // What happens to each finished workflow, by entry index.
        var actions: [CompactionDecision.Action?] = Array(repeating: nil, count: entries.count)
        var droppedRaw = 0
        var summarize: [Int] = []
        for (rank, f) in finished.enumerated() {
            let i = f.index
            let ownRecords = entries[i].ownRecords
            let summaryLSN = entries[i].summaryLSN
            guard let through, ownRecords == 0 || entries[i].lastOwnLSN <= through, summaryLSN != nil || ownRecords > 0 else {
                plan.notYetSealed += 1
                continue
            }
            var keep = (policy.keepLast.map { rank < $0 } ?? true) && (cutoff.map { f.at >= $0 } ?? true)
            if !keep, let parent = entries[i].parentID, let p = index.entry(parent), !p.status.isFinished {
                keep = true  // its parent may still ask for its result
            }
            if !keep, summaryLSN.map({ $0 <= through }) ?? true {
                actions[i] = .drop
                plan.dropped.append(CompactionPlan.DroppedWorkflow(
                    id: entries[i].id, name: entries[i].name, status: entries[i].status, finishedAt: f.at))
                plan.recordsToDrop += ownRecords + (summaryLSN == nil ? 0 : 1)
                droppedRaw += entries[i].ownBytes + entries[i].summaryBytes
                continue
            }
            if summaryLSN != nil {
                // Already summarized (or about to be dropped once its summary is sealed): only the summary stays.
                plan.retainedFinished += 1
                if ownRecords == 0 {
                    plan.alreadySummarized += 1
                } else {
                    actions[i] = .keepSummaryOnly
                    plan.recordsToDrop += ownRecords
                    droppedRaw += entries[i].ownBytes
                }
                continue
            }
            summarize.append(i)
        }

        var summaries: [Event] = []
        summaries.reserveCapacity(summarize.count)
        var summaryRaw = 0
        for i in summarize.reversed() {  // oldest finish first
            let o = entries[i]
            let event = WorkflowSummaryRecord(o).event
            let size = event.encoded().count
            guard size <= maxRecordSize else {
                plan.unfinished += 1  // too large to summarize: kept whole
                continue
            }
            summaries.append(event)
            summaryRaw += size
            actions[i] = .keepSummaryOnly
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
                let sender = s.sender.flatMap { index.positions[$0] }
                let senderKeptWhole = sender.map { actions[$0] == nil } ?? false
                switch senderKeptWhole ? nil : index.positions[destination].flatMap({ actions[$0] }) {
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
                drop = s.sender.flatMap { index.positions[$0] }.map { actions[$0] != nil } ?? false  // counted with its sender
            }
            if drop { droppedSends.insert(s.lsn.rawValue) }
        }

        // Schedule ticks: a schedule counts from its latest tick (``ScheduledStarts``), so only that record matters;
        // the workflows the others started keep their own records.
        var droppedTicks = Set<UInt64>()
        for t in sealedTicks where latestTicks[t.schedule]?.lsn != t.lsn { droppedTicks.insert(t.lsn.rawValue) }
        plan.recordsToDrop += droppedTicks.count

        if sealedRawBytes > 0 {
            // What is written is framed large (the kept records re-framed, the summaries batched): assume it
            // compresses at least as well as large frames of workflow events usually do (about 2.5×).
            let ratio = min(Double(sealedBytes) / Double(sealedRawBytes), 0.4)
            plan.expectedSealedBytes = Int64(Double(max(0, sealedRawBytes - droppedRaw)) * ratio)
            plan.expectedSummaryBytes = Int64(Double(summaryRaw) * ratio)
        } else {
            plan.expectedSealedBytes = sealedBytes
            plan.expectedSummaryBytes = Int64(summaryRaw)
        }
        plan.dropped.sort { ($0.finishedAt, $0.id) < ($1.finishedAt, $1.id) }
        var drop = IDHashSet(minimumCapacity: plan.dropped.count)
        var summaryOnly = IDHashSet(minimumCapacity: plan.retainedFinished)
        for i in actions.indices {
            switch actions[i] {
            case .drop: drop.insert(IDHash(entries[i].id))
            case .keepSummaryOnly: summaryOnly.insert(IDHash(entries[i].id))
            case nil: break
            }
        }
        return (plan, summaries, CompactionDecision(
            drop: drop, summaryOnly: summaryOnly, droppedSends: droppedSends, droppedTicks: droppedTicks))
    }
}

/// Which records of the sealed segments a compaction keeps: the predicate handed to ``CairnLog/Log/compact(through:keeping:)``.
package struct CompactionDecision: Sendable {
    enum Action: Sendable {
        /// A retained finished workflow: its summary record stays (with the records kept with it: its streams), the
        /// rest of its records go.
        case keepSummaryOnly
        /// A finished workflow beyond retention: every record goes.
        case drop
    }

    /// Workflows whose every record goes, and those of which only the summary stays (by ID hash).
    let drop: IDHashSet
    let summaryOnly: IDHashSet
    let droppedSends: Set<UInt64>
    /// Schedule tick records superseded by a later tick of their schedule (by LSN).
    var droppedTicks: Set<UInt64> = []

    /// Whether the compaction keeps `record`. A record that cannot be read is kept (`cairn verify` reports it).
    package func keep(_ record: LogRecordView) -> Bool {
        switch record.tag {
        case EventKind.messageSent.rawValue:
            return !droppedSends.contains(record.lsn.rawValue)
        case EventKind.engineStopped.rawValue:
            return true
        case EventKind.scheduleTicked.rawValue:
            return !droppedTicks.contains(record.lsn.rawValue)
        default:
            guard drop.count + summaryOnly.count > 0, let id = EnvelopePeek.workflowID(in: record.bytes) else { return true }
            let key = EnvelopePeek.hash(id, in: record.bytes)
            if drop.contains(key) { return false }
            if summaryOnly.contains(key) {
                return record.tag == EventKind.workflowSummary.rawValue
                    || EventKind(rawValue: record.tag)?.declaration.keptWithSummary == true
            }
            return true
        }
    }
}
