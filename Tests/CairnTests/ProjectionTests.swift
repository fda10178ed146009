import Cairn
import CairnLog
import CairnTestSupport
import Testing

/// The history rules the projection applied to decoded events before it kept histories as bytes, written out
/// plainly: a receive's wait sets `waitStarted` (the latest wins), otherwise the first outcome at a position wins.
private struct EagerHistory {
    struct Entry: Equatable {
        var event: Event?
        var waitStarted: Event?
        var lsn: LSN
    }

    var entries: [Position: Entry] = [:]

    mutating func record(_ event: Event, lsn: LSN) {
        guard let position = event.position else { return }
        let fresh = Entry(event: nil, waitStarted: nil, lsn: lsn)
        if event.kind == .receiveStarted {
            entries[position, default: fresh].waitStarted = event
        } else if entries[position]?.event == nil {
            entries[position, default: fresh].event = event
            entries[position]!.lsn = lsn
        }
    }
}

@Suite("Projection: envelopes read in place, histories kept as bytes")
struct ProjectionTests {
    /// Operations of every history kind at positions that repeat (duplicates, a receive's wait and its outcome),
    /// nested, and long enough (over 7 encoded bytes) to be told apart by hash and byte comparison.
    private static func operations(_ n: Int, workflowID: String, seed: UInt64) -> [Event] {
        var random = SeededGenerator(seed: seed)
        let kinds: [EventKind] = [
            .stepCompleted, .stepFailed, .sleepStarted, .receiveStarted, .messageReceived, .eventRead, .childStarted,
            .childCompleted, .valueRecorded, .patchMarker, .branchStarted, .receiveStarted,
        ]
        let long = [Position([100_000, 200_000, 300_000]), Position([1, 2, 3, 4, 5, 6, 7]), Position([16_384])]
        var used: [Position] = []
        var events: [Event] = []
        for i in 0..<n {
            let position: Position
            if !used.isEmpty && Int.random(in: 0..<10, using: &random) < 3 {
                position = used.randomElement(using: &random)!
            } else if Int.random(in: 0..<8, using: &random) == 0 {
                position = long.randomElement(using: &random)!
            } else {
                let depth = Int.random(in: 1...3, using: &random)
                position = Position((0..<depth).map { _ in UInt32.random(in: 0..<40, using: &random) })
            }
            used.append(position)
            let kind = kinds.randomElement(using: &random)!
            events.append(Event(
                kind: kind, workflowID: workflowID, position: position, name: "op-\(i % 7)",
                callSite: Bool.random(using: &random) ? CallSite(file: "Tests/ProjectionTests.swift", line: i) : nil,
                time: 1_000 + Int64(i), digest: Bool.random(using: &random) ? random.next() : nil,
                deadline: kind == .receiveStarted ? 9_000 : nil, number: kind == .messageReceived ? 12_345 : nil,
                errorType: kind == .stepFailed ? "Oops" : nil, flags: kind == .messageReceived ? .timedOut : [],
                payload: (0..<Int.random(in: 0..<40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }))
        }
        return events
    }

    @Test(
        "a history kept as bytes decodes to what the eager rules gave, duplicates and receive waits included",
        arguments: [0, 1, 5, 31, 32, 33, 200])
    func lazyHistoryMatchesEagerRules(n: Int) throws {
        var projection = LogProjection()
        var expected = ["w": EagerHistory(), "other": EagerHistory()]
        var lsn = LSN(rawValue: 1)
        func apply(_ event: Event) {
            projection.apply(event, lsn: lsn)
            expected[event.workflowID]?.record(event, lsn: lsn)
            lsn = lsn.next
        }
        apply(Event(kind: .workflowStarted, workflowID: "w", name: "wf", time: 1, payload: Array("in".utf8)))
        apply(Event(kind: .workflowStarted, workflowID: "other", name: "wf", time: 1))
        // Two workflows' operations interleaved, as the log holds them.
        let mine = Self.operations(n, workflowID: "w", seed: UInt64(n))
        let theirs = Self.operations(n / 2, workflowID: "other", seed: UInt64(n) + 1)
        for i in 0..<max(mine.count, theirs.count) {
            if i < mine.count { apply(mine[i]) }
            if i < theirs.count { apply(theirs[i]) }
        }
        for id in ["w", "other"] {
            let state = try #require(projection.state(of: id))
            let model = expected[id]!.entries
            #expect(state.history.count == model.count)
            #expect(state.summary.historyCount == model.count, "the count kept as records arrive")
            for item in state.history {
                let entry = try #require(model[item.position], "\(id): unexpected position \(item.position)")
                #expect(EagerHistory.Entry(event: item.event, waitStarted: item.waitStarted, lsn: item.lsn) == entry)
            }
        }
        // Finishing drops the history; the other workflow keeps its own.
        apply(Event(kind: .workflowCompleted, workflowID: "w", name: "wf", time: 9, payload: Array("out".utf8)))
        apply(Event(kind: .stepCompleted, workflowID: "w", position: Position([999]), name: "late", time: 10))
        let finished = try #require(projection.state(of: "w"))
        #expect(finished.history.isEmpty && finished.summary.historyCount == 0)
        #expect(finished.output == Array("out".utf8) && finished.input == Array("in".utf8))
        #expect(projection.state(of: "other")?.history.count == expected["other"]!.entries.count)
    }

    /// Valid envelopes with every optional field somewhere.
    private static let samples: [Event] = [
        Event(kind: .workflowStarted, workflowID: "wf-1", name: "orders", time: 5, target: "parent",
              parentPosition: Position([3, 1]), payload: Array("{}".utf8)),
        Event(kind: .stepCompleted, workflowID: "a-much-longer-workflow-id-0123456789", position: Position([2, 0, 7]),
              name: "charge", callSite: CallSite(file: "Shop/Orders.swift", line: 42), time: 1_790_000_000_000_000_000,
              digest: 0xDEAD_BEEF, payload: Array("12".utf8)),
        Event(kind: .messageSent, workflowID: "", name: "go", time: 7, target: "wf-1", idempotencyKey: "k1",
              payload: [1, 2, 3]),
        Event(kind: .receiveStarted, workflowID: "wf-1", position: Position([1]), name: "go", time: 8, deadline: 99,
              number: 600),
        Event(kind: .workflowParked, workflowID: "wf-1", name: "orders", time: 9, errorType: "E",
              flags: .diverged, payload: Array("why".utf8)),
    ]

    @Test("the envelope check refuses exactly the envelopes a full decode refuses, and finds the same fields")
    func checkAgreesWithDecode() throws {
        var random = SeededGenerator(seed: 42)
        var accepted = 0
        var refused = 0
        func compare(_ tag: UInt8, _ bytes: [UInt8]) {
            bytes.withUnsafeBytes { raw in
                let peek = try? EnvelopePeek(tag: tag, bytes: raw)
                let event = try? Event(lsn: LSN(rawValue: 1), tag: tag, bytes: raw)
                #expect((peek == nil) == (event == nil), "tag \(tag), bytes \(bytes)")
                guard let peek, let event else {
                    refused += 1
                    return
                }
                accepted += 1
                #expect(EnvelopePeek.string(peek.workflowID, in: raw) == event.workflowID)
                #expect(EnvelopePeek.string(peek.name, in: raw) == event.name)
                #expect(Array(raw[peek.payload]) == event.payload)
                #expect(peek.time == event.time && peek.flags == event.flags && peek.number == event.number)
                #expect(peek.hasPosition == (event.position != nil))
                #expect(peek.target.map { EnvelopePeek.string($0, in: raw) } == event.target)
                #expect(peek.errorType.map { EnvelopePeek.string($0, in: raw) } == event.errorType)
                #expect(peek.idempotencyKey.map { EnvelopePeek.string($0, in: raw) } == event.idempotencyKey)
                #expect((peek.parentPosition != nil) == (event.parentPosition != nil))
            }
        }
        for sample in Self.samples {
            let bytes = sample.encoded()
            let tag = sample.kind.rawValue
            for length in 0...bytes.count { compare(tag, Array(bytes.prefix(length))) }
            for _ in 0..<400 {
                var mutated = bytes
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    mutated[Int.random(in: 0..<mutated.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                compare(tag, mutated)
            }
        }
        // Lengths and counts too large for an Int, and a line number past Int.max: refused, not a crash.
        let huge: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
        compare(EventKind.stepCompleted.rawValue, [1, 0] + huge)
        compare(EventKind.stepCompleted.rawValue, [1, 1, 1, 0x61] + huge)
        compare(EventKind.stepCompleted.rawValue, [1, 2, 1, 0x61, 1, 0x62, 1, 0x63] + huge + [0])
        #expect(accepted > 100 && refused > 100, "both outcomes exercised")
    }

    /// A record whose envelope is malformed in the middle of a workflow's history.
    static let malformed: [(String, [UInt8])] = [
        ("truncated inside the position", [1, 1, 1, 0x77, 2, 0]),
        ("a position 65 levels deep", [1, 1, 1, 0x77, 65] + [UInt8](repeating: 0, count: 65) + [1, 0x73, 0]),
        ("a position index over UInt32", [1, 1, 1, 0x77, 1, 0x80, 0x80, 0x80, 0x80, 0x10, 1, 0x73, 0]),
        ("a name longer than the record", [1, 1, 1, 0x77, 1, 3, 0x7F, 0x73]),
        ("a line number past Int.max", [1, 3, 1, 0x77, 1, 3, 1, 0x73, 1, 0x66, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0]),
        ("unknown fields", [1, 0x81, 0x08, 1, 0x77, 1, 3, 1, 0x73, 0]),
    ]

    @Test("a malformed envelope inside an unfinished history is refused at open, naming its LSN", arguments: 0..<6)
    func malformedHistoryRecord(index: Int) async throws {
        let (what, envelope) = Self.malformed[index]
        try await withDirectory { dir in
            let log = try await Log.open(at: dir)
            _ = try await log.append(contentsOf: [
                Event(kind: .workflowStarted, workflowID: "w", name: Doubler.name, time: 1).record(),
                Event(kind: .stepCompleted, workflowID: "w", position: Position([0]), name: "s", time: 2).record(),
            ])
            let lsn = try await log.append(LogRecord(tag: EventKind.stepCompleted.rawValue, payload: envelope))
            _ = try await log.append(Event(kind: .stepCompleted, workflowID: "w", position: Position([4]), name: "s", time: 3).record())
            try await log.close()
            let error = await caught {
                _ = try await WorkflowEngine.open(directory: dir, configuration: testConfiguration(), workflows: [Doubler.self])
            }
            #expect(code(error) == .undecodableEvent, "\(what)")
            #expect((error as? WorkflowError)?.lsn == lsn, "\(what)")
        }
    }

    @Test("workflows forgotten from the table leave every other one findable, and their IDs reusable")
    func forgetKeepsTheRestFindable() throws {
        var projection = LogProjection()
        var random = SeededGenerator(seed: 7)
        var live = Set<String>()
        var lsn = LSN(rawValue: 1)
        func start(_ id: String) {
            projection.apply(Event(kind: .workflowStarted, workflowID: id, name: "n-\(id.count)", time: Int64(lsn.rawValue)), lsn: lsn)
            lsn = lsn.next
            live.insert(id)
        }
        for i in 0..<3_000 { start("wf-\(i)") }
        for round in 0..<4 {
            let dropped = Set(live.filter { _ in Int.random(in: 0..<3, using: &random) == 0 })
            projection.forget(dropped)
            live.subtract(dropped)
            for i in 0..<200 { start("new-\(round)-\(i)") }
            for id in dropped.prefix(50) { start(id) }
            #expect(projection.workflowCount == live.count)
            #expect(Set(projection.workflowIDs) == live)
            for id in live { #expect(projection.summary(of: id)?.id == id) }
            for id in dropped where !live.contains(id) { #expect(projection.summary(of: id) == nil) }
        }
    }

    @Test("the projection kept live from appended records equals the one rebuilt from the log")
    func liveEqualsRebuilt() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("sent")
            let running = try await RunningEngine.start(dir, [Consumer.self, Producer.self, CountedSteps.self, Failing.self])
            let engine = running.engine
            _ = try await engine.start(Consumer.self, input: ProbeInput(probe: probe.key, n: 3), id: "c")
            _ = try await engine.start(Producer.self, input: ProbeInput(probe: probe.key, n: 2, label: "c"), id: "p")
            _ = try await result(try await engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 2), id: "s"))
            _ = await caught { _ = try await result(try await engine.start(Failing.self, input: ProbeInput(probe: probe.key), id: "f")) }
            try await engine.send("early", to: "nobody", topic: "m", idempotencyKey: "k")
            try await engine.send("again", to: "nobody", topic: "m", idempotencyKey: "k")
            // c: receive, h0, receive, h1, then waiting in a third receive (its wait recorded); p: two sends, its
            // step gated.
            try await eventually("c and p recorded") {
                engine.summary(of: "c")?.historyCount == 5 && engine.summary(of: "p")?.historyCount == 2
            }
            let live = engine.list()
            try await running.crash()  // nothing more is written (a shutdown would wait for p's gated step)

            var rebuilt = LogProjection()
            try LogReader(directory: dir).scan { record in
                try rebuilt.apply(record)
                return true
            }
            #expect(rebuilt.workflowCount == live.count)
            for summary in live {
                var expected = summary
                if expected.status == .running { expected.status = .pending }  // running is this process's view
                #expect(rebuilt.summary(of: summary.id) == expected)
            }
            #expect(rebuilt.undeliveredMessages == 1, "the repeated send to 'nobody' was not delivered twice")
            #expect(rebuilt.summary(of: "s")?.historyCount == 0 && rebuilt.summary(of: "f")?.status == .failed)
        }
    }
}
