import CoreMetrics
import CairnLog
import DequeModule
import Logging
import Metrics
public import ServiceLifecycle
import Synchronization

/// The durable workflow engine a service embeds: opened on a log directory, nothing else to run.
///
/// ```swift
/// let engine = try await WorkflowEngine.open(
///     directory: "/var/lib/orders/cairn", workflows: [ProcessOrder.self])
/// let serviceGroup = ServiceGroup(services: [engine, httpServer], logger: logger)
/// // elsewhere, e.g. in a request handler:
/// let handle = try await engine.start(ProcessOrder.self, input: order, id: "order-\(order.id)")
/// let receipt = try await handle.result()
/// ```
///
/// Opening rebuilds the in-memory projection from the log (envelopes only; payloads stay bytes). ``run()``, which
/// a `ServiceGroup` calls, resumes every unfinished workflow by replay and then runs new ones; each recorded
/// operation returns its recorded outcome, and the first one past the record runs live.
///
/// **The commit rule.** A workflow's start is durable before ``start(_:input:id:)`` returns. A step's outcome is
/// durable before the workflow's next operation runs or its completion is reported; the last outcome and the
/// completion share one sync, so a 3-step workflow costs 4 syncs. Group commit shares each sync across all
/// workflows. Steps are at-least-once: a step interrupted by a crash runs again; a durable outcome never does.
public final class WorkflowEngine: Service, Sendable {
    /// The log directory (for an engine on another store, where that store is).
    public let directory: String
    /// The configuration the engine was opened with.
    public let configuration: EngineConfiguration
    /// Where the engine's records are (``LogStore`` for a log directory); nil for a replay-only engine
    /// (``WorkflowEngine/replay(directory:workflows:dependencies:ids:mode:configuration:)``), which writes nothing.
    let store: (any WorkflowStore)?
    let registry: [String: WorkflowRegistration]
    /// What workflow code reaches with ``WorkflowContext/dependency(_:file:line:)``: read, never recorded.
    let dependencies: WorkflowDependencies
    /// The error types recorded failures decode into (``DurableError``).
    let errorTypes: DurableErrorRegistry
    let state: Mutex<EngineState>
    let blockingPool: BlockingPool
    let metrics: EngineMetrics
    /// The engine's spans; nil when nothing is traced (and for a replay-only engine).
    let tracing: WorkflowTracing?
    /// The declared queues by name, and "" (delayed starts without a queue, unlimited) (``EngineConfiguration/queues``).
    let queues: [String: WorkflowQueue]
    /// Whether any workflow of this engine may belong to a queue (set before one is enqueued, or at open when the
    /// log has queued workflows): until then a workflow's end does not look at the queues.
    let queuesInUse = Atomic<Bool>(false)
    /// Fired when graceful shutdown begins, and when the engine has stopped.
    let shutdownRequested = Signal()
    let stopped = Signal()
    var logger: Logger { configuration.logger }
    var clock: any WorkflowClock { configuration.clock }
    var codec: any PayloadCodec { configuration.codec }

    init(
        directory: String, configuration: EngineConfiguration, store: (any WorkflowStore)?,
        registry: [String: WorkflowRegistration], dependencies: WorkflowDependencies, projection: Projection,
        metrics: EngineMetrics? = nil
    ) {
        self.directory = directory
        self.configuration = configuration
        self.store = store
        self.registry = registry
        self.dependencies = dependencies
        errorTypes = DurableErrorRegistry(registry.values)
        var queues = ["": WorkflowQueue("")]
        for queue in configuration.queues { queues[queue.name] = queue }
        self.queues = queues
        if !projection.queues.isEmpty { queuesInUse.store(true, ordering: .relaxed) }
        self.state = Mutex(EngineState(projection: projection))
        blockingPool = BlockingPool(threads: configuration.blockingThreads)
        self.metrics = metrics ?? EngineMetrics(dimensions: configuration.metricsDimensions)
        tracing = store == nil ? nil : WorkflowTracing.resolve(configuration.tracer, logger: configuration.logger)
    }

    /// Opens the engine on `directory` (created if missing) and rebuilds its state from the log.
    ///
    /// - Parameters:
    ///   - workflows: the workflow types this process can run; the children they declare (``Workflow/children``)
    ///     are registered with them, transitively. Unfinished workflows of other names are parked at recovery (and
    ///     resumed automatically once a later start registers them).
    ///   - dependencies: the service's clients and settings that workflow code reaches with
    ///     ``WorkflowContext/dependency(_:file:line:)`` (a test passes fakes). Not recorded: workflows resumed here
    ///     use these, whichever process started them.
    /// - Throws: ``CairnLog/LogError`` when the log cannot be opened (locked by another process, corrupt, …);
    ///   ``WorkflowError`` `.undecodableEvent` when an event cannot be decoded; `.invalidArgument` when the
    ///   configuration cannot work (``EngineConfiguration/maxPayloadSize`` does not fit the log's record limit),
    ///   `.idConflict` when two of the workflow types, given or declared as children, have one name, and
    ///   `.missingDependency` when one of them declares a dependency (``Workflow/dependencies``) not given here:
    ///   all before anything is opened.
    public static func open(
        directory: String, configuration: EngineConfiguration = EngineConfiguration(),
        workflows: [any Workflow.Type] = [], dependencies: WorkflowDependencies = WorkflowDependencies()
    ) async throws -> WorkflowEngine {
        try configuration.validate()
        var logConfiguration = configuration.log
        if logConfiguration.logger.label == "cairn.log" { logConfiguration.logger = configuration.logger }
        let metrics = EngineMetrics(dimensions: configuration.metricsDimensions)
        let userObserver = logConfiguration.commitObserver
        logConfiguration.commitObserver = { commit in
            metrics.logCommitRecords.record(commit.records)
            if let sync = commit.syncDuration {
                metrics.logSyncLatency.recordNanoseconds(sync.nanoseconds)
                metrics.syncHistogram.record(nanoseconds: sync.nanoseconds)
            }
            userObserver?(commit)
        }
        let store = LogStore(directory: directory, configuration: logConfiguration)
        return try await open(
            store: store, configuration: configuration, workflows: workflows, dependencies: dependencies, metrics: metrics)
    }

    /// Opens the engine on `store` and rebuilds its state from what the store reads at open. The store must not be
    /// open; it may have been opened and closed before (an engine restarted on the same store).
    ///
    /// - Throws: what ``WorkflowStore/open(delivering:visit:)`` throws; ``WorkflowError`` as
    ///   ``open(directory:configuration:workflows:dependencies:)``.
    package static func open(
        store: any WorkflowStore, configuration: EngineConfiguration = EngineConfiguration(),
        workflows: [any Workflow.Type] = [], dependencies: WorkflowDependencies = WorkflowDependencies()
    ) async throws -> WorkflowEngine {
        try configuration.validate()
        return try await open(
            store: store, configuration: configuration, workflows: workflows, dependencies: dependencies,
            metrics: EngineMetrics(dimensions: configuration.metricsDimensions))
    }

    private static func open(
        store: any WorkflowStore, configuration: EngineConfiguration, workflows: [any Workflow.Type],
        dependencies: WorkflowDependencies, metrics: EngineMetrics
    ) async throws -> WorkflowEngine {
        let registry = try makeRegistry(workflows)
        try dependencies.check(registry)
        let sink = CommitSink()
        let builder = ProjectionBuilder(rateWindows: configuration.rateWindows)
        try await store.open(delivering: sink) { record in try builder.apply(record) }
        let projection = builder.take()
        let engine = WorkflowEngine(
            directory: store.location, configuration: configuration, store: store, registry: registry,
            dependencies: dependencies, projection: projection, metrics: metrics)
        sink.engine = engine
        engine.logger.info(
            "workflow engine opened",
            metadata: [
                "directory": "\(store.location)", "events": "\(projection.eventCount)",
                "workflows": "\(projection.workflows.count)", "log": "\(store.openingReport)",
            ])
        return engine
    }

    /// The log, when the engine's store is a log directory (tests read it directly).
    var log: Log? { (store as? LogStore)?.log }

    /// The registrations of `workflows` and the children they declare, transitively (``WorkflowRegistry``).
    /// - Throws: the first of the registry's problems (`.idConflict`: two types under one name).
    static func makeRegistry(_ workflows: [any Workflow.Type]) throws(WorkflowError) -> [String: WorkflowRegistration] {
        try WorkflowRegistry.resolve(workflows).registrations
    }

    // MARK: Starting

    /// Starts a workflow, durably, and returns its handle; the engine runs it once ``run()`` is running.
    ///
    /// Idempotent by ID: starting an ID that exists returns that workflow's handle and starts nothing.
    /// - Parameters:
    ///   - id: the workflow's ID; a random UUID when nil. Use a business key (`"order-\(order.id)"`) to make
    ///     retries of the caller safe.
    /// - Throws: ``WorkflowError`` — `.idConflict` (the ID belongs to a workflow of another name),
    ///   `.unknownWorkflow` (not registered), `.payloadTooLarge`, `.shuttingDown`, `.logFailure`.
    public func start<W: Workflow>(_ type: W.Type, input: W.Input, id: String? = nil) async throws -> WorkflowHandle<W> {
        // The traced start in a function of its own: its closure and span must not enlarge this frame (``WorkflowTracing``).
        if tracing != nil { return try await startTraced(W.self, input: input, id: id) }
        let event = try startEvent(W.self, input: input, id: id, traceContext: nil)
        try await startDurably(event)
        return WorkflowHandle(id: event.workflowID, engine: self)
    }

    /// ``start(_:input:id:)`` inside a start span, whose context the start event records (``WorkflowTracing``).
    @inline(never)
    private func startTraced<W: Workflow>(_ type: W.Type, input: W.Input, id: String?) async throws -> WorkflowHandle<W> {
        try await tracing!.start(W.name) { recorded in
            let event = try startEvent(W.self, input: input, id: id, traceContext: recorded)
            try await startDurably(event)
            return WorkflowHandle(id: event.workflowID, engine: self)
        }
    }

    /// The event that starts a workflow of type `W`: checks the registration, picks an ID, encodes the input.
    @inline(never)
    func startEvent<W: Workflow>(_ type: W.Type, input: W.Input, id: String?, traceContext: String?) throws -> Event {
        guard registry[W.name] != nil else {
            throw WorkflowError(
                .unknownWorkflow,
                "workflow '\(W.name)' (\(String(reflecting: W.self))) is not registered; pass it to WorkflowEngine.open(workflows:), or declare it in the children of a workflow passed there")
        }
        let id = id ?? randomUUIDString()
        let payload = try encode(input, what: "the workflow's input", workflowID: id)
        return Event(
            kind: .workflowStarted, workflowID: id, name: W.name, time: clock.now(), traceContext: traceContext, payload: payload)
    }

    /// Writes a workflow's start (or finds it already there) and schedules it. Shared by ``start(_:input:id:)``,
    /// ``start(_:input:id:options:)`` and child workflows.
    ///
    /// - Parameters:
    ///   - extra: written before the start, in its commit, even when the workflow exists already (a parent's
    ///     pending outcomes and its marker of the child's start).
    ///   - following: written after the start, in its commit, only when this call writes the start (its enqueue).
    ///   - deduplication: the queue and deduplication ID the start claims (``StartOptions/deduplicationID``).
    /// - Returns: the ID of the workflow that holds `deduplication` when the policy returns it instead; nil otherwise.
    @discardableResult
    func startDurably(
        _ event: Event, alsoRecording extra: [Event] = [], then following: [Event] = [],
        deduplication: Deduplication? = nil
    ) async throws -> String? {
        switch try claimStart(event, deduplication: deduplication) {
        case .exists:
            // Another start of the same ID may still be writing: wait until it is visible.
            try await waitUntilKnown(event.workflowID)
            if !extra.isEmpty { try await commit(extra) }
            return nil
        case .deduplicated(let holder):
            return holder
        case .write:
            break
        }
        do {
            try await commit(extra + [event] + following)
        } catch {
            startWritten(event.workflowID, scheduling: false, deduplication: deduplication)
            throw error
        }
        startWritten(event.workflowID, scheduling: true, deduplication: deduplication)
        return nil
    }

    /// The queue and deduplication ID a start claims, and what it does when another workflow holds them.
    struct Deduplication {
        var key: Projection.Key
        var policy: DeduplicationPolicy
    }

    enum StartClaim {
        case write
        case exists
        case deduplicated(holder: String)
    }

    /// Decides whether this start writes the workflow's start event, or the workflow exists, or (deduplicated)
    /// another holds its deduplication ID.
    /// - Throws: `.shuttingDown`, `.idConflict` when the ID belongs to a workflow of another name, `.duplicate` when
    ///   the deduplication ID is held and the policy rejects.
    @inline(never)
    private func claimStart(_ event: Event, deduplication: Deduplication?) throws -> StartClaim {
        let id = event.workflowID
        return try state.withLock { s throws(WorkflowError) -> StartClaim in
            if s.phase >= .draining {
                throw WorkflowError(.shuttingDown, "the engine is shutting down; no workflow is started", workflowID: id)
            }
            if let index = s.projection.workflows.index(forKey: id) {
                let name = s.projection.workflows[at: index].summary.name
                if name != event.name {
                    throw WorkflowError(
                        .idConflict, "ID '\(id)' belongs to a workflow named '\(name)', not '\(event.name)'; choose another ID",
                        workflowID: id)
                }
                return .exists
            }
            if s.starting.contains(id) { return .exists }
            if let deduplication {
                let key = deduplication.key
                if let holder = s.projection.queues.holder(ofDeduplicationID: key.name, in: key.workflowID)
                    ?? s.deduplicating[key]
                {
                    guard deduplication.policy == .returnExisting else {
                        throw WorkflowError(
                            .duplicate,
                            "deduplication ID '\(key.name)' is held by workflow '\(holder)', queued or running on queue '\(key.workflowID)'; nothing was written — wait for it to settle, or start with onDuplicate: .returnExisting to get its handle",
                            workflowID: id)
                    }
                    return .deduplicated(holder: holder)
                }
                s.deduplicating[key] = id
            }
            s.starting.insert(id)
            s.startedHere?.insert(id)
            return .write
        }
    }

    /// After a start was written (or failed to be): releases its claims and, when written, schedules the workflow
    /// (an enqueued one waits for its queue instead: `schedule` finds it not pending).
    @inline(never)
    private func startWritten(_ id: String, scheduling: Bool, deduplication: Deduplication? = nil) {
        if let deduplication { _ = state.withLock { $0.deduplicating.removeValue(forKey: deduplication.key) } }
        guard scheduling else {
            _ = state.withLock { $0.starting.remove(id) }
            return
        }
        metrics.started.increment()
        schedule(id, afterStart: true)
    }

    private func waitUntilKnown(_ id: String) async throws {
        while true {
            let signal = Signal()
            let known = state.withLock { s -> Bool in
                if s.projection.workflows[id] != nil { return true }
                s.workflowWaiters[id, default: []].append(signal)
                return false
            }
            if known { return }
            await signal.wait()
            try Task.checkCancellation()
        }
    }

    /// A handle on workflow `id` of type `W`, started earlier (in this process or before a restart): its result,
    /// status and summary, and sending, events and cancellation from outside.
    ///
    /// Looks nothing up: an unknown ID is reported by the handle's calls (``WorkflowError`` `.notFound`), and a
    /// workflow of another type by its result (`.idConflict`).
    public func handle<W: Workflow>(for id: String, of type: W.Type) -> WorkflowHandle<W> {
        WorkflowHandle(id: id, engine: self)
    }

    // MARK: Messages from outside

    /// Sends a message to a workflow's inbox from outside any workflow. Delivered exactly once to a
    /// ``WorkflowContext/receive(_:topic:timeout:file:line:)`` on the same topic, even across restarts.
    ///
    /// A message to an ID that does not exist yet is kept until that workflow starts and receives it. A message to
    /// a finished workflow is kept but never delivered. With an `idempotencyKey`, a second send with the same key
    /// to the same workflow is ignored.
    public func send<M: Codable & Sendable>(
        _ message: M, to workflowID: String, topic: String = "", idempotencyKey: String? = nil
    ) async throws {
        let payload = try encode(message, what: "the message", workflowID: workflowID)
        try await commit([
            Event(
                kind: .messageSent, workflowID: "", name: topic, time: clock.now(), target: workflowID,
                idempotencyKey: idempotencyKey, payload: payload)
        ])
    }

    /// The value a workflow set for `key` with ``WorkflowContext/setEvent(_:_:file:line:)``, waiting up to
    /// `timeout` for it to be set (nil: do not wait). Returns nil when it is not set in time.
    public func event<V: Codable & Sendable>(
        _ type: V.Type, key: String, of workflowID: String, timeout: Duration? = nil
    ) async throws -> V? {
        let key = Projection.Key(workflowID: workflowID, name: key)
        // No timeout: look without waiting (a deadline of now), as documented.
        let deadline = clock.deadline(after: timeout.map { UInt64(max(0, $0.nanoseconds)) } ?? 0)
        guard let bytes = try await waitForEvent(key, deadline: deadline) else { return nil }
        return try decode(V.self, from: bytes, what: "event '\(key.name)'", workflowID: workflowID, position: nil)
    }

    // MARK: Payloads

    /// Encodes a payload, refusing one over ``EngineConfiguration/maxPayloadSize`` before anything is written.
    /// `what` names the value in errors; it is only built when there is one (this runs for every payload).
    /// Never inlined: async callers would carry its error paths in their frames.
    @inline(never)
    func encode<T: Encodable>(
        _ value: T, what: @autoclosure () -> String, workflowID: String, position: Position? = nil
    ) throws -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try codec.encode(value)
        } catch {
            throw WorkflowError(
                .undecodablePayload, "\(what()) could not be encoded: \(error)", workflowID: workflowID, position: position,
                underlying: SendableError(error))
        }
        guard bytes.count <= configuration.maxPayloadSize else {
            throw WorkflowError(
                .payloadTooLarge,
                "\(what()) is \(bytes.count) bytes, over maxPayloadSize (\(configuration.maxPayloadSize)); nothing was written — store large data elsewhere and pass a reference",
                workflowID: workflowID, position: position)
        }
        return bytes
    }

    /// Decodes a payload recorded as `T`. Never inlined, as ``encode(_:what:workflowID:position:)``.
    @inline(never)
    func decode<T: Decodable>(
        _ type: T.Type, from bytes: [UInt8], what: @autoclosure () -> String, workflowID: String, position: Position?
    ) throws -> T {
        do {
            return try codec.decode(T.self, from: bytes)
        } catch {
            throw WorkflowError(
                .undecodablePayload,
                "\(what()) was recorded as bytes that do not decode as \(T.self) (\(error)); did its type change?",
                workflowID: workflowID, position: position, underlying: SendableError(error))
        }
    }
}

/// The state behind the engine's lock.
struct EngineState: ~Copyable {
    enum Phase: Int, Comparable {
        case idle, running, draining, stopped
        static func < (a: Phase, b: Phase) -> Bool { a.rawValue < b.rawValue }
    }

    var projection: Projection
    var phase = Phase.idle
    /// Set by `_crash()` (tests): the log was abandoned, nothing more is written.
    var crashed = false
    /// The first failure of the log itself (poisoned by a failed write or sync): the engine stops, and `run()` throws it.
    var logFailure: WorkflowError?
    /// IDs whose start is being written.
    var starting: Set<String> = []
    /// Deduplication IDs (queue, ID) claimed by starts being written, and by which workflow.
    var deduplicating: [Projection.Key: String] = [:]
    /// What the queue dispatcher (``WorkflowEngine/dispatchLoop()``) sleeps on: poked when a slot may have freed or
    /// a workflow joined a queue.
    var dispatcherSignal: Signal?
    /// When the earliest queue slot freed since the dispatcher last started a workflow (its latency metric).
    var slotFreedAt: ContinuousClock.Instant?
    /// IDs started by this process before recovery looked at the projection (nil afterwards): scheduled by their
    /// start, they are no recovery of an earlier process's work.
    var startedHere: Set<String>? = []
    /// Workflows to schedule once recovery is done (nil from then on): started before ``WorkflowEngine/run()``
    /// or during its recovery, and the unfinished ones recovery resumes.
    var queued: [String]? = []
    /// Workflows taken on for execution in this process, from the claim until the end is recorded: at most one
    /// execution per workflow.
    var executing: [String: WorkflowExecution] = [:]
    /// Executions whose code runs (not in a durable wait): at most ``EngineConfiguration/maxRunningWorkflows``.
    var running = 0
    /// Workflows scheduled while `running` was at the limit, in order: the next to start as a slot frees.
    var backlog = Deque<String>()
    /// Runs whose every task waits durably, kept in memory up to ``EngineConfiguration/maxCachedWorkflows``.
    var cache = RunCache()
    /// Evicted workflows, each waiting for its wake-up as a record (no task).
    var room = WaitingRoom()
    /// Workflows the waiting room let go (their wake-up came), for the waker to schedule.
    var woken: [String] = []
    /// What the waker (``WorkflowEngine/wakeLoop()``) sleeps on, and the deadline it sleeps until: poked when
    /// ``woken`` gets workflows or the room an earlier deadline.
    var wakerSignal: Signal?
    var armedDeadline = Int64.max
    /// Fired when `executing` becomes empty (``WorkflowEngine/run()`` waits for it before closing the log).
    var drainWaiters: [Signal] = []
    /// Tasks waiting for a message or an event key.
    var keyWaiters: [Projection.Key: [Signal]] = [:]
    /// Tasks waiting for a workflow to appear or change status.
    var workflowWaiters: [String: [Signal]] = [:]
    /// Who follows changes as they are committed (``WorkflowEngine/changes(name:id:)``).
    var changeSubscribers = ChangeSubscribers()
    /// What the schedule and debounce calls share with ``WorkflowEngine/timedStartLoop()``.
    var timedStarts = TimedStartsState()

    init(projection: consuming Projection) { self.projection = projection }
}

/// Wraps a non-Sendable error so it can travel inside a ``WorkflowError``.
struct SendableError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ error: any Error) { description = "\(error)" }
}

extension Duration {
    /// The duration in nanoseconds, saturated to `Int64`'s range (about 292 years either way): `.seconds(.max)`
    /// means "forever", not a trap. A trap here would recur on every replay of the operation: a crash loop.
    var nanoseconds: Int64 {
        let (s, a) = components
        let (whole, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return s < 0 ? .min : .max }
        return whole.addingSaturating(a / 1_000_000_000)
    }

    /// The longest single wait Cairn asks the runtime for (about 34,800 years): the runtime's sleep traps when
    /// its deadline's seconds exceed `Int64`, so longer waits are cut to this, which never ends in practice.
    static let longestWait = Duration.seconds(Int64(1) << 40)

    /// The duration as a wait: negative ones are zero, huge ones ``longestWait``.
    var asWait: Duration { self < .zero ? .zero : Swift.min(self, Self.longestWait) }
}

extension Int64 {
    /// `self + other`, saturated at `Int64.min` / `Int64.max`: deadlines far in the future mean "never".
    func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other < 0 ? .min : .max
    }

    /// `self - other`, saturated at `Int64.min` / `Int64.max`.
    func subtractingSaturating(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }
}

extension WorkflowClock {
    /// The deadline `nanoseconds` from now, saturated at `Int64.max` ("never").
    func deadline(after nanoseconds: UInt64) -> Int64 {
        now().addingSaturating(Int64(clamping: nanoseconds))
    }
}

func randomUUIDString() -> String {
    var g = SystemRandomNumberGenerator()
    return uuidString(high: g.next(), low: g.next())
}

/// An RFC 4122 version-4 UUID string from 128 random bits.
func uuidString(high: UInt64, low: UInt64) -> String {
    let h = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
    let l = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
    func hex(_ v: UInt64, _ digits: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: digits - s.count) + s
    }
    return "\(hex(h >> 32, 8))-\(hex((h >> 16) & 0xFFFF, 4))-\(hex(h & 0xFFFF, 4))-\(hex(l >> 48, 4))-\(hex(l & 0xFFFF_FFFF_FFFF, 12))"
}
