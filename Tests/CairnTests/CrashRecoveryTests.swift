import Cairn
import CairnLog
import Foundation
import Testing

/// A workflow with one operation of most kinds, so that a crash can be placed before, inside or after each.
struct MixedOperations: Workflow {
    static let name = "test-mixed"

    struct Output: Codable, Sendable, Equatable {
        var steps: [String: Int]
        var now: Date
        var uuid: UUID
        var random: Int
        var message: String
    }

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Output {
        let probe = Probe.get(input.probe)
        let a = try await context.step("a", countedStep(probe, "a"))           // 0
        let now = try await context.now()                                      // 1
        try await context.sleep(for: .seconds(3600))                           // 2
        let b = try await context.step("b", countedStep(probe, "b"))           // 3
        try await context.setEvent("b", b)                                     // 4
        let message = try await context.receive(String.self, topic: "go")      // 5
        let c = try await context.step("c", countedStep(probe, "c"))           // 6
        let uuid = try await context.uuid()                                    // 7
        let random = try await context.random(in: 0..<1_000_000_000)           // 8
        let d = try await context.step("d", countedStep(probe, "d"))           // 9
        return Output(steps: ["a": a, "b": b, "c": c, "d": d], now: now, uuid: uuid, random: random, message: message ?? "")
    }
}

@Suite("Crash and recovery in one process")
struct CrashRecoveryTests {
    /// Where the first run is stopped: inside a step's body, in the durable sleep, waiting for a message, or after
    /// the workflow finished.
    enum Stop: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case inA, inSleep, inB, inReceive, inC, inD, finished
        var testDescription: String { rawValue }

        /// The step whose body is running at the crash, if any.
        var heldStep: String? {
            switch self {
            case .inA: "a"
            case .inB: "b"
            case .inC: "c"
            case .inD: "d"
            default: nil
            }
        }

        /// Positions that must be durable when the crash happens (the commit rule: everything before the operation
        /// in progress).
        var durablePositions: Int {
            switch self {
            case .inA: 0
            case .inSleep: 3  // a, now, and the sleep's start (written before sleeping)
            case .inB: 3
            case .inReceive: 5
            case .inC: 6
            case .inD: 9
            case .finished: 10
            }
        }
    }

    @Test("a crash at every position: recorded operations are not run again, the workflow finishes", arguments: Stop.allCases)
    func crashAtEveryPosition(_ stop: Stop) async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let start: Int64 = 1_700_000_000_000_000_000
            let hour: Int64 = 3_600_000_000_000
            let clock = ManualClock(start: start)
            let workflows: [any Workflow.Type] = [MixedOperations.self]
            if let held = stop.heldStep { probe.close(held) }

            // First run, up to the stop.
            let first = try await RunningEngine.start(dir, workflows, configuration: testConfiguration(clock: clock))
            let handle = try await first.engine.start(MixedOperations.self, input: ProbeInput(probe: probe.key), id: "mixed")
            let order: [Stop] = [.inA, .inSleep, .inB, .inReceive, .inC, .inD, .finished]
            for point in order {
                if point == stop { break }
                switch point {
                case .inSleep:
                    try await clock.waitForSleeper(until: start + hour)
                    clock.advance(to: start + hour)
                case .inReceive:
                    try await first.engine.send("hello", to: "mixed", topic: "go")
                default: break
                }
            }
            var firstResult: MixedOperations.Output?
            switch stop {
            case .inA, .inB, .inC, .inD:
                try await probe.waitForArrival(stop.heldStep!)
            case .inSleep:
                try await clock.waitForSleeper(until: start + hour)
                clock.advance(by: .seconds(1800))  // half the sleep passes before the crash
            case .inReceive:
                try await eventually("the receive to be waiting") {
                    first.engine.summary(of: "mixed")?.historyCount == 6  // positions 0 ... 4, and the receive's wait
                }
            case .finished:
                firstResult = try await result(handle)
            }
            try await first.crash()
            probe.openAll()

            // Reopen without a clean stop. Before anything runs, the log holds exactly what the commit rule says.
            let reopened = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(clock: clock), workflows: workflows)
            if stop == .finished {
                #expect(reopened.summary(of: "mixed")?.status == .completed)
            } else {
                #expect(reopened.summary(of: "mixed")?.status == .pending)
            }
            let recorded = try await operations(reopened, "mixed")
            let recordedPositions = Set(recorded.compactMap(\.position))
            for index in 0..<stop.durablePositions {
                #expect(recordedPositions.contains(pos(UInt32(index))), "position \(index) must be durable at \(stop)")
            }
            let recordedSteps = Dictionary(
                recorded.filter { $0.kind == .stepCompleted }.map { ($0.name, try! decodePayload(Int.self, $0.payload)) },
                uniquingKeysWith: { a, _ in a })
            let countsBefore = probe.counts
            let recordedNow = recorded.first { $0.kind == .valueRecorded && $0.name == "now" }
            await reopened.shutdown()

            // Run again: it resumes, sleeps only what is left, takes the message once, and finishes.
            let second = try await RunningEngine.start(dir, workflows, configuration: testConfiguration(clock: clock))
            if stop == .inSleep || (order.firstIndex(of: stop)! < order.firstIndex(of: .inSleep)!) {
                // The deadline recorded in the first run, not "now + 1 hour".
                try await clock.waitForSleeper(until: start + hour)
                #expect(clock.deadlines == [start + hour])
                clock.advance(to: start + hour)
            }
            if order.firstIndex(of: stop)! <= order.firstIndex(of: .inReceive)! {
                try await second.engine.send("hello", to: "mixed", topic: "go")
            }
            let output = try await result(second.engine.handle(for: "mixed", of: MixedOperations.self))
            try await second.shutdown()

            // Recorded outcomes were reused, not recomputed.
            for (name, value) in recordedSteps {
                #expect(output.steps[name] == value, "step \(name) was recorded as \(value)")
            }
            if let firstResult { #expect(output == firstResult) }
            if let recordedNow {
                let nanos = try decodePayload(Int64.self, recordedNow.payload)
                #expect(output.now == Date(timeIntervalSince1970: Double(nanos) / 1e9), "now() returns the recorded time")
            }
            #expect(output.message == "hello")
            for name in ["a", "b", "c", "d"] {
                let expected = name == stop.heldStep ? 2 : 1  // the step running at the crash runs again (at least once)
                #expect(probe.count(name) == expected, "step \(name) ran \(probe.count(name)) times (\(countsBefore[name] ?? 0) before the restart)")
                if recordedSteps[name] != nil {
                    #expect(probe.count(name) == countsBefore[name], "recorded step \(name) ran again")
                }
            }
        }
    }

    @Test("a step's outcome is durable before the next operation runs")
    func commitRule() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            for k in 0..<4 { probe.close("s\(k)") }
            let first = try await RunningEngine.start(dir, [CountedSteps.self])
            _ = try await first.engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 4), id: "w")
            var values: [Int] = []
            for k in 0..<4 {
                probe.open("s\(k)")
                if k < 3 {
                    try await probe.waitForArrival("s\(k + 1)")
                    // Step k+1's body runs, so step k's outcome is in the log already.
                    let steps = try await operations(first.engine, "w").filter { $0.kind == .stepCompleted }
                    #expect(steps.map(\.name) == (0...k).map { "s\($0)" })
                    values = try steps.map { try decodePayload(Int.self, $0.payload) }
                }
            }
            let output = try await result(first.engine.handle(for: "w", of: CountedSteps.self))
            #expect(Array(output.prefix(3)) == values)
            // The last outcome is recorded together with the completion.
            let history = try await first.engine.history(of: "w").collect()
            #expect(history.last?.event.kind == .workflowCompleted)
            #expect(history[history.count - 2].event.name == "s3")
            try await first.shutdown()
        }
    }

    @Test("a workflow started before run() runs once, not once per scheduling")
    func startBeforeRun() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            let engine = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: [CountedSteps.self])
            let handles = try await (0..<20).asyncMap { i in
                try await engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 3), id: "early-\(i)")
            }
            let runner = Task { try await engine.run() }
            for handle in handles { _ = try await result(handle) }
            await engine.shutdown()
            try await runner.value
            #expect(probe.counts == ["s0": 20, "s1": 20, "s2": 20])
        }
    }

    @Test("several crashes in a row: each restart picks up where the last left off")
    func repeatedCrashes() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            let n = 5
            var values: [Int] = []
            for k in 0..<n {
                probe.close("s\(k)")
                let running = try await RunningEngine.start(dir, [CountedSteps.self])
                if k == 0 {
                    _ = try await running.engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: n), id: "w")
                } else {
                    probe.open("s\(k - 1)")
                }
                try await probe.waitForArrival("s\(k)")
                let recorded = try await operations(running.engine, "w").filter { $0.kind == .stepCompleted }
                #expect(recorded.count == k)
                let now = try recorded.map { try decodePayload(Int.self, $0.payload) }
                #expect(Array(now.prefix(values.count)) == values, "recorded values never change")
                values = now
                try await running.crash()
            }
            probe.openAll()
            let last = try await RunningEngine.start(dir, [CountedSteps.self])
            let output = try await result(last.engine.handle(for: "w", of: CountedSteps.self))
            try await last.shutdown()
            #expect(Array(output.prefix(values.count)) == values)
            // Step k was entered once by the run that completed it and once by the run that crashed in it.
            for k in 0..<n { #expect(probe.count("s\(k)") == 2) }
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
