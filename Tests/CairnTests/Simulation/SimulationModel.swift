/// What the engine must do, written from its documented semantics (not from what it does today): idempotent
/// starts by ID; each message sent without a key or with a key new for its target delivered exactly once, in send
/// order, to a receive on its topic; a repeated key ignored; cancel, resume and fork as documented.
struct SimModel {
    enum Status: Equatable { case active, cancelled, completed }

    enum Kind: Equatable {
        case receiver(n: Int, topic: String)
        case reader(target: String, key: String)
    }

    struct Flow {
        var kind: Kind
        var status: Status = .active
        /// Message names in the order received (a fork's first ones are copied from its original).
        var received: [String] = []
        /// How many of `received` were copied by a fork (never delivered to this workflow).
        var copied = 0
        /// A reader's expected output.
        var readerOutput: String?
    }

    /// Messages of which any `count` are delivered, in any order: one definite message (count 1), two sent
    /// concurrently without a key (count 2), or two sent concurrently with one key (count 1: either, not both).
    struct Slot: CustomStringConvertible {
        var candidates: [String]
        var count: Int
        var description: String { count == candidates.count ? candidates.joined(separator: "+") : "\(count) of \(candidates)" }
    }

    var flows: [String: Flow] = [:]
    /// Undelivered messages by target, then topic, in send order.
    var inboxes: [String: [String: [Slot]]] = [:]
    /// Idempotency keys used per target (a repeat is ignored whatever its topic).
    var keys: [String: Set<String>] = [:]
    /// Messages that must never be delivered: repeats of a used key, and the loser of a concurrent same-key pair.
    var neverDelivered: Set<String> = []

    /// Records an acknowledged send.
    mutating func sent(_ message: String, to target: String, topic: String, key: String?) {
        if let key, !keys[target, default: []].insert(key).inserted {
            neverDelivered.insert(message)
            return
        }
        inboxes[target, default: [:]][topic, default: []].append(Slot(candidates: [message], count: 1))
    }

    /// Records two acknowledged concurrent sends.
    mutating func sentConcurrently(_ first: String, _ second: String, to target: String, topic: String, key: String?) {
        if let key {
            if !keys[target, default: []].insert(key).inserted {
                neverDelivered.formUnion([first, second])
                return
            }
            inboxes[target, default: [:]][topic, default: []].append(Slot(candidates: [first, second], count: 1))
        } else {
            inboxes[target, default: [:]][topic, default: []].append(Slot(candidates: [first, second], count: 2))
        }
    }

    /// How many messages workflow `id` has received once it has taken in everything there is for it.
    func expectedReceived(_ id: String) -> Int? {
        guard let flow = flows[id], case .receiver(let n, let topic) = flow.kind else { return nil }
        guard flow.status == .active else { return flow.received.count }
        let available = (inboxes[id]?[topic] ?? []).reduce(0) { $0 + $1.count }
        return min(n, flow.received.count + available)
    }

    /// Takes `message` off receiver `id`'s inbox: it must be a candidate of the first slot. Returns the failure.
    mutating func deliver(_ message: String, to id: String) -> String? {
        guard case .receiver(let n, let topic)? = flows[id]?.kind else { return "\(id) is no receiver" }
        if neverDelivered.contains(message) {
            return "\(id) received \(message), which must never be delivered (a repeated idempotency key, or the other message of a same-key pair already delivered)"
        }
        guard var slots = inboxes[id]?[topic], !slots.isEmpty else {
            return "\(id) received \(message) but nothing is undelivered for it on topic \(topic) (delivered twice?)"
        }
        guard let index = slots[0].candidates.firstIndex(of: message) else {
            return "\(id) received \(message) but the next undelivered message on topic \(topic) is \(slots[0]) (delivered twice, or out of order?)"
        }
        slots[0].candidates.remove(at: index)
        slots[0].count -= 1
        if slots[0].count == 0 {
            neverDelivered.formUnion(slots[0].candidates)
            slots.removeFirst()
        }
        inboxes[id]![topic] = slots.isEmpty ? nil : slots
        flows[id]!.received.append(message)
        if flows[id]!.received.count == n { flows[id]!.status = .completed }
        return nil
    }

    /// The value of event "got-`index`" of `id`, if set.
    func event(_ index: Int, of id: String) -> String? {
        guard let flow = flows[id], case .receiver = flow.kind, index < flow.received.count else { return nil }
        return flow.received[index]
    }
}
