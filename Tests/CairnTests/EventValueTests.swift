import CairnLog
import Testing

@testable import Cairn

@Suite("Event and Position values: storage that stays out of the way")
struct EventValueTests {
    @Test("top-level and deeper positions are equal, hash and order by their path, however they were made")
    func positionsCompareByPath() {
        let top = Position(prefix: [], index: 3)
        #expect(top == Position([3]))
        #expect(top.hashValue == Position([3]).hashValue)
        #expect(top.path == [3])
        #expect(top.depth == 1 && top.first == 3)
        let deep = Position(prefix: [3], index: 1)
        #expect(deep == Position([3, 1]))
        #expect(deep.depth == 2 && deep.first == 3)
        #expect(deep != top)
        #expect(top.child(1) == deep)
        // Lexicographic order across both storages: 2 < 3 < 3.1 < 4.
        let sorted = [Position([4]), deep, top, Position([2])].sorted()
        #expect(sorted == [Position([2]), top, deep, Position([4])])
        var changed = top
        changed.path = [7, 0]
        #expect(changed == Position([7, 0]) && changed.depth == 2)
        changed.path = [9]
        #expect(changed == Position(prefix: [], index: 9))
        #expect(Position("3.1") == deep && Position("3") == top)
    }

    @Test("positions of every depth survive the envelope's encoding")
    func positionsRoundTrip() throws {
        for path in [[0], [UInt32.max], [3, 1], [1, 2, 3, 4, 5, 6, 7]] as [[UInt32]] {
            let event = Event(
                kind: .stepCompleted, workflowID: "w", position: Position(path), name: "s", time: 1,
                parentPosition: Position(path.reversed()))
            let bytes = event.encoded()
            let decoded = try bytes.withUnsafeBytes { try Event(lsn: LSN(1), tag: event.kind.rawValue, bytes: $0) }
            #expect(decoded == event)
            #expect(decoded.position?.path == path)
        }
    }

    @Test("an event is a value: changing a copy leaves the original as it was")
    func eventsAreValues() {
        let original = Event(kind: .stepCompleted, workflowID: "w", position: Position([0]), name: "a", time: 1, payload: [1, 2])
        var copy = original
        #expect(copy == original)
        copy.name = "b"
        copy.payload.append(3)
        copy.flags = .copied
        #expect(original.name == "a" && original.payload == [1, 2] && original.flags.isEmpty)
        #expect(copy.name == "b" && copy.payload == [1, 2, 3] && copy.flags == .copied)
        #expect(copy != original)
        // Equal fields make equal events, whether or not they share storage.
        let twin = Event(kind: .stepCompleted, workflowID: "w", position: Position([0]), name: "a", time: 1, payload: [1, 2])
        #expect(twin == original && twin.hashValue == original.hashValue)
        #expect(Set([original, twin, copy]).count == 2)
    }
}
