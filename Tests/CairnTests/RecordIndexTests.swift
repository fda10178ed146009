import CairnLog
import Testing

@testable import Cairn

@Suite("RecordIndex: which pages of the log hold which workflows")
struct RecordIndexTests {
    private let page = RecordIndex.pageSize

    @Test("a workflow's ranges are the pages holding its tag, cut to the span, adjacent pages merged")
    func rangesFollowPages() {
        var index = RecordIndex()
        let (a, b): (UInt64, UInt64) = (0xA, 0xB)
        index.add(hash: a, at: LSN(1))
        index.add(hash: b, at: LSN(2))
        index.add(hash: b, at: LSN(page + 5))          // page 1: b only
        index.add(hash: a, at: LSN(2 * page + 1))      // pages 2 and 3: a
        index.add(hash: a, at: LSN(3 * page + 9))
        index.add(hash: b, at: LSN(3 * page + 10))
        let span = LSN(1)...LSN(3 * page + 10)
        #expect(index.ranges(hash: a, within: span) == [LSN(1)...LSN(page - 1), LSN(2 * page)...LSN(3 * page + 10)])
        #expect(index.ranges(hash: b, within: span) == [LSN(1)...LSN(2 * page - 1), LSN(3 * page)...LSN(3 * page + 10)])
        #expect(index.ranges(hash: a, within: LSN(page + 1)...LSN(2 * page + 3)) == [LSN(2 * page)...LSN(2 * page + 3)])
        #expect(index.ranges(hash: 0xC, within: span).isEmpty)
        #expect(index.ranges(hash: a, within: LSN(10 * page)...LSN(11 * page)).isEmpty, "past the last page")
    }

    @Test("only 32 bits of the hash are kept: another workflow's page may be read, never one of its own missed")
    func tagCollisionsOverApproximate() {
        var index = RecordIndex()
        index.add(hash: 0x1_0000_0007, at: LSN(3))
        #expect(index.ranges(hash: 0x2_0000_0007, within: LSN(1)...LSN(10)) == [LSN(1)...LSN(10)])
    }

    @Test("a page that comes late (positions not in commit order) and sealed pages that get more records are found")
    func latePagesAndResealing() {
        var index = RecordIndex()
        index.add(hash: 1, at: LSN(5 * page))
        index.add(hash: 2, at: LSN(6 * page))          // seals page 5
        index.add(hash: 3, at: LSN(2 * page))          // an earlier page, late
        index.add(hash: 4, at: LSN(5 * page + 1))      // a sealed page gets another tag
        let all = LSN(1)...LSN(7 * page)
        #expect(index.ranges(hash: 3, within: all) == [LSN(2 * page)...LSN(3 * page - 1)])
        #expect(index.ranges(hash: 4, within: all) == [LSN(5 * page)...LSN(6 * page - 1)])
        #expect(index.ranges(hash: 1, within: all) == [LSN(5 * page)...LSN(6 * page - 1)])
        #expect(index.ranges(hash: 2, within: all) == [LSN(6 * page)...LSN(7 * page - 1)], "the last page ends at its end")
    }
}
