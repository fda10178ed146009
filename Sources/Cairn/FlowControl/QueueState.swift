import Synchronization
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A queue as it stands: how many of its workflows wait and how many hold a slot, and its limits when known
/// (``WorkflowEngine/queueStates()``, `cairn inspect`).
public struct QueueState: Sendable, Hashable {
    /// The queue's name ("" for delayed starts without a queue).
    public var name: String
    /// Workflows waiting for it (``WorkflowStatus/enqueued``), delayed ones included.
    public var waiting: Int
    /// Of those, the ones whose not-before time has not come.
    public var delayed: Int
    /// Workflows holding a slot: dequeued and not yet settled.
    public var running: Int
    /// Its declaration (the engine's, or for a tool the latest one recorded in the log); nil when unknown.
    public var declaration: WorkflowQueue?
}

extension QueueBook {
    /// Every queue anything joined, by name, with `declarations` where known.
    func states(now: Int64, declarations: [String: WorkflowQueue]) -> [QueueState] {
        lines.keys.sorted().map { name in
            let line = lines[name]!
            let delayed = members.values.reduce(0) { $0 + ($1.queue == name && $1.place == .waiting && $1.notBefore > now ? 1 : 0) }
            return QueueState(
                name: name, waiting: line.waiting, delayed: delayed, running: line.active, declaration: declarations[name])
        }
    }

    /// Why enqueued workflow `id` waits, in words (nil when it does not wait in a queue): its not-before time, or
    /// its place in its queue and the limit that holds it (when `declaration` is known).
    func waitReason(of id: String, now: Int64, declaration: WorkflowQueue?) -> String? {
        guard let member = members[id], member.place == .waiting, let line = lines[member.queue] else { return nil }
        if member.notBefore > now {
            let when = Date(nanosecondsSince1970: member.notBefore).formatted(.iso8601)
            return member.queue.isEmpty ? "delayed until \(when)" : "delayed until \(when), then queue '\(member.queue)'"
        }
        if member.queue.isEmpty { return "due: starting" }
        let ahead = members.values.reduce(0) { count, other in
            let before = other.queue == member.queue && other.place == .waiting && other.notBefore <= now
                && (other.priority, other.order) < (member.priority, member.order)
            return count + (before ? 1 : 0)
        }
        var reason = "queue '\(member.queue)': \(ahead) ahead, \(line.active) running"
        if let declaration {
            let held = line.activeByPartition[member.partition] ?? 0
            if declaration.free(held: line.active) == 0 {
                reason += " (at its concurrency limit)"
            } else if let limit = declaration.partitionConcurrency, held >= limit {
                reason += " (partition '\(member.partition)' at its limit of \(limit))"
            } else if let rate = declaration.rateLimit, line.recentStarts.count >= rate.count {
                reason += " (at its rate limit of \(rate.count) per \(rate.period))"
            }
        } else if !member.partition.isEmpty {
            reason += ", partition '\(member.partition)'"
        }
        return reason
    }
}

extension WorkflowEngine {
    /// Every queue workflows joined (and every declared one), with how many wait and how many hold a slot.
    public func queueStates() -> [QueueState] {
        let now = clock.now()
        var states = state.withLock { $0.projection.queues.states(now: now, declarations: queues) }
        let known = Set(states.map(\.name))
        for queue in configuration.queues where !known.contains(queue.name) {
            states.append(QueueState(name: queue.name, waiting: 0, delayed: 0, running: 0, declaration: queue))
        }
        return states.sorted { $0.name < $1.name }
    }

    /// Why workflow `id` is still ``WorkflowStatus/enqueued`` — its not-before time, or its place in its queue and
    /// the limit that holds it — in words; nil when it does not wait in a queue.
    public func waitReason(of id: String) -> String? {
        let now = clock.now()
        return state.withLock { s in
            guard let member = s.projection.queues.member(id) else { return nil }
            return s.projection.queues.waitReason(of: id, now: now, declaration: queues[member.queue])
        }
    }
}
