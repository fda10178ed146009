import CairnTestSupport

/// One step of a simulated episode. Operations name their IDs, messages and keys explicitly, so that any
/// subsequence of an episode is an episode too (the shrinker removes operations and runs what is left).
enum SimOperation: Sendable, CustomStringConvertible {
    /// Starts receiver `id` (idempotent when it exists).
    case start(id: String, n: Int, topic: String)
    /// Two concurrent starts of the same receiver ID: one workflow.
    case startTwice(id: String, n: Int, topic: String)
    /// Starts a reader of `target`'s event "got-`index`" (`.idConflict` when `id` is a receiver).
    case startReader(id: String, target: String, index: Int)
    /// Sends a message from outside, with or without an idempotency key.
    case send(target: String, topic: String, message: String, key: String?)
    /// Two concurrent sends to the same inbox: with a key, one of the two is delivered; without, both are.
    case sendPair(target: String, topic: String, first: String, second: String, key: String?)
    /// Reads event "got-`index`" of `id` from outside.
    case readEvent(id: String, index: Int)
    case cancel(id: String)
    case resume(id: String)
    /// Forks receiver `id` before its `messages`-th message (clamped to what it received) as `newID`.
    case fork(id: String, messages: Int, newID: String)
    /// Compacts the log (no workflow dropped: finished histories become summaries).
    case compact
    /// `_crash()` when everything is settled, then reopen the directory.
    case crash
    /// Sends a message and crashes at once, while the workflows are still taking it in.
    case sendThenCrash(target: String, topic: String, message: String, key: String?)

    var description: String {
        func k(_ key: String?) -> String { key.map { " key \($0)" } ?? "" }
        switch self {
        case .start(let id, let n, let topic): return "start \(id) n \(n) topic \(topic)"
        case .startTwice(let id, let n, let topic): return "start twice concurrently \(id) n \(n) topic \(topic)"
        case .startReader(let id, let target, let index): return "start reader \(id) of \(target) got-\(index)"
        case .send(let target, let topic, let message, let key): return "send \(message) to \(target) topic \(topic)\(k(key))"
        case .sendPair(let target, let topic, let first, let second, let key):
            return "send \(first) and \(second) concurrently to \(target) topic \(topic)\(k(key))"
        case .readEvent(let id, let index): return "read event got-\(index) of \(id)"
        case .cancel(let id): return "cancel \(id)"
        case .resume(let id): return "resume \(id)"
        case .fork(let id, let messages, let newID): return "fork \(id) before message \(messages) as \(newID)"
        case .compact: return "compact"
        case .crash: return "crash and reopen"
        case .sendThenCrash(let target, let topic, let message, let key):
            return "send \(message) to \(target) topic \(topic)\(k(key)) and crash at once"
        }
    }
}

/// Makes an episode's operations from a seed: the same seed gives the same operations on every platform.
struct SimOperationGenerator {
    /// Concurrent sends of two different messages with one idempotency key (issue 9, item 1).
    var concurrentSameKeySends: Bool
    private var random: SeededGenerator
    private var receivers: [String] = []
    private var readers: [String] = []
    private var nextWorkflow = 0
    private var nextMessage = 0
    private var nextKey = 0
    private var keys: [String] = []

    init(seed: UInt64, concurrentSameKeySends: Bool) {
        random = SeededGenerator(seed: seed)
        self.concurrentSameKeySends = concurrentSameKeySends
    }

    static let topics = ["a", "b"]

    mutating func operations(_ count: Int) -> [SimOperation] {
        (0..<count).map { _ in next() }
    }

    private mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    private mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
    private mutating func topic() -> String { chance(85) ? "a" : "b" }

    private mutating func message() -> String {
        defer { nextMessage += 1 }
        return "m\(nextMessage)"
    }

    private mutating func newWorkflowID() -> String { "w\(nextWorkflow)" }

    /// A known receiver mostly; sometimes the next ID to be started (a message that waits for its workflow), a
    /// reader, or an ID nobody starts.
    private mutating func target() -> String {
        let r = int(0...99)
        if r < 80, !receivers.isEmpty { return receivers.randomElement(using: &random)! }
        if r < 90 { return newWorkflowID() }
        if r < 95, !readers.isEmpty { return readers.randomElement(using: &random)! }
        return "nobody"
    }

    /// No key, a fresh key, or one used before (to this target or another).
    private mutating func key() -> String? {
        let r = int(0...99)
        if r < 50 { return nil }
        if r < 75 || keys.isEmpty {
            defer { nextKey += 1 }
            keys.append("k\(nextKey)")
            return keys.last
        }
        return keys.randomElement(using: &random)!
    }

    private mutating func existing() -> String {
        let all = receivers + readers
        return all.isEmpty ? "nobody" : all.randomElement(using: &random)!
    }

    private mutating func next() -> SimOperation {
        let r = int(0...99)
        switch r {
        case 0..<12:
            let id = newWorkflowID()
            nextWorkflow += 1
            receivers.append(id)
            return .start(id: id, n: int(1...4), topic: topic())
        case 12..<15:
            let id = newWorkflowID()
            nextWorkflow += 1
            receivers.append(id)
            return .startTwice(id: id, n: int(1...4), topic: topic())
        case 15..<18:
            // A start of an existing ID: the same type (nothing happens) or the other one (refused).
            let id = existing()
            return chance(60)
                ? .start(id: id, n: int(1...4), topic: topic()) : .startReader(id: id, target: existing(), index: int(0...2))
        case 18..<22:
            let id = "r\(readers.count)"
            readers.append(id)
            return .startReader(id: id, target: existing(), index: int(0...2))
        case 22..<52:
            return .send(target: target(), topic: topic(), message: message(), key: key())
        case 52..<58:
            let key: String?
            if concurrentSameKeySends && chance(60) {
                defer { nextKey += 1 }
                keys.append("k\(nextKey)")
                key = keys.last
            } else {
                key = nil
            }
            return .sendPair(target: target(), topic: topic(), first: message(), second: message(), key: key)
        case 58..<64:
            return .readEvent(id: existing(), index: int(0...3))
        case 64..<69:
            return .cancel(id: existing())
        case 69..<75:
            return .resume(id: existing())
        case 75..<80:
            guard let id = receivers.randomElement(using: &random) else { return .compact }
            let newID = newWorkflowID()
            nextWorkflow += 1
            receivers.append(newID)
            return .fork(id: id, messages: int(0...3), newID: newID)
        case 80..<83:
            return .compact
        case 83..<86:
            return .crash
        case 86..<88:
            return .sendThenCrash(target: target(), topic: topic(), message: message(), key: key())
        default:
            return .send(target: target(), topic: topic(), message: message(), key: nil)
        }
    }
}
