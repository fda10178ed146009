import Cairn
import CairnLog
import CairnTestSupport
import Foundation
import Testing

/// The engine's projection and the CLI's index apply records through one lifecycle reducer; these tests hold them to
/// it on every recorded fixture and on random record sequences that mix every lifecycle kind in every order (also
/// orders the engine never writes): after each record, both say the same about every workflow and every message.
@Suite struct LifecycleAgreementTests {
    static let fixtures = URL(fileURLWithPath: #filePath)  // Tests/CairnTests/LifecycleAgreementTests.swift
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    /// Every log under Fixtures/ (format-v1 and each replay fixture).
    static func fixtureLogs() throws -> [String] {
        var logs = [fixtures + "/format-v1"]
        let replay = fixtures + "/replay"
        for name in try FileManager.default.contentsOfDirectory(atPath: replay).sorted() {
            logs.append(replay + "/" + name)
        }
        return logs
    }

    /// Feeds every record of the log at `directory` to a projection and to indexes of each kind, checking after
    /// each record that they agree on every summary and on the undelivered messages; records an issue for the first
    /// disagreement and returns how many workflows there were.
    @discardableResult
    static func checkAgreement(_ directory: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let (workflows, disagreement) = try LifecycleAgreement.check(directory)
        if let disagreement { Issue.record("\(directory): \(disagreement)", sourceLocation: sourceLocation) }
        return workflows
    }

    @Test func indexAndProjectionAgreeOnEveryFixture() throws {
        let logs = try Self.fixtureLogs()
        #expect(logs.count >= 2)
        var workflows = 0
        for log in logs { workflows += try Self.checkAgreement(log) }
        #expect(workflows > 0, "the fixtures hold workflows")
    }

    /// Random sequences of every lifecycle kind, over a few IDs: starts (repeated ones too), ends, cancels, parks
    /// with each flag, resumes, summary records, sends (from outside and from workflows, keyed, repeated, copied),
    /// receives (taking a message, timing out, taking one already taken), events and plain operations.
    @Test(arguments: 0..<40) func indexAndProjectionAgreeOnRandomSequences(seed: UInt64) async throws {
        var random = SeededGenerator(seed: 0x11FE_C7C1E + seed)
        let ids = ["a", "b", "c", "d"]
        let topics = ["t1", "t2"]
        var events: [Event] = []
        var sent: [(lsn: UInt64, to: String, topic: String)] = []
        var positions: [String: UInt32] = [:]
        func next(_ id: String) -> Position {
            positions[id, default: 0] += 1
            return Position([positions[id]!])
        }
        for time in 1...60 {
            let id = ids.randomElement(using: &random)!
            let t = Int64(time)
            let event: Event
            switch Int.random(in: 0..<16, using: &random) {
            case 0, 1:
                event = Event(
                    kind: .workflowStarted, workflowID: id, name: ["w1", "w2"].randomElement(using: &random)!, time: t,
                    target: Bool.random(using: &random) ? ids.randomElement(using: &random)! : nil, payload: [1, 2])
            case 2:
                event = Event(kind: .workflowCompleted, workflowID: id, name: "w", time: t, payload: Array("\(t)".utf8))
            case 3:
                event = Event(kind: .workflowFailed, workflowID: id, name: "w", time: t, errorType: Bool.random(using: &random) ? "E" : nil, payload: Array("boom \(t)".utf8))
            case 4:
                event = Event(kind: .workflowCancelled, workflowID: id, name: "w", time: t)
            case 5:
                let flags: [Event.Flags] = [[], .diverged, .unknownWorkflow, .recoveryExhausted]
                event = Event(kind: .workflowParked, workflowID: id, name: "w", time: t, flags: flags.randomElement(using: &random)!, payload: Array("why \(t)".utf8))
            case 6:
                event = Event(kind: .workflowResumed, workflowID: id, name: "w", time: t)
            case 7:
                let failed = Bool.random(using: &random)
                event = WorkflowSummaryRecord(
                    workflowID: id, name: "w3", status: failed ? .failed : .completed, startedAt: 0, finishedAt: t,
                    parentID: nil, parentPosition: nil, failure: failed ? WorkflowFailure(errorType: "S", message: "m") : nil,
                    output: failed ? [] : [7], input: [8], events: [.init(key: "k", value: [9])]
                ).event
            case 8, 9:
                let to = ids.randomElement(using: &random)!
                let topic = topics.randomElement(using: &random)!
                let fromOutside = Bool.random(using: &random)
                let key: String? = fromOutside && Bool.random(using: &random) ? ["k1", "k2"].randomElement(using: &random)! : nil
                let copied = !fromOutside && Int.random(in: 0..<4, using: &random) == 0
                event = Event(
                    kind: .messageSent, workflowID: fromOutside ? "" : id, position: fromOutside ? nil : next(id), name: topic, time: t,
                    target: to, idempotencyKey: key, flags: copied ? .copied : [], payload: [UInt8(time)])
                sent.append((UInt64(events.count + 1), to, topic))
            case 10, 11:
                // A receive takes a message sent to this workflow on its topic (maybe one taken before), or times out.
                let mine = sent.filter { $0.to == id }
                if let message = mine.randomElement(using: &random), Int.random(in: 0..<5, using: &random) > 0 {
                    event = Event(kind: .messageReceived, workflowID: id, position: next(id), name: message.topic, time: t, number: message.lsn)
                } else {
                    event = Event(kind: .messageReceived, workflowID: id, position: next(id), name: "t1", time: t, flags: .timedOut)
                }
            case 12:
                event = Event(kind: .eventSet, workflowID: id, position: next(id), name: "k", time: t, payload: [UInt8(time)])
            case 13:
                let kind: EventKind = Bool.random(using: &random) ? .recoveryAttempted : .recoverySucceeded
                event = Event(kind: kind, workflowID: id, name: "w", time: t)
            case 14:
                event = Event(kind: .engineStopped, workflowID: "", name: "", time: t)
            default:
                event = Event(kind: .stepCompleted, workflowID: id, position: next(id), name: "s", time: t, payload: [1])
            }
            events.append(event)
        }
        try await withDirectory("lifecycle") { directory in
            let log = try await Log.open(at: directory)
            _ = try await log.append(contentsOf: events.map { $0.record() })
            try await log.close()
            try Self.checkAgreement(directory)
        }
    }
}

/// The check behind ``LifecycleAgreementTests``, also run on the log of every model-simulation episode.
enum LifecycleAgreement {
    /// Applies every record of the log at `directory` to a ``LogProjection`` and to a plain, a detailed and a
    /// mailbox ``WorkflowIndex``; after each record compares every summary and the count of undelivered messages.
    /// Returns how many workflows there were and the first disagreement, if any.
    static func check(_ directory: String) throws -> (workflows: Int, disagreement: String?) {
        var projection = LogProjection()
        var index = WorkflowIndex()
        var detailed = WorkflowIndex(details: true)
        var mailbox = WorkflowIndex(mailbox: true)
        var disagreement: String?
        _ = try LogReader(directory: directory).scan { record in
            try projection.apply(record)
            try index.apply(record)
            try detailed.apply(record)
            try mailbox.apply(record)
            var expected: [String: WorkflowSummary] = [:]
            projection.forEachSummary { s in
                var s = s
                s.historyCount = 0
                expected[s.id] = s
            }
            for (name, candidate) in [("index", index), ("detailed index", detailed), ("mailbox index", mailbox)] {
                var got: [String: WorkflowSummary] = [:]
                candidate.forEach { got[$0.id] = $0 }
                if got != expected {
                    let ids = Set(got.keys).union(expected.keys).filter { got[$0] != expected[$0] }.sorted()
                    let detail = ids.map { "\($0): \(got[$0].map(String.init(describing:)) ?? "missing") vs \(expected[$0].map(String.init(describing:)) ?? "missing")" }
                    disagreement = "after LSN \(record.lsn) the \(name) and the projection differ: \(detail.joined(separator: "; "))"
                    return false
                }
            }
            for (name, candidate) in [("detailed index", detailed), ("mailbox index", mailbox)]
            where candidate.undeliveredCount != projection.undeliveredMessages {
                disagreement = "after LSN \(record.lsn) the \(name) has \(candidate.undeliveredCount) undelivered messages, the projection \(projection.undeliveredMessages)"
                return false
            }
            return true
        }
        return (projection.workflowCount, disagreement)
    }
}
