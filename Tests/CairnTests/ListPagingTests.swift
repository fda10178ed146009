import Cairn
import CairnTestSupport
import Foundation
import Synchronization
import Testing

/// A clock that reads whatever time the test set last (back and forth): start times in any order.
private final class SetClock: WorkflowClock {
    let time = Mutex<Int64>(1_700_000_000_000_000_000)
    func now() -> Int64 { time.withLock { $0 } }
    func sleep(until deadline: Int64) async throws { try await Task.sleep(for: .seconds(3600)) }
}

private struct Listed: Workflow {
    static let name = "listed"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int { input }
}

@Suite("list: pages newest first, skipping and stopping by chunk")
struct ListPagingTests {
    /// 10,000 workflows (three chunks of the table) started at shuffled times, some equal: every page by cursor, with
    /// and without a filter (IDs containing "5"), is exactly the next slice of the fully sorted order.
    @Test func pagesMatchTheSortedOrder() async throws {
        try await withDirectory { directory in
            let clock = SetClock()
            let engine = try await WorkflowEngine.open(
                directory: directory, configuration: testConfiguration(clock: clock), workflows: [Listed.self])
            var generator = SeededGenerator(seed: 42)
            let base: Int64 = 1_700_000_000_000_000_000
            var expected: [(startedAt: Int64, id: String)] = []
            // Mostly increasing, as real starts are, with some far in the past, some ties, and among the first (the
            // oldest chunk) some later than everything after them: a chunk is not newer than the ones before it.
            for i in 0..<10_000 {
                let offset: Int64 =
                    switch Int.random(in: 0..<10, using: &generator) {
                    case 0: Int64.random(in: -1_000_000...0, using: &generator) * 1_000_000
                    case 1 where i < 500: Int64.random(in: 20_000...30_000, using: &generator) * 1_000_000
                    case 2: Int64(i / 10) * 1_000_000  // ties
                    default: Int64(i) * 1_000_000
                    }
                clock.time.withLock { $0 = base + offset }
                let id = "w-\(i)"
                _ = try await engine.start(Listed.self, input: i, id: id)
                let startedAt = try #require(engine.summary(of: id)).startedAt
                expected.append((startedAt, id))
            }
            expected.sort { ($0.startedAt, $0.id) > ($1.startedAt, $1.id) }
            for (limit, filtered) in [(50, false), (7, false), (333, false), (50, true), (4097, false)] {
                var listed: [String] = []
                var cursor: WorkflowCursor?
                var pages = 0
                repeat {
                    let page = engine.list(idContaining: filtered ? "5" : nil, limit: limit, after: cursor)
                    #expect(page.summaries.count <= limit)
                    listed += page.summaries.map(\.id)
                    cursor = page.next
                    pages += 1
                } while cursor != nil && pages < 20_000
                let wanted = expected.map(\.id).filter { !filtered || $0.contains("5") }
                let difference = zip(listed, wanted).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                #expect(
                    listed.count == wanted.count && difference == nil,
                    "limit \(limit), filtered \(filtered): \(listed.count) listed of \(wanted.count), first out of order at \(difference.map(String.init) ?? "none")")
            }
            let all = engine.list()
            #expect(all.summaries.map(\.id).elementsEqual(expected.map(\.id)), "the unlimited list is not the sorted order")
            #expect(all.next == nil)
            await engine.shutdown()
        }
    }
}
