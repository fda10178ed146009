import Cairn
import CairnLog
import Testing

/// One predicate says which records belong to a workflow; its envelope form (``EnvelopePeek``) and its decoded form
/// (``Event``) agree.
@Suite struct RecordMembershipTests {
    struct Case: Sendable, CustomStringConvertible {
        var event: Event
        /// The workflows the record concerns (its history lists it).
        var concerns: Set<String>
        var owner: String?
        var addressee: String?
        var ownRecord: Bool
        var description: String { "\(event.kind) of '\(event.workflowID)'" }
    }

    static let cases: [Case] = [
        Case(
            event: Event(kind: .stepCompleted, workflowID: "a", position: Position([1]), name: "s", time: 1),
            concerns: ["a"], owner: "a", addressee: nil, ownRecord: true),
        Case(
            event: Event(kind: .workflowCompleted, workflowID: "a", name: "w", time: 1),
            concerns: ["a"], owner: "a", addressee: nil, ownRecord: true),
        Case(
            event: Event(kind: .messageSent, workflowID: "", name: "topic", time: 1, target: "a"),
            concerns: ["a"], owner: nil, addressee: "a", ownRecord: false),
        // A message one workflow sends another is its sender's: the receiver's history has the receive.
        Case(
            event: Event(kind: .messageSent, workflowID: "b", position: Position([2]), name: "topic", time: 1, target: "a"),
            concerns: ["b"], owner: "b", addressee: "a", ownRecord: false),
        Case(
            event: Event(kind: .messageReceived, workflowID: "a", position: Position([3]), name: "topic", time: 1, number: 4),
            concerns: ["a"], owner: "a", addressee: nil, ownRecord: true),
        Case(
            event: Event(kind: .childStarted, workflowID: "a", position: Position([4]), name: "w", time: 1, target: "b"),
            concerns: ["a"], owner: "a", addressee: nil, ownRecord: true),
        Case(
            event: Event(kind: .engineStopped, workflowID: "", name: "", time: 1),
            concerns: [], owner: nil, addressee: nil, ownRecord: false),
        Case(
            event: WorkflowSummaryRecord(
                workflowID: "a", name: "w", status: .completed, startedAt: 0, finishedAt: 1, parentID: "b",
                parentPosition: nil, failure: nil, output: [], input: [], events: []
            ).event,
            concerns: ["a"], owner: "a", addressee: nil, ownRecord: false),
    ]

    @Test(arguments: cases) func membership(_ c: Case) throws {
        let record = c.event.record()
        try record.payload.withUnsafeBytes { bytes in
            let peek = try EnvelopePeek(tag: record.tag, bytes: bytes)
            #expect(peek.owner.map { EnvelopePeek.string($0, in: bytes) } == c.owner)
            #expect(peek.addressee.map { EnvelopePeek.string($0, in: bytes) } == c.addressee)
            #expect(peek.isOwnRecord == c.ownRecord)
            let (owner, sentTo) = peek.concernedWorkflows
            let listed = Set([owner, sentTo].compactMap { $0.map { EnvelopePeek.string($0, in: bytes) } })
            #expect(listed == c.concerns, "\(c) is listed in the histories of \(listed.sorted())")
            for id in ["a", "b", "c"] {
                let expected = c.concerns.contains(id)
                #expect(peek.concerns(Array(id.utf8), in: bytes) == expected, "\(c) concerns \(id)")
                #expect(c.event.concerns(id) == expected, "\(c) decoded, concerns \(id)")
            }
        }
    }
}
