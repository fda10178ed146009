import Cairn
import CairnLog
import CairnTestSupport
import Foundation

/// Why an episode failed: the operation (its index in the episode, nil at the end) and what went wrong.
struct SimFailure: Error, CustomStringConvertible {
    var operation: Int?
    var message: String
    var description: String { "\(operation.map { "after operation \($0)" } ?? "at the end"): \(message)" }
}

/// Counts across episodes, for the report.
struct SimStatistics: Sendable {
    var operations = 0
    var crashes = 0
    var compactions = 0
    var delivered = 0
    var workflows = 0
    mutating func add(_ other: SimStatistics) {
        operations += other.operations
        crashes += other.crashes
        compactions += other.compactions
        delivered += other.delivered
        workflows += other.workflows
    }
}

/// Runs one episode (a list of operations) on a fresh directory against ``SimModel``, checking after every
/// operation that the engine settles where the model says, that its live projection equals the one rebuilt from
/// its log, and at the end that every result is the model's and no acknowledged step ran again.
final class SimEpisode {
    private let directory: String
    private let probe = Probe()
    private var model = SimModel()
    private var engine: WorkflowEngine!
    private var runner: Task<Void, any Error>?
    /// Step runs ("ID i") counted when the step was found recorded in the log: they may never change again.
    private var acknowledged: [String: Int] = [:]
    /// A crash that did not wait for the workflows to settle: a step interrupted by it may run twice (steps are
    /// at-least-once until their outcome is durable).
    private var crashedInFlight = false
    private(set) var statistics = SimStatistics()
    /// The summaries the last projection check saw (emptied to check everything again).
    private var checkedSummaries: [String: WorkflowSummary] = [:]
    /// The projection rebuilt from the log at the last check, continued by the next (nil after a crash or a
    /// compaction, which rebuild from the start).
    private var rebuiltSoFar: LogProjection?
    /// Completed workflows whose output was checked.
    private var verified: Set<String> = []

    private init(directory: String) { self.directory = directory }

    /// Runs `operations`; nil when every check held.
    static func run(_ operations: [SimOperation]) async -> (SimFailure?, SimStatistics) {
        let directory = temporaryPath("sim")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let episode = SimEpisode(directory: directory)
        defer { episode.probe.openAll() }
        var failure: SimFailure?
        do {
            try await episode.open()
            for (index, operation) in operations.enumerated() {
                do {
                    try await episode.apply(operation)
                    try await episode.settle()
                    try await episode.compareProjections()
                    episode.statistics.operations += 1
                } catch let error as SimFailure {
                    throw SimFailure(operation: index, message: error.message)
                } catch {
                    throw SimFailure(operation: index, message: "unexpected error: \(error)")
                }
            }
            try await episode.finish()
        } catch let error as SimFailure {
            failure = error
        } catch {
            failure = SimFailure(operation: nil, message: "unexpected error: \(error)")
        }
        await episode.stop()
        if failure == nil {
            // The CLI's index and the engine's projection, fed the episode's whole log, agree record by record.
            do {
                if let disagreement = try LifecycleAgreement.check(directory).disagreement {
                    failure = SimFailure(operation: nil, message: disagreement)
                }
            } catch {
                failure = SimFailure(operation: nil, message: "the log does not read back: \(error)")
            }
        }
        episode.statistics.workflows = episode.model.flows.count
        return (failure, episode.statistics)
    }

    // MARK: Engine

    private var configuration: EngineConfiguration {
        var configuration = testConfiguration()
        // Small segments, so that compaction finds sealed ones to rewrite.
        configuration.log.segmentSize = 64 << 10
        return configuration
    }

    /// Opens the engine, records which steps its log holds (acknowledged), and starts `run()`.
    private func open() async throws {
        let engine = try await WorkflowEngine.open(
            directory: directory, configuration: configuration, workflows: [SimReceiver.self, SimReader.self])
        self.engine = engine
        let (live, _) = try await engine._projections()
        for id in live.workflowIDs {
            for item in live.state(of: id)?.history ?? [] where item.event?.kind == .stepCompleted {
                guard let name = item.event?.name, name.hasPrefix("take-") else { continue }
                let key = "\(id) \(name.dropFirst("take-".count))"
                let runs = probe.count(key)
                if let before = acknowledged[key], before != runs {
                    throw SimFailure(message: "step \(key) ran \(runs - before) more time(s) after its result was durable")
                }
                acknowledged[key] = runs
            }
        }
        runner = Task { try await engine.run() }
    }

    private func crash() async throws {
        let (engine, runner) = (self.engine!, self.runner)
        let crashing = Task { await engine._crash() }
        let ended = try await raceDeadline(.seconds(30), { await runner?.result }, expired: {
            SimFailure(message: "run() did not return within 30 s of _crash()")
        })
        if case .failure(let error)? = ended, ModelSimulationTests.runFailingInRecoveryNeverStops,
            (error as? WorkflowError)?.code == .logFailure
        {
            // _crash() came while run() recovered: the recovery's commit failed on the abandoned log, and run()
            // threw without firing `stopped`, so _crash() (and shutdown()) would wait forever. Left behind.
        } else {
            _ = try await raceDeadline(.seconds(30), { await crashing.value }, expired: {
                SimFailure(message: "_crash() did not return within 30 s (run() ended with \(ended.map { "\($0)" } ?? "nothing"))")
            })
        }
        statistics.crashes += 1
        checkedSummaries = [:]
        rebuiltSoFar = nil
        try await open()
    }

    private func stop() async {
        guard let engine else { return }
        let runner = self.runner
        _ = try? await raceDeadline(.seconds(30), {
            await engine.shutdown()
            _ = await runner?.result
        }, expired: { SimFailure(message: "shutdown hung") })
    }

    // MARK: Operations

    private func expectError(_ code: WorkflowError.Code, _ what: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as WorkflowError where error.code == code {
            return
        } catch {
            throw SimFailure(message: "\(what): expected \(code), got \(error)")
        }
        throw SimFailure(message: "\(what): expected \(code), got success")
    }

    private func start(_ id: String, n: Int, topic: String) async throws {
        let input = SimReceiver.Input(probe: probe.key, n: n, topic: topic)
        switch model.flows[id]?.kind {
        case .reader?:
            try await expectError(.idConflict, "start receiver \(id) over a reader") {
                _ = try await engine.start(SimReceiver.self, input: input, id: id)
            }
        case .receiver?:
            _ = try await engine.start(SimReceiver.self, input: input, id: id)
        case nil:
            _ = try await engine.start(SimReceiver.self, input: input, id: id)
            model.flows[id] = SimModel.Flow(kind: .receiver(n: n, topic: topic))
        }
    }

    private func apply(_ operation: SimOperation) async throws {
        switch operation {
        case .start(let id, let n, let topic):
            try await start(id, n: n, topic: topic)

        case .startTwice(let id, let n, let topic):
            guard model.flows[id] == nil else { return try await start(id, n: n, topic: topic) }
            let engine = self.engine!
            let input = SimReceiver.Input(probe: probe.key, n: n, topic: topic)
            async let first = engine.start(SimReceiver.self, input: input, id: id)
            async let second = engine.start(SimReceiver.self, input: input, id: id)
            _ = try await (first, second)
            model.flows[id] = SimModel.Flow(kind: .receiver(n: n, topic: topic))

        case .startReader(let id, let target, let index):
            let input = SimReader.Input(target: target, key: "got-\(index)")
            switch model.flows[id]?.kind {
            case .receiver?:
                try await expectError(.idConflict, "start reader \(id) over a receiver") {
                    _ = try await engine.start(SimReader.self, input: input, id: id)
                }
            case .reader?:
                _ = try await engine.start(SimReader.self, input: input, id: id)
            case nil:
                _ = try await engine.start(SimReader.self, input: input, id: id)
                var flow = SimModel.Flow(kind: .reader(target: target, key: "got-\(index)"))
                flow.readerOutput = model.event(index, of: target) ?? "<none>"
                flow.status = .completed  // it reads without waiting
                model.flows[id] = flow
            }

        case .send(let target, let topic, let message, let key):
            try await engine.send(simMessage(message), to: target, topic: topic, idempotencyKey: key)
            model.sent(message, to: target, topic: topic, key: key)

        case .sendPair(let target, let topic, let first, let second, let key):
            let engine = self.engine!
            async let a: Void = engine.send(simMessage(first), to: target, topic: topic, idempotencyKey: key)
            async let b: Void = engine.send(simMessage(second), to: target, topic: topic, idempotencyKey: key)
            _ = try await (a, b)
            model.sentConcurrently(first, second, to: target, topic: topic, key: key)

        case .readEvent(let id, let index):
            let value = try await engine.event(String.self, key: "got-\(index)", of: id).map(simName)
            let expected = model.event(index, of: id)
            guard value == expected else {
                throw SimFailure(message: "event got-\(index) of \(id) is \(value ?? "unset"), the model says \(expected ?? "unset")")
            }

        case .cancel(let id):
            guard let flow = model.flows[id] else {
                return try await expectError(.notFound, "cancel \(id)") { try await engine.cancel(id) }
            }
            try await engine.cancel(id)
            if flow.status == .active { model.flows[id]!.status = .cancelled }

        case .resume(let id):
            guard let flow = model.flows[id] else {
                return try await expectError(.notFound, "resume \(id)") { try await engine.resume(id) }
            }
            guard flow.status == .cancelled else {
                return try await expectError(.invalidState, "resume \(id) (\(flow.status))") { try await engine.resume(id) }
            }
            try await engine.resume(id)
            model.flows[id]!.status = .active

        case .fork(let id, let messages, let newID):
            guard let flow = model.flows[id] else {
                return try await expectError(.notFound, "fork \(id)") { _ = try await engine.fork(id, before: 0, newID: newID) }
            }
            // Only unfinished receivers: a finished one's history may have been compacted to a summary.
            guard case .receiver(let n, let topic) = flow.kind, flow.status != .completed else { return }
            if model.flows[newID] != nil {
                return try await expectError(.idConflict, "fork \(id) as existing \(newID)") {
                    _ = try await engine.fork(id, before: 0, newID: newID)
                }
            }
            let k = min(messages, flow.received.count)
            let forked = try await engine.fork(id, before: UInt32(3 * k), newID: newID)
            guard forked == newID else { throw SimFailure(message: "fork returned \(forked), not \(newID)") }
            var copy = SimModel.Flow(kind: .receiver(n: n, topic: topic))
            copy.received = Array(flow.received.prefix(k))
            copy.copied = k
            if k == n { copy.status = .completed }
            model.flows[newID] = copy

        case .compact:
            _ = try await engine.compact(policy: CompactionPolicy())
            statistics.compactions += 1
            checkedSummaries = [:]
            rebuiltSoFar = nil

        case .crash:
            try await crash()

        case .sendThenCrash(let target, let topic, let message, let key):
            try await engine.send(simMessage(message), to: target, topic: topic, idempotencyKey: key)
            model.sent(message, to: target, topic: topic, key: key)
            crashedInFlight = true
            try await crash()
        }
    }

    // MARK: Checks

    /// Waits until every workflow is where the model says it settles, then learns which messages the receivers
    /// took, checking each against the model. Waits on the engine's own signals (an event set, a result), never by
    /// polling: a receiver has taken its `e`-th message once its event "got-(e-1)" is set (set events are durable).
    private func settle() async throws {
        let engine = self.engine!
        for id in model.flows.keys.sorted() {
            let flow = model.flows[id]!
            switch flow.kind {
            case .reader:
                guard !verified.contains(id) else { continue }
                try await settled(id) { try await Self.checkOutput(id, flow, engine) }
                verified.insert(id)
            case .receiver(let n, _):
                let expected = model.expectedReceived(id)!
                if expected > flow.received.count {
                    try await settled(id) {
                        _ = try await engine.event(String.self, key: "got-\(expected - 1)", of: id, timeout: .seconds(20))
                    }
                }
                let summary = try summary(id)
                if flow.status == .cancelled {
                    // 3 records per message taken, and the next receive's wait if it found its inbox empty first.
                    guard summary.status == .cancelled, (3 * expected...3 * expected + 1).contains(summary.historyCount) else {
                        throw SimFailure(message: "\(id) should be cancelled with \(3 * expected) records; is \(summary.status) with \(summary.historyCount)")
                    }
                } else if expected < n {
                    // Waiting for message `expected`: settled once that receive's wait is recorded (a record the
                    // live projection and the log must both have before they are compared).
                    try await settled(id) { [engine] in
                        while (engine.summary(of: id)?.historyCount ?? 0) < 3 * expected + 1 {
                            try await Task.sleep(for: .milliseconds(1))
                        }
                    }
                    let summary = try self.summary(id)
                    guard summary.status.isActive, summary.historyCount == 3 * expected + 1 else {
                        throw SimFailure(
                            message: "\(id) should wait, having received \(expected) of \(n) messages (\(3 * expected + 1) records); is \(summary.status) with \(summary.historyCount) records — a message delivered twice, or one that must not be delivered?")
                    }
                }
                for i in flow.received.count..<expected {
                    guard let value = try await engine.event(String.self, key: "got-\(i)", of: id) else {
                        throw SimFailure(message: "\(id) took message \(i) but its event got-\(i) is unset")
                    }
                    if let failure = model.deliver(simName(value), to: id) { throw SimFailure(message: failure) }
                    statistics.delivered += 1
                }
                if expected == n && !verified.contains(id) {
                    let flow = model.flows[id]!
                    try await settled(id) { try await Self.checkOutput(id, flow, engine) }
                    verified.insert(id)
                }
            }
        }
    }

    /// Runs `wait` with a deadline, reporting where `id` is when it passes.
    private func settled(_ id: String, _ wait: @escaping @Sendable () async throws -> Void) async throws {
        do {
            try await raceDeadline(.seconds(20), wait, expired: { SimFailure(message: "timed out") })
        } catch let error as SimFailure where error.message == "timed out" {
            let summary = engine.summary(of: id)
            throw SimFailure(
                message: "timed out waiting for \(id) to settle where the model says: it is \(summary.map { "\($0.status) with \($0.historyCount) records" } ?? "missing"), the model expects \(model.expectedReceived(id).map { "\($0) messages received" } ?? "completion")")
        }
    }

    private func summary(_ id: String) throws -> WorkflowSummary {
        guard let summary = engine.summary(of: id) else { throw SimFailure(message: "workflow \(id) is missing") }
        if [.failed, .parked, .diverged].contains(summary.status) {
            throw SimFailure(message: "\(id) is \(summary.status): \(summary.failure?.message ?? summary.parkReason ?? "")")
        }
        return summary
    }

    /// A completed workflow's output is what the model says it received (waiting for it to complete).
    private static func checkOutput(_ id: String, _ flow: SimModel.Flow, _ engine: WorkflowEngine) async throws {
        switch flow.kind {
        case .receiver:
            let output = try await engine.handle(for: id, of: SimReceiver.self).result().map(simName)
            guard output == flow.received else {
                throw SimFailure(message: "\(id) completed with \(output); the model says it received \(flow.received)")
            }
        case .reader:
            let output = simName(try await engine.handle(for: id, of: SimReader.self).result())
            guard output == flow.readerOutput else {
                throw SimFailure(message: "reader \(id) returned \(output); the model says \(flow.readerOutput ?? "?")")
            }
        }
    }

    /// The projection kept live equals the one rebuilt from the log: workflows, histories, inboxes, events and
    /// idempotency keys.
    private func compareProjections() async throws {
        let (live, rebuilt) = try await engine._projections(continuing: rebuiltSoFar ?? LogProjection())
        rebuiltSoFar = rebuilt
        let liveIDs = Set(live.workflowIDs), rebuiltIDs = Set(rebuilt.workflowIDs)
        guard liveIDs == rebuiltIDs else {
            throw SimFailure(message: "live projection has workflows \(liveIDs.sorted()), rebuilt \(rebuiltIDs.sorted())")
        }
        // Summaries everywhere; whole states (histories decoded) where a summary changed since the last check, or
        // everywhere after a crash or a compaction (the live side only grows otherwise, and a rebuilt history that
        // differs shows in its summary's count).
        var changed: [String] = []
        for id in liveIDs.sorted() {
            guard var summary = live.summary(of: id) else { continue }
            if summary.status == .running { summary.status = .pending }
            if checkedSummaries[id] != summary || rebuilt.summary(of: id) != summary { changed.append(id) }
            checkedSummaries[id] = summary
        }
        for id in changed {
            guard var a = live.state(of: id), let b = rebuilt.state(of: id) else { continue }
            if a.summary.status == .running { a.summary.status = .pending }  // running is this process's view
            guard a != b else { continue }
            var differences: [String] = []
            if a.summary != b.summary { differences.append("summary \(a.summary) vs \(b.summary)") }
            if a.input != b.input { differences.append("input") }
            if a.output != b.output { differences.append("output") }
            if a.history != b.history { differences.append("history \(a.history.count) vs \(b.history.count) records") }
            if a.inbox != b.inbox { differences.append("inbox \(describe(a.inbox)) vs \(describe(b.inbox))") }
            if a.events != b.events { differences.append("events \(a.events.keys.sorted()) vs \(b.events.keys.sorted())") }
            if a.idempotencyKeys != b.idempotencyKeys {
                differences.append("idempotency keys \(a.idempotencyKeys.sorted()) vs \(b.idempotencyKeys.sorted())")
            }
            throw SimFailure(message: "live and rebuilt projections differ for \(id): \(differences.joined(separator: "; "))")
        }
        let (a, b) = (live._undelivered, rebuilt._undelivered)
        if a != b {
            let targets = Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
            let detail = targets.map { "\($0): live \(describe(a[$0] ?? [])) rebuilt \(describe(b[$0] ?? []))" }
            throw SimFailure(message: "live and rebuilt undelivered messages differ: \(detail.joined(separator: "; "))")
        }
        if live._idempotencyKeys != rebuilt._idempotencyKeys {
            throw SimFailure(
                message: "live and rebuilt idempotency keys differ: \(live._idempotencyKeys.symmetricDifference(rebuilt._idempotencyKeys).sorted())")
        }
    }

    private func describe(_ inbox: [LogProjection.WorkflowState.Message]) -> String {
        "[" + inbox.map { "\($0.topic):\(simName(String(decoding: $0.payload, as: UTF8.self).trimmingCharacters(in: ["\""])))@\($0.id)" }
            .joined(separator: ", ") + "]"
    }

    /// The end of an episode: every output is the model's; no acknowledged step ran again; each message taken
    /// live ran its step once (or at least once, when a crash interrupted steps), and a fork's copied steps never.
    private func finish() async throws {
        for id in model.flows.keys.sorted() where model.flows[id]!.status == .completed {
            try await Self.checkOutput(id, model.flows[id]!, engine)
        }
        for (key, runs) in acknowledged where probe.count(key) != runs {
            throw SimFailure(message: "step \(key) ran \(probe.count(key) - runs) more time(s) after its result was durable")
        }
        for (id, flow) in model.flows {
            guard case .receiver = flow.kind else { continue }
            for i in 0..<flow.received.count {
                let runs = probe.count("\(id) \(i)")
                if i < flow.copied {
                    if runs != 0 { throw SimFailure(message: "fork \(id)'s copied step \(i) ran \(runs) time(s)") }
                } else if runs < 1 || (!crashedInFlight && runs != 1) {
                    throw SimFailure(message: "step \(i) of \(id) ran \(runs) time(s); exactly once expected")
                }
            }
        }
    }
}
