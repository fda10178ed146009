import CairnLog
import Foundation
import Testing

/// `cairn verify` judges missing segments by the rule the log's open applies (contiguity and seals).
@Suite struct VerifyContiguityTests {
    @Test(arguments: [false, true])
    func missingSegmentIsReported(last: Bool) async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let segments = try segmentFiles(log.directory)
        try #require(segments.count >= 3)
        let removed = last ? segments[segments.count - 1] : segments[1]
        try FileManager.default.removeItem(atPath: removed)
        let name = (removed as NSString).lastPathComponent
        let verify = try cairn(["verify", log.directory, "--json"])
        #expect(verify.status == 1, "\(verify.stdout)\(verify.stderr)")
        let problems = try #require((try verify.json() as? [String: Any])?["problems"] as? [[String: Any]])
        let messages = problems.compactMap { $0["message"] as? String }
        #expect(messages.contains { $0.contains(name) && $0.contains("missing") }, "\(messages)")
        #expect(problems.allSatisfy { $0["repairable"] as? Bool == false })
        let repair = try cairn(["verify", log.directory, "--repair"])
        #expect(repair.status == 1)
        #expect(FileManager.default.fileExists(atPath: removed) == false)
    }
}
