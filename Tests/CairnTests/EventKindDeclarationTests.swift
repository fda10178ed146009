@testable import Cairn
import CairnLog
import CairnTestSupport
import Foundation
import Testing

/// Each event kind's declaration says what the code does with the kind: the names scripts and people see, the
/// fields its events carry, the operation replay matches it with, its payload and its tone — and the engine's own
/// events keep to it.
@Suite("Event kinds: one declaration each")
struct EventKindDeclarationTests {
    @Test("kinds are numbered 1 to n without gaps (the declarations are indexed by raw value)")
    func rawValuesAreDense() {
        #expect(EventKind.allCases.map(\.rawValue) == Array(1...UInt8(EventKind.allCases.count)))
    }

    /// The stable names scripts read (`cairn export`): the Swift case names, in raw-value order.
    static let caseNames = [
        "workflowStarted", "stepCompleted", "stepFailed", "sleepStarted", "messageSent", "messageReceived",
        "receiveStarted", "eventSet", "eventRead", "childStarted", "childCompleted", "valueRecorded", "patchMarker",
        "workflowCompleted", "workflowFailed", "workflowCancelled", "workflowResumed", "workflowForked",
        "workflowParked", "branchStarted", "recoveryAttempted", "engineStopped", "workflowSummary", "childWaitStarted",
        "retryWaitStarted", "streamWritten", "streamClosed", "workflowEnqueued", "workflowDequeued", "scheduleChanged",
        "scheduleTicked", "debounceRequested", "queueDeclared", "recoverySucceeded",
    ]

    @Test("a kind's case name is its Swift case name, never renamed; case names and display names are unique")
    func names() {
        #expect(EventKind.allCases.map(\.declaration.caseName) == Self.caseNames)
        for kind in EventKind.allCases {
            #expect(kind.displayName == kind.declaration.displayName && kind.description == kind.displayName)
        }
        #expect(Set(EventKind.allCases.map(\.declaration.caseName)).count == EventKind.allCases.count)
        #expect(Set(EventKind.allCases.map(\.displayName)).count == EventKind.allCases.count)
    }

    @Test("operations carry a position and a call site; lifecycle events neither; each field is declared once, and only optional ones")
    func fieldShape() {
        for kind in EventKind.allCases {
            let d = kind.declaration
            let fields = d.fields.map(\.field)
            #expect(Set(fields).count == fields.count, "\(kind) declares a field twice")
            #expect(fields.allSatisfy { $0.presenceBit != nil && $0 != .flags }, "\(kind) declares a fixed field or flags as a field")
            #expect(d.fields.allSatisfy { !$0.meaning.isEmpty } && !d.name.isEmpty, "\(kind) leaves a meaning unsaid")
            switch d.role {
            case .operation:
                #expect(d.field(.position) != nil && d.field(.callSite) != nil, "\(kind)")
                #expect(d.flags.contains(.copied), "\(kind): a fork copies operations with .copied")
                #expect(d.replay != nil, "\(kind): an operation replay cannot match")
                #expect(kind.isOperation)
            case .lifecycle:
                #expect(d.field(.position) == nil && d.field(.callSite) == nil && d.replay == nil, "\(kind)")
                #expect(!kind.isOperation)
            }
        }
    }

    @Test("replay matches each operation with the kinds recorded for it")
    func replayTable() {
        let expected: [OperationKind: Set<EventKind>] = [
            .step: [.stepCompleted, .stepFailed, .retryWaitStarted], .sleep: [.sleepStarted], .send: [.messageSent],
            .receive: [.messageReceived, .receiveStarted], .setEvent: [.eventSet], .readEvent: [.eventRead, .receiveStarted],
            .startChild: [.childStarted], .childResult: [.childCompleted, .childWaitStarted], .recordValue: [.valueRecorded],
            .patch: [.patchMarker], .parallel: [.branchStarted], .writeStream: [.streamWritten], .closeStream: [.streamClosed],
        ]
        for operation in OperationKind.allCases { #expect(operation.recordedKinds == expected[operation], "\(operation)") }
        let wait = Event(kind: .receiveStarted, workflowID: "w", position: Position([1]), name: "k", time: 0)
        var read = wait
        read.target = "owner"
        #expect(OperationKind.of(wait) == .receive && OperationKind.of(read) == .readEvent)
        #expect(OperationKind.of(Event(kind: .workflowStarted, workflowID: "w", name: "n", time: 0)) == nil)
    }

    @Test("determinism reports show a sleep's or wait's duration and a send's or read's destination, as declared")
    func reportDetails() {
        let site = CallSite(file: "F.swift", line: 1)
        let sleep = Event(kind: .sleepStarted, workflowID: "w", position: Position([0]), name: "sleep", callSite: site, time: 0, deadline: 9, number: 2_000_000_000)
        #expect(describe(sleep).details == ["duration=2s"])
        let send = Event(kind: .messageSent, workflowID: "w", position: Position([1]), name: "t", callSite: site, time: 0, target: "b")
        #expect(describe(send).details == ["to=b"])
        let child = Event(kind: .childCompleted, workflowID: "w", position: Position([2]), name: "c", callSite: site, time: 0, target: "c")
        #expect(describe(child).details == [])
        let attempted = AttemptedOperation(kind: .sleep, name: "sleep", callSite: site, duration: 3_000_000_000)
        #expect(attempted.mismatch(with: sleep, mode: .strict)?.contains("duration changed") == true)
        #expect(attempted.mismatch(with: sleep, mode: .structure) == nil)
    }

    @Test("payloads: text for failures, failed attempts and parks (a child's when it failed), a summary's own fields, nothing for markers")
    func payloads() {
        for kind in EventKind.allCases {
            let text = kind.declaration.payloadIsText(hasErrorType: false)
            #expect(text == [.stepFailed, .retryWaitStarted, .workflowFailed, .workflowParked, .scheduleChanged, .queueDeclared].contains(kind), "\(kind)")
        }
        #expect(EventKind.childCompleted.declaration.payloadIsText(hasErrorType: true))
        #expect(EventKind.workflowSummary.declaration.payload == .summary)
        #expect(EventKind.sleepStarted.declaration.payload == .none && EventKind.branchStarted.declaration.payload == .none)
    }

    @Test("tones: failures, completion, parks and starts stand out; the rest is plain")
    func tones() {
        for kind in EventKind.allCases {
            let expected: EventKind.Declaration.Tone =
                switch kind {
                case .stepFailed, .workflowFailed: .failure
                case .workflowCompleted: .success
                case .workflowParked: .attention
                case .workflowStarted, .workflowSummary, .workflowEnqueued, .workflowDequeued: .lifecycle
                default: .plain
                }
            #expect(kind.declaration.tone == expected, "\(kind)")
        }
    }

    @Test("a declaration names what an event sets beyond it, what it lacks, and flags it may not have")
    func misfits() {
        let ok = Event(kind: .sleepStarted, workflowID: "w", position: Position([0]), name: "sleep", callSite: CallSite(file: "f", line: 1), time: 0, deadline: 1, number: 1)
        #expect(EventKind.sleepStarted.declaration.misfits(ok).isEmpty)
        var bad = ok
        bad.target = "x"
        bad.number = nil
        bad.flags = .timedOut
        bad.payload = [1]
        let problems = EventKind.sleepStarted.declaration.misfits(bad)
        #expect(problems.count == 4, "\(problems)")
        #expect(problems.contains { $0.contains("sets target") } && problems.contains { $0.contains("lacks number") })
    }

    @Test("compaction keeps a stream's records with a retained workflow's summary, and nothing else of its history")
    func keptWithSummary() {
        #expect(EventKind.allCases.filter(\.declaration.keptWithSummary) == [.streamWritten, .streamClosed])
    }

    // MARK: The engine's own events

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// Every event in the log at `directory`, checked against its kind's declaration.
    static func check(_ directory: String, seen: inout Set<EventKind>) throws {
        var problems: [String] = []
        var kinds = Set<EventKind>()
        try LogReader(directory: directory).scan { record in
            let event = try Event(record: record)
            kinds.insert(event.kind)
            problems += event.kind.declaration.misfits(event).map { "\(directory) LSN \(record.lsn.rawValue) \(event.kind): \($0)" }
            return true
        }
        seen.formUnion(kinds)
        #expect(problems.isEmpty, "\(problems.prefix(10))")
    }

    @Test("the recorded fixtures' events (every workflow operation, written by the engine) keep to their declarations")
    func fixtureEventsFit() throws {
        var seen = Set<EventKind>()
        try Self.check(Self.fixtures + "/format-v1", seen: &seen)
        let replay = Self.fixtures + "/replay"
        for name in try FileManager.default.contentsOfDirectory(atPath: replay) { try Self.check(replay + "/" + name, seen: &seen) }
        // A child's wait is recorded since after the fixtures were: `RecoveryAttemptTests` checks a live one.
        let operations = EventKind.allCases.filter(\.isOperation).filter { $0 != .childWaitStarted }
        #expect(Set(operations).subtracting(seen).isEmpty, "operation kinds missing: \(Set(operations).subtracting(seen))")
    }

    @Test("a live engine's lifecycle events (recovery, parking, resume, fork, a send from outside, compaction's summaries, a clean stop) keep to their declarations")
    func engineEventsFit() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            var configuration = testConfiguration()
            configuration.maxRecoveryAttempts = 1
            configuration.log.segmentSize = 64 << 10  // the least: compaction rewrites sealed segments only
            configuration.queues = [WorkflowQueue("q", concurrency: 1)]
            let workflows: [any Workflow.Type] = [CountedSteps.self, Doubler.self]
            probe.close("s0")
            let first = try await RunningEngine.start(dir, workflows, configuration: configuration)
            _ = try await first.engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 2), id: "crashy")
            try await probe.waitForArrival("s0", count: 1)
            try await first.crash()
            let second = try await RunningEngine.start(dir, workflows, configuration: configuration)
            try await probe.waitForArrival("s0", count: 2)
            try await second.crash()

            let last = try await RunningEngine.start(dir, workflows, configuration: configuration)
            try await waitForStatus(last.engine, "crashy", .parked)
            // Inputs that do not compress, so the finished workflows fill sealed segments for compaction.
            var random = SeededGenerator(seed: 3)
            for k in 0..<40 {
                let filler = String((0..<4096).map { _ in Character(Unicode.Scalar(UInt8.random(in: 97...122, using: &random))) })
                let input = ProbeInput(probe: probe.key, n: k, label: filler)
                #expect(try await result(try await last.engine.start(Doubler.self, input: input, id: "d\(k)")) == 2 * k)
            }
            let queued = try await last.engine.start(
                Doubler.self, input: ProbeInput(probe: probe.key, n: 5), id: "queued",
                options: StartOptions(queue: "q", priority: 2, deduplicationID: "once", timeout: .seconds(600)))
            #expect(try await result(queued) == 10)
            let forked = try await last.engine.fork("d0", before: 1)
            _ = try await result(last.engine.handle(for: forked, of: Doubler.self))
            try await last.engine.send("hello", to: "d1", topic: "t", idempotencyKey: "once")
            probe.open("s0")
            try await last.engine.resume("crashy")
            _ = try await result(last.engine.handle(for: "crashy", of: CountedSteps.self))
            _ = try await last.engine.compact(policy: CompactionPolicy())  // summaries replace finished histories
            try await last.shutdown()

            var seen = Set<EventKind>()
            try Self.check(dir, seen: &seen)
            let lifecycle: Set<EventKind> = [
                .recoveryAttempted, .workflowParked, .workflowResumed, .workflowForked, .workflowSummary, .engineStopped,
                .messageSent, .queueDeclared, .workflowEnqueued, .workflowDequeued,
            ]
            #expect(lifecycle.subtracting(seen).isEmpty, "kinds not exercised: \(lifecycle.subtracting(seen))")
        }
    }
}
