public import CairnLog
public import Logging
public import Tracing

/// How a ``WorkflowEngine`` runs: its log's durability, payload codec, clock, determinism checking and limits.
public struct EngineConfiguration: Sendable {
    /// The log's configuration (durability policy, segment size). Its logger defaults to ``logger``.
    public var log = LogConfiguration()
    /// Where the engine reports recoveries, divergences, parked workflows and failures.
    public var logger = Logger(label: "cairn")
    /// Extra dimensions added to every metric the engine reports (swift-metrics; the embedder picks the backend).
    public var metricsDimensions: [(String, String)] = []
    /// How user values become bytes. Default JSON, which `cairn show` can display.
    public var codec: any PayloadCodec = JSONPayloadCodec()
    /// Wall-clock time and waiting (tests substitute a clock that skips time).
    public var clock: any WorkflowClock = SystemWorkflowClock()
    /// How strictly live replay compares code with history. Default ``DeterminismMode/strict``.
    public var determinism: DeterminismMode = .strict
    /// The largest encoded payload accepted (input, result, message, event value). Larger ones are refused with
    /// ``WorkflowError/Code/payloadTooLarge`` before anything is written. Default 1 MiB.
    ///
    /// Each payload is written in one log record, with its event's envelope (IDs, names, call site; allowed
    /// ``envelopeAllowance`` bytes), so ``WorkflowEngine/open(directory:configuration:workflows:dependencies:)`` refuses a
    /// configuration where `maxPayloadSize + envelopeAllowance` exceeds `log.maxRecordSize`.
    public var maxPayloadSize = 1 << 20
    /// The longest error description recorded, in UTF-8 bytes: what a step or a workflow threw, as its
    /// ``StepFailure/message`` or ``WorkflowFailure/message``. A longer one is cut and ends in
    /// `… [truncated: N bytes in all]`; the workflow's code sees the cut message live and on replay alike. Never
    /// more than ``maxPayloadSize``. Default 64 KiB.
    public var maxErrorMessageSize = 64 << 10
    /// Recovery attempts, without progress and without a clean stop in between, after which a workflow is parked
    /// instead of resumed again. An attempt is counted only against a workflow that runs code of its own as soon as
    /// it is resumed: not against one whose main body waits durably — a sleep, a step's wait for its next attempt or
    /// an event read with a timeout still to come, a receive (with or without a timeout) whose message has not
    /// arrived, or a child's result while the child has not settled. A wait inside parallel branches (a branch's end
    /// is not recorded) is counted.
    /// Default 100.
    public var maxRecoveryAttempts = 100
    /// How many records recovery writes per commit (recovery attempts, parkings): each commit is one frame, which
    /// holds at most 256 MiB. Tests make it small.
    package var _recoveryRecordsPerCommit = 65_536
    /// Told each queue dispatch latency (``EngineMetrics/queueDispatchLatency``): the benchmark reads it.
    package var _dispatchObserver: (@Sendable (Duration) -> Void)?
    /// Threads for blocking step bodies (``WorkflowContext/blockingStep(_:retry:timeout:file:line:_:)``).
    /// Default 8.
    public var blockingThreads = 8
    /// How many workflows may run their code at once; the others wait, pending, in the order they were scheduled,
    /// and start as running ones finish or begin to wait. A workflow whose every task waits — in a sleep, a
    /// receive, an event read, a child's result, a step's wait for its next attempt, or a parallel call waiting for
    /// branches that all wait — does not count, so any number can wait, and waiting for a child never starves the
    /// child. Default 1024.
    ///
    /// The limit keeps a burst of starts from making a task (and its memory) for every workflow at once: with it,
    /// a started workflow costs its record and a queue entry until its turn comes. A step whose body *blocks* until
    /// another workflow makes progress can starve that workflow if all running workflows do it; raise the limit
    /// (or wait with ``WorkflowContext/receive(_:topic:timeout:file:line:)`` instead) for such code.
    public var maxRunningWorkflows = 1024
    /// How many workflows in a durable wait keep their task in memory ("cached"), so that a short wait — a sleep of
    /// milliseconds, a reply that comes at once — pays no replay. Beyond it the least recently idle one is evicted:
    /// its task and frames are released, it waits as its projection record and a timer or key entry (about 1 KB,
    /// its history's bytes included, instead of some 10 KB: `cairn-bench --workload waiting` measures it), and it is
    /// resumed by replay when its wake-up comes. 0 evicts every workflow
    /// as soon as it waits durably. Default 10,000.
    ///
    /// A durable wait is a sleep, a step's wait for its next attempt, a receive, an event read with a timeout, a
    /// child's result, or a parallel call whose every branch is in one of those (or has ended). An event read without
    /// a timeout is not recorded as a wait, so a workflow in one is never evicted. An evicted workflow's code sees its waits end with
    /// ``WorkflowError/Code/evicted``, which it must let through (as it must `.cancelled` and `.shuttingDown`).
    public var maxCachedWorkflows = 10_000
    /// How many changes each consumer of ``WorkflowEngine/changes(name:id:)``, ``WorkflowHandle/updates()`` or
    /// ``WorkflowHandle/eventValues(_:key:)`` may have waiting, unread. The engine never waits for a consumer: one
    /// that falls further behind is unsubscribed and its sequence throws ``WorkflowError/Code/fellBehind`` after
    /// the changes it had buffered. Each buffered change holds a summary or an event's value. The same bound holds
    /// for each reader of a stream (``WorkflowEngine/readStream(_:of:key:from:)``), in values. Default 10,000.
    public var maxBufferedChanges = 10_000
    /// Where the engine's spans go (swift-distributed-tracing): a span per workflow start, per run of a workflow's
    /// code and per step attempt (see <doc:Tracing>). Nil, the default, takes the tracer bootstrapped in
    /// `InstrumentationSystem` when the engine opens; when that is the no-op tracer (nothing bootstrapped) nothing is
    /// traced or recorded. Set `NoOpTracer()` to trace nothing whatever was bootstrapped.
    public var tracer: (any Tracer)?
    /// The queues workflows can be started on (``StartOptions/queue``), with their limits. A start on a queue not
    /// declared here is refused (``WorkflowError/Code/unknownQueue``). Workflows enqueued earlier on a queue no
    /// longer declared stay enqueued (``WorkflowEngine/queues()`` lists them) until it is declared again.
    public var queues: [WorkflowQueue] = []
    /// How long graceful shutdown lets running steps finish before cancelling them. Default 10 s.
    public var shutdownGracePeriod: Duration = .seconds(10)

    /// The defaults.
    public init() {}

    /// How many recent dequeue times the projection keeps per queue: its rate limit's count.
    var rateWindows: [String: Int] {
        Dictionary(queues.compactMap { q in q.rateLimit.map { (q.name, $0.count) } }, uniquingKeysWith: { a, _ in a })
    }

    /// The room a log record keeps for an event's envelope beside its payload (workflow ID, name, topic or key,
    /// call site, error type): 64 KiB.
    public static let envelopeAllowance = 64 << 10

    /// Refuses settings that could not work, before anything is opened or written.
    func validate() throws {
        guard maxPayloadSize >= 1 else {
            throw WorkflowError(.invalidArgument, "maxPayloadSize \(maxPayloadSize) must be at least 1 byte")
        }
        guard maxCachedWorkflows >= 0 else {
            throw WorkflowError(.invalidArgument, "maxCachedWorkflows \(maxCachedWorkflows) must not be negative (0 evicts every waiting workflow)")
        }
        guard maxRunningWorkflows >= 1 else {
            throw WorkflowError(.invalidArgument, "maxRunningWorkflows \(maxRunningWorkflows) must be at least 1")
        }
        guard maxBufferedChanges >= 1 else {
            throw WorkflowError(.invalidArgument, "maxBufferedChanges \(maxBufferedChanges) must be at least 1")
        }
        guard maxErrorMessageSize >= 0 else {
            throw WorkflowError(.invalidArgument, "maxErrorMessageSize \(maxErrorMessageSize) must not be negative")
        }
        var names: Set<String> = []
        for queue in queues {
            try queue.validate()
            guard names.insert(queue.name).inserted else {
                throw WorkflowError(.invalidArgument, "queue '\(queue.name)' is declared twice; give each queue one declaration")
            }
        }
        let needed = maxPayloadSize.addingReportingOverflow(Self.envelopeAllowance)
        guard !needed.overflow, needed.partialValue <= log.maxRecordSize else {
            throw WorkflowError(
                .invalidArgument,
                "maxPayloadSize (\(maxPayloadSize) bytes) plus \(Self.envelopeAllowance) bytes for the event envelope exceeds the log's maxRecordSize (\(log.maxRecordSize) bytes): a payload the engine accepts could not be written; lower maxPayloadSize to at most \(max(0, log.maxRecordSize - Self.envelopeAllowance)) or raise log.maxRecordSize (at most 64 MiB). Nothing was opened or written")
        }
    }
}
