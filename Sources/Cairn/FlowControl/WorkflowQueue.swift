#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A named queue, declared in code (``EngineConfiguration/queues``): workflows started on it
/// (``StartOptions/queue``) wait, durably, until its limits let them start, in order of priority, then of enqueue.
///
/// ```swift
/// var configuration = EngineConfiguration()
/// configuration.queues = [
///     WorkflowQueue("emails", concurrency: 10, rateLimit: .init(50, per: .seconds(1))),
///     WorkflowQueue("reports", partitionConcurrency: 1),  // one report at a time per customer
/// ]
/// let handle = try await engine.start(
///     SendEmail.self, input: email, options: StartOptions(queue: "emails", priority: 1))
/// ```
///
/// **Limits.** A workflow holds a slot of its queue from its dequeue until it settles (completes, fails, is
/// cancelled or parked), its sleeps and waits included. `concurrency` bounds the slots held across every engine
/// sharing the store; `workerConcurrency` those held by workflows this process runs (with a log directory, one
/// process owns the log, so the two count the same workflows); `partitionConcurrency` those held per partition key
/// (``StartOptions/partitionKey``); `rateLimit` the dequeues in any window of its period. Each is optional.
///
/// **Crash safety.** An enqueue is written with the workflow's start, before ``WorkflowEngine/start(_:input:id:options:)``
/// returns; a dequeue is a record too (``EventKind/workflowDequeued``), written before the workflow runs any code.
/// A restart rebuilds every queue from the log: nothing dequeued twice, nothing lost, the slots held and the rate
/// window's recent starts as they were. The dispatcher reacts to the commit that frees a slot or enqueues a
/// workflow; it never polls (it sleeps only until a not-before time or a rate window's end).
public struct WorkflowQueue: Sendable, Hashable {
    /// At most `count` dequeues in any window of `period`.
    public struct RateLimit: Sendable, Hashable {
        /// The most dequeues in any window; at least 1 (at most 1,000,000).
        public var count: Int
        /// The window's length; positive.
        public var period: Duration

        /// At most `count` dequeues per `period` (checked when the engine opens).
        public init(_ count: Int, per period: Duration) {
            self.count = count
            self.period = period
        }
    }

    /// The queue's name, unique among the engine's queues, not empty.
    public var name: String
    /// At most this many of its workflows hold a slot at once, across every engine on the store. Nil: no bound.
    public var concurrency: Int?
    /// At most this many of its workflows hold a slot at once in this process. Nil: no bound.
    public var workerConcurrency: Int?
    /// At most this many of its workflows with one partition key hold a slot at once. Nil: no partitions (a start
    /// with a ``StartOptions/partitionKey`` is refused).
    public var partitionConcurrency: Int?
    /// At most this many dequeues per period. Nil: no rate limit.
    public var rateLimit: RateLimit?

    /// A queue named `name` with the given limits (nil: no bound); checked when the engine opens.
    public init(
        _ name: String, concurrency: Int? = nil, workerConcurrency: Int? = nil, partitionConcurrency: Int? = nil,
        rateLimit: RateLimit? = nil
    ) {
        self.name = name
        self.concurrency = concurrency
        self.workerConcurrency = workerConcurrency
        self.partitionConcurrency = partitionConcurrency
        self.rateLimit = rateLimit
    }

    /// The largest number of its slots that may be held, given the slots `held` now (`Int.max`: unbounded).
    func free(held: Int) -> Int {
        var limit = Int.max
        if let concurrency { limit = Swift.min(limit, concurrency) }
        if let workerConcurrency { limit = Swift.min(limit, workerConcurrency) }
        return limit == .max ? .max : Swift.max(0, limit - held)
    }

    /// Refuses a declaration that could not work.
    func validate() throws(WorkflowError) {
        func refuse(_ problem: String) -> WorkflowError {
            WorkflowError(.invalidArgument, "queue '\(name)': \(problem); nothing was opened or written")
        }
        guard !name.isEmpty else { throw refuse("a queue needs a name") }
        for (limit, value) in [("concurrency", concurrency), ("workerConcurrency", workerConcurrency), ("partitionConcurrency", partitionConcurrency)] {
            if let value, value < 1 { throw refuse("\(limit) is \(value); it must be at least 1 (nil for no bound)") }
        }
        if let rate = rateLimit {
            guard rate.count >= 1 else { throw refuse("the rate limit's count is \(rate.count); it must be at least 1") }
            guard rate.count <= 1_000_000 else {
                throw refuse("the rate limit's count is \(rate.count); at most 1,000,000 starts per period are supported")
            }
            guard rate.period > .zero else { throw refuse("the rate limit's period is \(rate.period); it must be positive") }
        }
    }
}

/// What ``WorkflowEngine/start(_:input:id:options:)`` does when another workflow of the queue, queued or running,
/// holds the same ``StartOptions/deduplicationID``.
public enum DeduplicationPolicy: Sendable, Hashable {
    /// Throw ``WorkflowError/Code/duplicate``, naming the workflow that holds the ID; nothing is written.
    case reject
    /// Return the handle of the workflow that holds the ID; nothing is written.
    case returnExisting
}

/// How a workflow is started: on a queue, with a priority and a partition key, not before a time, deduplicated,
/// with a deadline. ``WorkflowEngine/start(_:input:id:options:)`` and ``WorkflowContext/startChild(_:input:id:options:file:line:)``.
///
/// A start with a queue, a not-before time or a deduplication ID is *enqueued*: its status is
/// ``WorkflowStatus/enqueued`` until its queue lets it start. Without a queue it waits only for its not-before time.
public struct StartOptions: Sendable, Hashable {
    /// The queue (declared in ``EngineConfiguration/queues``); nil: none.
    public var queue: String?
    /// Lower starts first; equal priorities start in enqueue order. Default 0.
    public var priority: Int
    /// The partition the queue's ``WorkflowQueue/partitionConcurrency`` counts it in (a customer's ID, say).
    public var partitionKey: String?
    /// The earliest time it may start (a delayed start); nil: as soon as its queue allows. With ``delay`` too,
    /// the later of the two.
    public var notBefore: Date?
    /// Start it only if no other workflow of its queue with this ID is queued or running (see ``onDuplicate``).
    public var deduplicationID: String?
    /// What to do when ``deduplicationID`` is taken. Default ``DeduplicationPolicy/reject``.
    public var onDuplicate: DeduplicationPolicy
    /// How long it may take, from its start, before it and its descendants are cancelled durably (their steps in
    /// flight see cancellation; ``WorkflowHandle/result()`` throws ``WorkflowError/Code/timedOut``). Recorded as an
    /// absolute deadline, which survives restarts. Nil: a child inherits its parent's deadline; a top-level
    /// workflow has none.
    public var timeout: Duration?
    /// Wait this long before it may start (sets the not-before time when the workflow is started).
    public var delay: Duration?

    /// Options for a start; the defaults start at once, with no queue and no deadline (see each property).
    public init(
        queue: String? = nil, priority: Int = 0, partitionKey: String? = nil, delay: Duration? = nil,
        notBefore: Date? = nil, deduplicationID: String? = nil, onDuplicate: DeduplicationPolicy = .reject,
        timeout: Duration? = nil
    ) {
        self.queue = queue
        self.priority = priority
        self.partitionKey = partitionKey
        self.delay = delay
        self.notBefore = notBefore
        self.deduplicationID = deduplicationID
        self.onDuplicate = onDuplicate
        self.timeout = timeout
    }

    /// Whether a start with these options waits in a queue (``WorkflowStatus/enqueued``).
    var enqueues: Bool { queue != nil || delay != nil || notBefore != nil || deduplicationID != nil }
}
