import Cairn
import CairnLog
import CairnTesting
import Foundation
import Synchronization
import Testing

// MARK: Workflows that wait

/// Runs a step named `name` whose body counts its runs under "<workflow ID> <name>" and returns `value`: a step that
/// runs again on replay shows as a count above one.
private func counted<T: Codable & Sendable>(
    _ context: WorkflowContext, _ probe: Probe, _ name: String, _ value: T
) async throws -> T {
    let key = "\(context.workflowID) \(name)"
    return try await context.step(name) {
        probe.hit(key)
        return value
    }
}

/// The workflow's probe; counts an entry into the workflow's code under "<ID> entered". Code outside steps runs
/// again only when the workflow is replayed: a workflow resumed from eviction enters again, one kept cached does not.
private func entered(_ context: WorkflowContext, _ input: ProbeInput) -> Probe {
    let probe = Probe.get(input.probe)
    probe.hit("\(context.workflowID) entered")
    return probe
}

/// A counted step, then a sleep of an hour, then a counted step.
private struct SleepsThenSteps: Workflow {
    static let name = "evict-sleeps"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = entered(context, input)
        let before = try await counted(context, probe, "before", input.n)
        try await context.sleep(for: .seconds(3600))
        let after = try await counted(context, probe, "after", before + 1)
        return "slept \(before) \(after)"
    }
}

/// A counted step, a receive on "m" (with a timeout of `n` seconds when `n > 0`), then a counted step.
private struct ReceivesThenSteps: Workflow {
    static let name = "evict-receives"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = entered(context, input)
        _ = try await counted(context, probe, "before", 1)
        let timeout: Duration? = input.n > 0 ? .seconds(input.n) : nil
        let message = try await context.receive(String.self, topic: "m", timeout: timeout) ?? "timed out"
        return try await counted(context, probe, "after", "received \(message)")
    }
}

/// A counted step, a read of event "k" of workflow `label` waiting up to an hour, then a counted step.
private struct ReadsEventThenSteps: Workflow {
    static let name = "evict-reads-event"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = entered(context, input)
        _ = try await counted(context, probe, "before", 1)
        let value = try await context.event(String.self, key: "k", of: input.label, timeout: .seconds(3600)) ?? "unset"
        return try await counted(context, probe, "after", "read \(value)")
    }
}

/// Sets event "k" and returns.
private struct SetsEvent: Workflow {
    static let name = "evict-sets-event"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        try await context.setEvent("k", "set by \(context.workflowID)")
        return 1
    }
}

/// A counted step, then a child ``ReceivesThenSteps`` (ID "<own ID>-child") whose result it awaits, then a counted
/// step.
private struct AwaitsWaitingChild: Workflow {
    static let name = "evict-awaits-child"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = entered(context, input)
        _ = try await counted(context, probe, "before", 1)
        let child = try await context.runChild(
            ReceivesThenSteps.self, input: ProbeInput(probe: input.probe), id: "\(context.workflowID)-child")
        return try await counted(context, probe, "after", "child \(child)")
    }
}

/// A counted step, then a parallel call with a branch that sleeps an hour and one that receives on "m" (each ending
/// with a counted step), then a counted step.
private struct WaitsInParallel: Workflow {
    static let name = "evict-parallel"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = entered(context, input)
        _ = try await counted(context, probe, "before", 1)
        let (slept, received) = try await context.parallel { branches in
            let sleeper = branches.start { c in
                try await c.sleep(for: .seconds(3600))
                return try await counted(c, probe, "sleeping branch", "slept")
            }
            let receiver = branches.start { c in
                let message = try await c.receive(String.self, topic: "m") ?? "timed out"
                return try await counted(c, probe, "receiving branch", "received \(message)")
            }
            return try await (sleeper.value, receiver.value)
        }
        return try await counted(context, probe, "after", "\(slept), \(received)")
    }
}

/// A counted step, then a map over three branches, branch `i` receiving on "m<i>" then taking a counted step, then a
/// counted step.
private struct WaitsInMap: Workflow {
    static let name = "evict-map"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = entered(context, input)
        _ = try await counted(context, probe, "before", 1)
        let values = try await context.map([0, 1, 2]) { (c: WorkflowContext, i: Int) -> String in
            let message = try await c.receive(String.self, topic: "m\(i)") ?? "timed out"
            return try await counted(c, probe, "branch \(i)", "\(i): \(message)")
        }
        return try await counted(context, probe, "after", values.joined(separator: ", "))
    }
}

/// Takes the path the test sets for its probe ("a" by default) in its second step, then receives on "m": the code
/// path a test changes between the recording and the replay, as a deploy would.
private struct TakesFlaggedPath: Workflow {
    static let name = "evict-flagged-path"
    static let paths = LockedBox<[String: String]>([:])
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = entered(context, input)
        _ = try await counted(context, probe, "first", 1)
        let path = paths[input.probe] ?? "a"
        // Two call sites, so that a report naming both shows which code ran.
        let id = context.workflowID
        if path == "a" {
            _ = try await context.step("path-a") { probe.hit("\(id) path-a") }
        } else {
            _ = try await context.step("path-b") { probe.hit("\(id) path-b") }
        }
        let message = try await context.receive(String.self, topic: "m") ?? "timed out"
        return try await counted(context, probe, "after", "\(path) \(message)")
    }
}

/// A counted step, then a wait of kind `label` ("sleep": an hour; otherwise a receive on "m"), then a step gated at
/// "after" (counted under "<ID> after").
private struct WaitsThenGated: Workflow {
    static let name = "evict-waits-then-gated"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = entered(context, input)
        _ = try await counted(context, probe, "before", 1)
        let woken: String
        if input.label == "sleep" {
            try await context.sleep(for: .seconds(3600))
            woken = "slept"
        } else {
            woken = try await context.receive(String.self, topic: "m") ?? "timed out"
        }
        let id = context.workflowID
        return try await context.step("after") {
            probe.hit("\(id) after")
            try await probe.pass("after")
            return "\(id) \(woken)"
        }
    }
}

private struct FirstAttemptFails: Error {}

/// A counted step; a step whose odd attempts fail, which waits an hour for its next attempt (attempts are noted, not
/// counted: each run makes two); a counted step.
private struct RetriesOnce: Workflow {
    static let name = "evict-retries-once"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> String {
        let probe = entered(context, input)
        _ = try await counted(context, probe, "before", 1)
        let key = "\(context.workflowID) attempts"
        let value = try await context.step("flaky", retry: RetryPolicy(maxAttempts: 2, initialInterval: .seconds(3600), maxInterval: .seconds(3600))) {
            probe.note(key, "attempt")
            if probe.notes(key).count % 2 == 1 { throw FirstAttemptFails() }
            return 7
        }
        return try await counted(context, probe, "after", "retried \(value)")
    }
}

/// One step that waits at the gate named by its label (counted under "<ID> gated").
private struct GatedStep: Workflow {
    static let name = "evict-gated-step"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Int {
        let probe = entered(context, input)
        let key = "\(context.workflowID) gated"
        return try await context.step("gated") {
            probe.hit(key)
            try await probe.pass(input.label)
            return 1
        }
    }
}

// MARK: Observing

extension EngineActivity {
    fileprivate var text: String { "running \(running), cached \(cached), waiting \(waiting), ready \(ready)" }
    fileprivate var isIdle: Bool { running == 0 && cached == 0 && waiting == 0 && ready == 0 }
}

/// Waits (bounded) for the result of workflow `id`, through the handle that starting an existing ID returns: the start
/// is idempotent by ID, and starts nothing here (`input` is not used).
private func result<W: Workflow>(
    of type: W.Type, _ id: String, input: W.Input, _ engine: WorkflowEngine, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> W.Output {
    try await result(try await engine.start(type, input: input, id: id), sourceLocation: sourceLocation)
}

/// Waits until the engine is idle: no workflow running, cached, waiting or ready.
private func idle(_ engine: WorkflowEngine, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try await eventually("an idle engine (activity: \(engine.activity.text))", timeout: .seconds(15), sourceLocation: sourceLocation) {
        engine.activity.isIdle
    }
}

/// Waits until workflow `id` has recorded at least `count` operations (so its wait is durable), reading its history
/// from the log: what the projection keeps of an evicted workflow is the implementation's business.
private func recorded(
    _ engine: WorkflowEngine, _ id: String, atLeast count: Int, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    var seen = 0
    while true {
        do {
            seen = try await operations(engine, id).count
        } catch let error as WorkflowError where error.code == .notFound {
            seen = 0  // a child not started yet
        }
        if seen >= count { return }
        if ContinuousClock.now >= deadline {
            let error = TimedOut(what: "\(id) to record \(count) operations (it has \(seen))")
            Issue.record(error, sourceLocation: sourceLocation)
            throw error
        }
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// Waits until the probe has counted `key` at least `count` times.
private func waitForCount(_ probe: Probe, _ key: String, atLeast count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try await eventually("\(key) to run \(count) times (ran \(probe.count(key)))", sourceLocation: sourceLocation) {
        probe.count(key) >= count
    }
}

/// Reads an engine's ``EngineActivity`` about every millisecond, in a task of its own, and keeps the largest counts
/// seen: for bounds that must hold at every instant, not only at the end.
private final class ActivitySampler: Sendable {
    struct Peaks: Sendable {
        var samples = 0
        var running = 0
        var cached = 0
        var waiting = 0
        var ready = 0
    }

    private let state = Mutex(Peaks())

    var peaks: Peaks { state.withLock { $0 } }

    func sample(_ engine: WorkflowEngine) {
        let a = engine.activity
        state.withLock { p in
            p.samples += 1
            p.running = max(p.running, a.running)
            p.cached = max(p.cached, a.cached)
            p.waiting = max(p.waiting, a.waiting)
            p.ready = max(p.ready, a.ready)
        }
    }

    /// Samples `engine` until the returned task is cancelled.
    func watch(_ engine: WorkflowEngine) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                sample(engine)
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
    }
}

/// One recorded event of a workflow reduced to what must not depend on whether the workflow stayed in memory: what
/// happened, where, under which name, with which details and value; not when, nor at which LSN (a received message
/// names its send by LSN, and concurrent commits may order differently from run to run).
private struct RecordedEvent: Hashable, Sendable, CustomStringConvertible {
    var position: Position?
    var kind: EventKind
    var name: String
    var details: String
    var callSite: String
    var payload: String?

    init(_ event: HistoryEvent) {
        position = event.position
        kind = event.kind
        name = event.name
        switch event.details {
        case .received(let topic, _): details = "received(topic: \(topic))"
        default: details = "\(event.details)"
        }
        callSite = event.callSite.map { "\($0)" } ?? ""
        payload = event.payload.map { String(decoding: $0, as: UTF8.self) }
    }

    var description: String {
        "\(position.map { "\($0)" } ?? "-") \(kind) '\(name)' \(details)\(payload.map { " = \($0)" } ?? "")"
    }
}

/// A workflow's history as a sequence of operations by position (the events at one position in log order; the
/// branches of a parallel call commit in either order), then its other events (start, sends to it, end) in log order.
private func timeline(_ engine: WorkflowEngine, _ id: String) async throws -> [RecordedEvent] {
    let events = try await engine.history(of: id).collect().map(RecordedEvent.init)
    let operations = events.enumerated().filter { $0.element.position != nil }
        .sorted { ($0.element.position!, $0.offset) < ($1.element.position!, $1.offset) }.map(\.element)
    let others = events.filter { $0.position == nil }
    return operations + others
}

// MARK: One scenario, with and without eviction

/// One engine running a scenario: either keeping waiting workflows cached (the default cache) or evicting them at
/// every durable wait (`maxCachedWorkflows: 0`).
private struct ScenarioRun {
    let engine: WorkflowEngine
    let clock: TestClock
    let probe: Probe
    let evicting: Bool
    /// 1 for the first run of the scenario, 2 for the second: every counted step has then run this many times in all.
    let round: Int
    /// The workflows seen in a durable wait (``parked(_:count:sourceLocation:)``).
    let waited = LockedBox<Set<String>>([])

    /// Waits until the workflows have recorded their waits (`operations`: ID → operations recorded) and the engine
    /// counts `count` workflows in a durable wait: evicted (`waiting`) when this run evicts, `cached` otherwise; none
    /// running or ready.
    func parked(_ operations: [String: Int], count: Int = 1, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for (id, n) in operations.sorted(by: { $0.key < $1.key }) {
            try await recorded(engine, id, atLeast: n, sourceLocation: sourceLocation)
        }
        waited.set(waited.get().union(operations.keys))
        let want = evicting ? "\(count) evicted, none cached" : "\(count) cached, none evicted"
        let engine = self.engine
        try await eventually("\(want) (activity: \(engine.activity.text))", timeout: .seconds(15), sourceLocation: sourceLocation) {
            let a = engine.activity
            guard a.running == 0, a.ready == 0 else { return false }
            return evicting ? a.waiting == count && a.cached == 0 : a.cached == count && a.waiting == 0
        }
    }

    /// Waits until the counted step `name` of workflow `id` has run in this run.
    func ran(_ id: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await waitForCount(probe, "\(id) \(name)", atLeast: round, sourceLocation: sourceLocation)
    }
}

/// What one run of a scenario produced.
private struct ScenarioOutcome: Sendable {
    var results: [String]
    var timelines: [String: [RecordedEvent]]
}

/// Runs `scenario` on an engine that keeps its waiting workflows cached, then on one that evicts them at every
/// durable wait, each on a fresh log with a manual clock at the same instant; checks that every counted step ran
/// exactly once in each run, that the results are the same, and that the histories of `ids` are the same.
private func compareWithCached(
    _ workflows: [any Workflow.Type], ids: [String], sourceLocation: SourceLocation = #_sourceLocation,
    _ scenario: (ScenarioRun) async throws -> [String]
) async throws {
    let probe = Probe()
    defer { probe.openAll() }
    var outcomes: [ScenarioOutcome] = []
    var enteredBefore: [String: Int] = [:]
    for (round, evicting) in [(1, false), (2, true)] {
        let clock = TestClock(mode: .manual)
        var configuration = testConfiguration(clock: clock)
        // Room for every workflow of a scenario (the default's), or none.
        configuration.maxCachedWorkflows = evicting ? 0 : 10_000
        let outcome = try await withDirectory("evict") { dir in
            try await withEngine(dir, workflows, configuration: configuration) { engine in
                let run = ScenarioRun(engine: engine, clock: clock, probe: probe, evicting: evicting, round: round)
                let mode = evicting ? "evicting" : "cached"
                let results: [String]
                do {
                    results = try await scenario(run)
                } catch {
                    Issue.record("the \(mode) run stopped: \(error) (activity: \(engine.activity.text))", sourceLocation: sourceLocation)
                    throw error
                }
                let counts = probe.counts
                #expect(!counts.isEmpty, "no counted step ran", sourceLocation: sourceLocation)
                for (key, count) in counts.sorted(by: { $0.key < $1.key }) where !key.hasSuffix(" entered") {
                    #expect(count == round, "\(mode): step '\(key)' ran \(count - round + 1) times", sourceLocation: sourceLocation)
                }
                // Kept in memory, a workflow's code is entered once; evicted, it is entered again by each replay.
                let waited = run.waited.get()
                #expect(!waited.isEmpty, sourceLocation: sourceLocation)
                for (key, count) in counts.sorted(by: { $0.key < $1.key }) where key.hasSuffix(" entered") {
                    let id = String(key.dropLast(" entered".count))
                    let entries = count - (enteredBefore[key] ?? 0)
                    if evicting && waited.contains(id) {
                        #expect(entries >= 2, "\(mode): \(id) was never replayed: it was not evicted", sourceLocation: sourceLocation)
                    } else {
                        #expect(entries == 1, "\(mode): \(id) was entered \(entries) times: replayed though kept in memory", sourceLocation: sourceLocation)
                    }
                }
                enteredBefore = counts
                try await idle(engine, sourceLocation: sourceLocation)
                var timelines: [String: [RecordedEvent]] = [:]
                for id in ids { timelines[id] = try await timeline(engine, id) }
                return ScenarioOutcome(results: results, timelines: timelines)
            }
        }
        outcomes.append(outcome)
    }
    let (cached, evicted) = (outcomes[0], outcomes[1])
    #expect(evicted.results == cached.results, "results with eviction differ from those without", sourceLocation: sourceLocation)
    for id in ids {
        let (kept, replayed) = (cached.timelines[id] ?? [], evicted.timelines[id] ?? [])
        #expect(!kept.isEmpty, "no history for \(id)", sourceLocation: sourceLocation)
        #expect(
            replayed == kept,
            "the history of \(id) with eviction differs from the one without:\n  cached:\n    \(kept.map(\.description).joined(separator: "\n    "))\n  evicted:\n    \(replayed.map(\.description).joined(separator: "\n    "))",
            sourceLocation: sourceLocation)
    }
}

// MARK: Tests

/// Eviction observed from outside only — handles' results, summaries, histories and ``WorkflowEngine/activity`` —
/// so the tests hold whatever the cache, the waiting room and the waker look like inside. The scenarios with a
/// manual ``TestClock`` run twice, cached and evicting, and must agree in result and history.
@Suite("Eviction: a workflow in a durable wait gives up its task and is resumed by replay")
struct EvictionTests {
    // MARK: Every kind of wait

    @Test("a sleep: evicted, woken by its deadline, same result and history as cached")
    func sleep() async throws {
        try await compareWithCached([SleepsThenSteps.self], ids: ["sleeper"]) { run in
            let handle = try await run.engine.start(SleepsThenSteps.self, input: ProbeInput(probe: run.probe.key, n: 5), id: "sleeper")
            try await run.parked(["sleeper": 2])
            run.clock.advance(by: .seconds(3600))
            return [try await result(handle)]
        }
    }

    @Test("a step's wait for its next attempt: evicted, woken by its deadline, same result and history as cached; the failed attempt does not run again")
    func retryWait() async throws {
        try await compareWithCached([RetriesOnce.self], ids: ["retrier"]) { run in
            let handle = try await run.engine.start(RetriesOnce.self, input: ProbeInput(probe: run.probe.key), id: "retrier")
            try await run.parked(["retrier": 2])  // the step before, and the retry wait
            #expect(run.probe.notes("retrier attempts").count == 2 * run.round - 1)
            run.clock.advance(by: .seconds(3600))
            let output = try await result(handle)
            #expect(run.probe.notes("retrier attempts").count == 2 * run.round, "an attempt ran again on replay")
            return [output]
        }
    }

    @Test("a receive without a timeout: evicted, woken by a message")
    func receive() async throws {
        try await compareWithCached([ReceivesThenSteps.self], ids: ["receiver"]) { run in
            let handle = try await run.engine.start(ReceivesThenSteps.self, input: ProbeInput(probe: run.probe.key), id: "receiver")
            try await run.parked(["receiver": 2])
            try await run.engine.send("hello", to: "receiver", topic: "m")
            return [try await result(handle)]
        }
    }

    @Test("a receive with a timeout: evicted, woken by a message before the timeout")
    func receiveWithTimeout() async throws {
        try await compareWithCached([ReceivesThenSteps.self], ids: ["receiver"]) { run in
            let handle = try await run.engine.start(ReceivesThenSteps.self, input: ProbeInput(probe: run.probe.key, n: 3600), id: "receiver")
            try await run.parked(["receiver": 2])
            run.clock.advance(by: .seconds(1800))  // half the timeout: not due yet
            try await run.parked(["receiver": 2])
            try await run.engine.send("in time", to: "receiver", topic: "m")
            let output = try await result(handle)
            #expect(output == "received in time")
            return [output]
        }
    }

    @Test("a receive whose timeout expires: evicted, woken by its deadline")
    func receiveTimesOut() async throws {
        try await compareWithCached([ReceivesThenSteps.self], ids: ["receiver"]) { run in
            let handle = try await run.engine.start(ReceivesThenSteps.self, input: ProbeInput(probe: run.probe.key, n: 3600), id: "receiver")
            try await run.parked(["receiver": 2])
            run.clock.advance(by: .seconds(3600))
            let output = try await result(handle)
            #expect(output == "received timed out")
            return [output]
        }
    }

    @Test("an event read with a timeout: evicted, woken when another workflow sets the event")
    func eventRead() async throws {
        try await compareWithCached([ReadsEventThenSteps.self, SetsEvent.self], ids: ["reader", "setter"]) { run in
            let reader = try await run.engine.start(
                ReadsEventThenSteps.self, input: ProbeInput(probe: run.probe.key, label: "setter"), id: "reader")
            try await run.parked(["reader": 2])
            let setter = try await run.engine.start(SetsEvent.self, input: ProbeInput(probe: run.probe.key), id: "setter")
            let output = try await result(reader)
            #expect(output == "read set by setter")
            return [output, "\(try await result(setter))"]
        }
    }

    @Test("a child's result: the parent and its waiting child evicted, the parent woken when the child ends")
    func childResult() async throws {
        try await compareWithCached([AwaitsWaitingChild.self, ReceivesThenSteps.self], ids: ["parent", "parent-child"]) { run in
            let parent = try await run.engine.start(AwaitsWaitingChild.self, input: ProbeInput(probe: run.probe.key), id: "parent")
            // The parent: its step, the child's start, its wait for the child; the child: its step, its receive.
            try await run.parked(["parent": 3, "parent-child": 2], count: 2)
            try await run.engine.send("from outside", to: "parent-child", topic: "m")
            let output = try await result(parent)
            #expect(output == "child received from outside")
            return [output]
        }
    }

    @Test("a parallel call with a sleeping and a receiving branch: evicted, woken by each in turn")
    func parallelBranches() async throws {
        try await compareWithCached([WaitsInParallel.self], ids: ["fan"]) { run in
            let handle = try await run.engine.start(WaitsInParallel.self, input: ProbeInput(probe: run.probe.key), id: "fan")
            // Its step, the sleep's start, the receive's wait.
            try await run.parked(["fan": 3])
            run.clock.advance(by: .seconds(3600))
            // The sleeping branch ends; the other still waits: the workflow waits again (evicted again).
            try await run.ran("fan", "sleeping branch")
            try await run.parked(["fan": 4])
            try await run.engine.send("late", to: "fan", topic: "m")
            let output = try await result(handle)
            #expect(output == "slept, received late")
            return [output]
        }
    }

    @Test("a map over receiving branches: evicted, woken by each branch's message in turn")
    func mapBranches() async throws {
        try await compareWithCached([WaitsInMap.self], ids: ["mapper"]) { run in
            let handle = try await run.engine.start(WaitsInMap.self, input: ProbeInput(probe: run.probe.key), id: "mapper")
            // Its step, three receives waiting.
            try await run.parked(["mapper": 4])
            // Out of order: branch 2, then 0; each time the others still wait.
            try await run.engine.send("two", to: "mapper", topic: "m2")
            try await run.ran("mapper", "branch 2")
            try await run.parked(["mapper": 6])
            try await run.engine.send("zero", to: "mapper", topic: "m0")
            try await run.ran("mapper", "branch 0")
            try await run.parked(["mapper": 8])
            try await run.engine.send("one", to: "mapper", topic: "m1")
            let output = try await result(handle)
            #expect(output == "0: zero, 1: one, 2: two")
            return [output]
        }
    }

    // MARK: The cache

    @Test("with room in the cache a waiting workflow keeps its task; beyond it the rest are evicted")
    func cachedNotEvicted() async throws {
        #expect(EngineConfiguration().maxCachedWorkflows == 10_000)
        let probe = Probe()
        let clock = TestClock(mode: .manual)
        var configuration = testConfiguration(clock: clock)
        configuration.maxCachedWorkflows = 3
        try await withDirectory("evict") { dir in
            try await withEngine(dir, [ReceivesThenSteps.self], configuration: configuration) { engine in
                let run = ScenarioRun(engine: engine, clock: clock, probe: probe, evicting: false, round: 1)
                let input = ProbeInput(probe: probe.key)
                for i in 0..<3 {
                    _ = try await engine.start(ReceivesThenSteps.self, input: input, id: "r\(i)")
                    try await run.parked(["r\(i)": 2], count: i + 1)
                }
                // One more than the cache holds: one of them (the least recently active) is evicted.
                _ = try await engine.start(ReceivesThenSteps.self, input: input, id: "r3")
                try await recorded(engine, "r3", atLeast: 2)
                try await eventually("3 cached and 1 evicted (activity: \(engine.activity.text))", timeout: .seconds(15)) {
                    let a = engine.activity
                    return a.cached == 3 && a.waiting == 1 && a.running == 0 && a.ready == 0
                }
                for i in 0..<4 { try await engine.send("m\(i)", to: "r\(i)", topic: "m") }
                for i in 0..<4 { #expect(try await result(of: ReceivesThenSteps.self, "r\(i)", input: input, engine) == "received m\(i)") }
                for i in 0..<4 {
                    #expect(probe.count("r\(i) before") == 1)
                    #expect(probe.count("r\(i) after") == 1)
                }
                // The one evicted, and so replayed, is the one idle the longest: r0. The others were never replayed.
                #expect(probe.count("r0 entered") == 2)
                for i in 1..<4 { #expect(probe.count("r\(i) entered") == 1, "r\(i) was replayed though cached") }
                try await idle(engine)
            }
        }
    }

    @Test("under load the cache never holds more than maxCachedWorkflows; every evicted workflow finishes right")
    func cacheBoundUnderLoad() async throws {
        let probe = Probe()
        let count = 200
        var configuration = testConfiguration(clock: TestClock(mode: .manual))
        configuration.maxCachedWorkflows = 5
        try await withDirectory("evict") { dir in
            try await withEngine(dir, [ReceivesThenSteps.self], configuration: configuration) { engine in
                let sampler = ActivitySampler()
                let watcher = sampler.watch(engine)
                defer { watcher.cancel() }
                let input = ProbeInput(probe: probe.key)
                for i in 0..<count {
                    _ = try await engine.start(ReceivesThenSteps.self, input: input, id: "w\(i)")
                    sampler.sample(engine)
                }
                try await eventually("all \(count) waiting (activity: \(engine.activity.text))", timeout: .seconds(30)) {
                    sampler.sample(engine)
                    let a = engine.activity
                    return a.cached + a.waiting == count && a.running == 0 && a.ready == 0
                }
                let parked = engine.activity
                #expect(parked.cached == 5, "\(parked.text)")
                #expect(parked.waiting == count - 5, "\(parked.text)")
                #expect(sampler.peaks.cached <= 5, "the cache held \(sampler.peaks.cached) workflows at one time")

                for i in 0..<count {
                    try await engine.send("m\(i)", to: "w\(i)", topic: "m")
                    sampler.sample(engine)
                }
                for i in 0..<count {
                    #expect(try await result(of: ReceivesThenSteps.self, "w\(i)", input: input, engine) == "received m\(i)")
                }
                try await idle(engine)
                watcher.cancel()
                await watcher.value
                let peaks = sampler.peaks
                #expect(peaks.cached <= 5, "the cache held \(peaks.cached) workflows at one time")
                #expect(peaks.samples > count, "sampled \(peaks.samples) times")
                for i in 0..<count {
                    #expect(probe.count("w\(i) before") == 1, "w\(i)'s step before the wait ran again on replay")
                    #expect(probe.count("w\(i) after") == 1)
                }
                // The evicted ones were replayed once each; the five still cached were not.
                let entries = (0..<count).map { probe.count("w\($0) entered") }
                #expect(entries.filter { $0 == 2 }.count == count - 5, "\(entries)")
                #expect(entries.filter { $0 == 1 }.count == 5, "\(entries)")
            }
        }
    }

    @Test("a parallel call whose branches all wait holds no running slot, and takes back no more than it gave up")
    func parallelWaitAdmission() async throws {
        let probe = Probe()
        defer { probe.openAll() }
        probe.close("g")
        probe.close("h")
        var configuration = testConfiguration()
        configuration.maxRunningWorkflows = 1
        configuration.maxCachedWorkflows = 10
        try await withDirectory("evict") { dir in
            try await withEngine(dir, [WaitsInMap.self, GatedStep.self], configuration: configuration) { engine in
                let fan = try await engine.start(WaitsInMap.self, input: ProbeInput(probe: probe.key), id: "fan")
                try await recorded(engine, "fan", atLeast: 4)
                try await eventually("the fan-out cached (activity: \(engine.activity.text))", timeout: .seconds(15)) {
                    engine.activity.cached == 1 && engine.activity.running == 0
                }
                // With the one slot free, one gated workflow runs and two are ready.
                for i in 0..<3 { _ = try await engine.start(GatedStep.self, input: ProbeInput(probe: probe.key, label: "g"), id: "g\(i)") }
                try await eventually("one running, two ready (activity: \(engine.activity.text))", timeout: .seconds(15)) {
                    let a = engine.activity
                    return a.running == 1 && a.ready == 2 && a.cached == 1
                }
                #expect(probe.arrivals("g") == 1, "\(probe.arrivals("g")) ran at once with maxRunningWorkflows 1")
                probe.open("g")
                for i in 0..<3 { #expect(try await result(of: GatedStep.self, "g\(i)", input: ProbeInput(probe: probe.key), engine) == 1) }
                for i in 0..<3 { try await engine.send("m", to: "fan", topic: "m\(i)") }
                #expect(try await result(fan) == "0: m, 1: m, 2: m")
                try await idle(engine)

                // Once the fan-out has ended, the limit is still one.
                for i in 0..<3 { _ = try await engine.start(GatedStep.self, input: ProbeInput(probe: probe.key, label: "h"), id: "h\(i)") }
                try await eventually("one running, two ready (activity: \(engine.activity.text))", timeout: .seconds(15)) {
                    let a = engine.activity
                    return a.running == 1 && a.ready == 2
                }
                #expect(probe.arrivals("h") == 1, "\(probe.arrivals("h")) ran at once with maxRunningWorkflows 1")
                probe.open("h")
                for i in 0..<3 { #expect(try await result(of: GatedStep.self, "h\(i)", input: ProbeInput(probe: probe.key), engine) == 1) }
            }
        }
    }

    // MARK: Divergence

    @Test("divergence found when an evicted workflow is resumed is reported as at recovery")
    func divergenceOnResumption() async throws {
        /// The reason, the reason type and the last history event of workflow "diverging", after its code changed
        /// while it waited and its message came: through eviction, or through a crash and a restart.
        func diverge(throughRestart: Bool) async throws -> (reason: String, because: ParkReason?, last: HistoryEvent.Details?) {
            let probe = Probe()
            TakesFlaggedPath.paths.set(probe.key, "a")
            let clock = TestClock(mode: .manual)
            var configuration = testConfiguration(clock: clock)
            if !throughRestart { configuration.maxCachedWorkflows = 0 }
            return try await withDirectory("evict") { dir in
                var running = try await RunningEngine.start(dir, [TakesFlaggedPath.self], configuration: configuration)
                _ = try await running.engine.start(TakesFlaggedPath.self, input: ProbeInput(probe: probe.key), id: "diverging")
                try await recorded(running.engine, "diverging", atLeast: 3)
                if throughRestart {
                    try await running.crash()
                } else {
                    let engine = running.engine
                    try await eventually("the workflow evicted (activity: \(engine.activity.text))", timeout: .seconds(15)) {
                        engine.activity.waiting == 1 && engine.activity.cached == 0
                    }
                }
                // The code changes while it waits.
                TakesFlaggedPath.paths.set(probe.key, "b")
                if throughRestart {
                    running = try await RunningEngine.start(dir, [TakesFlaggedPath.self], configuration: configuration)
                }
                let engine = running.engine
                try await engine.send("wake", to: "diverging", topic: "m")
                let input = ProbeInput(probe: probe.key)
                let error = await caught {
                    _ = try await within { try await engine.start(TakesFlaggedPath.self, input: input, id: "diverging").result() }
                }
                #expect(code(error) == .diverged)
                let summary = try #require(engine.summary(of: "diverging"))
                #expect(summary.status == .diverged)
                #expect(summary.parkedBecause == .diverged)
                #expect(probe.count("diverging first") == 1, "a replay ran a recorded step")
                #expect(probe.count("diverging path-b") == 0, "the diverged operation ran")
                #expect(probe.count("diverging after") == 0, "a diverged workflow went on")
                let last = try await engine.history(of: "diverging").collect().last?.details
                try await idle(engine)
                try await running.shutdown()
                return (summary.parkReason ?? "", summary.parkedBecause, last)
            }
        }
        let evicted = try await diverge(throughRestart: false)
        let restarted = try await diverge(throughRestart: true)
        let reason = evicted.reason
        #expect(reason.contains("diverging") && reason.contains("position 1"), "\(reason)")
        #expect(reason.contains("path-a") && reason.contains("path-b"), "the report names both operations: \(reason)")
        #expect(evicted.because == restarted.because)
        #expect(evicted.reason == restarted.reason, "eviction:\n\(evicted.reason)\nrestart:\n\(restarted.reason)")
        #expect(evicted.last == .parked(reason: .diverged, message: reason, attempts: nil))
        #expect(evicted.last == restarted.last)
    }

    // MARK: Opening a log of waiting workflows

    @Test("opening a log of many waiting workflows starts no task for them; woken, they are admitted a few at a time")
    func openWithoutTasks() async throws {
        let probe = Probe()
        defer { probe.openAll() }
        probe.close("after")
        let count = 300
        let clock = TestClock(mode: .manual)
        let ids = (0..<count).map { "w\($0)" }
        func input(_ i: Int) -> ProbeInput { ProbeInput(probe: probe.key, label: i.isMultiple(of: 2) ? "sleep" : "receive") }
        try await withDirectory("evict") { dir in
            let first = try await RunningEngine.start(dir, [WaitsThenGated.self], configuration: testConfiguration(clock: clock))
            for (i, id) in ids.enumerated() { _ = try await first.engine.start(WaitsThenGated.self, input: input(i), id: id) }
            for id in ids { try await recorded(first.engine, id, atLeast: 2) }
            try await first.crash()

            var configuration = testConfiguration(clock: clock)
            configuration.maxRunningWorkflows = 4
            let second = try await RunningEngine.start(dir, [WaitsThenGated.self], configuration: configuration)
            let engine = second.engine
            let sampler = ActivitySampler()
            let watcher = sampler.watch(engine)
            defer { watcher.cancel() }
            try await eventually("all \(count) waiting after recovery (activity: \(engine.activity.text))", timeout: .seconds(30)) {
                engine.activity.waiting == count
            }
            let recovered = engine.activity
            #expect(recovered.running == 0 && recovered.cached == 0 && recovered.ready == 0, "\(recovered.text)")
            #expect(sampler.peaks.running <= 4, "\(sampler.peaks.running) ran at once during recovery")

            // Wake them all: the sleepers' deadline passes, every receiver gets its message.
            clock.advance(by: .seconds(3600))
            for (i, id) in ids.enumerated() where !i.isMultiple(of: 2) { try await engine.send("m", to: id, topic: "m") }
            try await eventually("4 running at the gate, the rest ready (activity: \(engine.activity.text))", timeout: .seconds(30)) {
                let a = engine.activity
                return a.running == 4 && a.ready == count - 4 && a.waiting == 0 && a.cached == 0
            }
            try await probe.waitForArrival("after", count: 4)
            #expect(probe.arrivals("after") == 4)
            probe.open("after")
            for (i, id) in ids.enumerated() {
                let expected = "\(id) \(i.isMultiple(of: 2) ? "slept" : "m")"
                #expect(try await result(of: WaitsThenGated.self, id, input: input(i), engine) == expected)
            }
            try await idle(engine)
            watcher.cancel()
            await watcher.value
            #expect(sampler.peaks.running <= 4, "\(sampler.peaks.running) ran at once")
            for id in ids {
                #expect(probe.count("\(id) before") == 1, "\(id)'s step before the wait ran again")
                #expect(probe.count("\(id) after") == 1)
                // Entered by the first engine, then once by the replay its wake-up began: none at the open.
                #expect(probe.count("\(id) entered") == 2, "\(id) was entered \(probe.count("\(id) entered")) times")
            }
            try await second.shutdown()
        }
    }

    @Test("opening a log of workflows whose wait is over admits maxRunningWorkflows of them; the rest are ready")
    func openWithDueWorkflows() async throws {
        let probe = Probe()
        defer { probe.openAll() }
        probe.close("after")
        let count = 100
        let clock = TestClock(mode: .manual)
        let ids = (0..<count).map { "due\($0)" }
        try await withDirectory("evict") { dir in
            let first = try await RunningEngine.start(dir, [WaitsThenGated.self], configuration: testConfiguration(clock: clock))
            for id in ids {
                _ = try await first.engine.start(WaitsThenGated.self, input: ProbeInput(probe: probe.key, label: "sleep"), id: id)
            }
            for id in ids { try await recorded(first.engine, id, atLeast: 2) }
            try await first.crash()
            clock.advance(by: .seconds(3600))  // every sleep is over when the log is opened again

            var configuration = testConfiguration(clock: clock)
            configuration.maxRunningWorkflows = 4
            let second = try await RunningEngine.start(dir, [WaitsThenGated.self], configuration: configuration)
            let engine = second.engine
            let sampler = ActivitySampler()
            let watcher = sampler.watch(engine)
            defer { watcher.cancel() }
            try await eventually("4 running, \(count - 4) ready (activity: \(engine.activity.text))", timeout: .seconds(30)) {
                let a = engine.activity
                return a.running == 4 && a.ready == count - 4 && a.waiting == 0 && a.cached == 0
            }
            try await probe.waitForArrival("after", count: 4)
            probe.open("after")
            for id in ids {
                let output = try await result(of: WaitsThenGated.self, id, input: ProbeInput(probe: probe.key, label: "sleep"), engine)
                #expect(output == "\(id) slept")
            }
            try await idle(engine)
            watcher.cancel()
            await watcher.value
            #expect(sampler.peaks.running <= 4, "\(sampler.peaks.running) ran at once")
            for id in ids {
                #expect(probe.count("\(id) before") == 1)
                #expect(probe.count("\(id) entered") == 2, "\(id) was entered \(probe.count("\(id) entered")) times")
            }
            try await second.shutdown()
        }
    }

    // MARK: Cancel, resume, shutdown

    @Test("a cancelled evicted workflow is never woken by its message or deadline; resumed, it goes on from its wait")
    func cancelAndResumeEvicted() async throws {
        let probe = Probe()
        let clock = TestClock(mode: .manual)
        var configuration = testConfiguration(clock: clock)
        configuration.maxCachedWorkflows = 0
        try await withDirectory("evict") { dir in
            try await withEngine(dir, [SleepsThenSteps.self, ReceivesThenSteps.self], configuration: configuration) { engine in
                let run = ScenarioRun(engine: engine, clock: clock, probe: probe, evicting: true, round: 1)
                let input = ProbeInput(probe: probe.key)
                // "r" and "s" are cancelled; "rc" and "sc" wait on the same kinds of wake-up and show that it came.
                let r = try await engine.start(ReceivesThenSteps.self, input: input, id: "r")
                let s = try await engine.start(SleepsThenSteps.self, input: input, id: "s")
                let rc = try await engine.start(ReceivesThenSteps.self, input: input, id: "rc")
                let sc = try await engine.start(SleepsThenSteps.self, input: input, id: "sc")
                try await run.parked(["r": 2, "s": 2, "rc": 2, "sc": 2], count: 4)

                try await engine.cancel("r")
                try await engine.cancel("s")
                try await waitForStatus(engine, "r", .cancelled)
                try await waitForStatus(engine, "s", .cancelled)
                try await run.parked([:], count: 2)  // a cancelled workflow waits for nothing

                try await engine.send("for r", to: "r", topic: "m")
                try await engine.send("for rc", to: "rc", topic: "m")
                clock.advance(by: .seconds(3600))
                #expect(try await result(rc) == "received for rc")
                #expect(try await result(sc) == "slept 0 1")
                try await idle(engine)
                for id in ["r", "s"] {
                    #expect(engine.summary(of: id)?.status == .cancelled, "\(id) was woken")
                    #expect(probe.count("\(id) after") == 0, "\(id) ran past its wait")
                    #expect(try await operations(engine, id).count == 2, "\(id) recorded more after its cancellation")
                }
                #expect(code(await caught { _ = try await r.result() }) == .cancelled)

                try await engine.resume("r")
                try await engine.resume("s")
                #expect(try await result(r) == "received for r", "the message sent while cancelled is kept for it")
                #expect(try await result(s) == "slept 0 1")
                for id in ["r", "s", "rc", "sc"] {
                    #expect(probe.count("\(id) before") == 1, "\(id)'s step before the wait ran again")
                    #expect(probe.count("\(id) after") == 1)
                }
                try await idle(engine)
            }
        }
    }

    @Test(
        "evicted workflows survive a stop: after the reopen they wait as records and finish when woken",
        arguments: ["shutdown", "crash"])
    func stopAndReopen(_ stop: String) async throws {
        let probe = Probe()
        let clock = TestClock(mode: .manual)
        var configuration = testConfiguration(clock: clock)
        configuration.maxCachedWorkflows = 0
        let workflows: [any Workflow.Type] = [SleepsThenSteps.self, ReceivesThenSteps.self, AwaitsWaitingChild.self]
        let ids = ["s", "r", "p", "p-child"]
        try await withDirectory("evict") { dir in
            let first = try await RunningEngine.start(dir, workflows, configuration: configuration)
            let run = ScenarioRun(engine: first.engine, clock: clock, probe: probe, evicting: true, round: 1)
            let input = ProbeInput(probe: probe.key)
            _ = try await first.engine.start(SleepsThenSteps.self, input: input, id: "s")
            _ = try await first.engine.start(ReceivesThenSteps.self, input: input, id: "r")
            _ = try await first.engine.start(AwaitsWaitingChild.self, input: input, id: "p")
            try await run.parked(["s": 2, "r": 2, "p": 3, "p-child": 2], count: 4)
            if stop == "crash" { try await first.crash() } else { try await first.shutdown() }

            try await withEngine(dir, workflows, configuration: configuration) { engine in
                try await eventually("4 waiting after the reopen (activity: \(engine.activity.text))", timeout: .seconds(15)) {
                    engine.activity.waiting == 4
                }
                let reopened = engine.activity
                #expect(reopened.running == 0 && reopened.cached == 0 && reopened.ready == 0, "\(reopened.text)")
                for id in ids { #expect(probe.count("\(id) entered") == 1, "\(id) was replayed at the reopen, before its wake-up") }
                clock.advance(by: .seconds(3600))
                try await engine.send("for r", to: "r", topic: "m")
                try await engine.send("for the child", to: "p-child", topic: "m")
                #expect(try await result(of: SleepsThenSteps.self, "s", input: input, engine) == "slept 0 1")
                #expect(try await result(of: ReceivesThenSteps.self, "r", input: input, engine) == "received for r")
                #expect(try await result(of: AwaitsWaitingChild.self, "p", input: input, engine) == "child received for the child")
                for id in ids {
                    #expect(probe.count("\(id) before") == 1, "\(id)'s step before the wait ran again")
                    #expect(probe.count("\(id) after") == 1)
                }
                try await idle(engine)
            }
        }
    }

    // MARK: Races

    @Test("a message sent while its workflow is being evicted is received exactly once")
    func messageDuringEviction() async throws {
        try await Self.messageRace(iterations: 150)
    }

    @Test(
        "stress: a message sent while its workflow is being evicted (CAIRN_EVICTION_STRESS=1)",
        .enabled(if: ProcessInfo.processInfo.environment["CAIRN_EVICTION_STRESS"] == "1"))
    func messageDuringEvictionStress() async throws {
        try await Self.messageRace(iterations: 5_000)
    }

    /// Starts `iterations` workflows that wait for one message, each with `maxCachedWorkflows: 0`, and sends each
    /// its message after 0 to 7 yields, so the sends fall before, during and after the receive's wait and eviction.
    static func messageRace(iterations: Int) async throws {
        let probe = Probe()
        var configuration = testConfiguration()
        configuration.maxCachedWorkflows = 0
        try await withDirectory("evict") { dir in
            try await withEngine(dir, [ReceivesThenSteps.self], configuration: configuration) { engine in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<iterations {
                        if i >= 32 { _ = try await group.next() }  // at most 32 at once
                        group.addTask {
                            let id = "race\(i)"
                            let handle = try await engine.start(ReceivesThenSteps.self, input: ProbeInput(probe: probe.key), id: id)
                            for _ in 0..<(i % 8) { await Task.yield() }
                            try await engine.send("m\(i)", to: id, topic: "m")
                            let output = try await within(.seconds(30), "the result of \(id), whose message was sent during its eviction") {
                                try await handle.result()
                            }
                            #expect(output == "received m\(i)")
                        }
                    }
                    try await group.waitForAll()
                }
                for i in 0..<iterations {
                    let id = "race\(i)"
                    #expect(probe.count("\(id) before") == 1)
                    #expect(probe.count("\(id) after") == 1, "\(id) handled its message \(probe.count("\(id) after")) times")
                    let received = try await operations(engine, id).filter { $0.kind == .messageReceived }
                    #expect(received.count == 1, "\(id) received \(received.count) messages")
                }
                try await idle(engine)
            }
        }
    }
}
