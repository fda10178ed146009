import Cairn
import CairnLog
import Foundation
import Testing

/// One healthy log recorded once per test process; each test works on its own copy.
enum Fixture {
    private static let recording = Task<RecordedLog, any Error> {
        let directory = temporaryDirectory("fixture")
        return try await healthyLog(directory)
    }

    /// A private copy of the healthy log.
    static func copy(_ name: String = #function) async throws -> RecordedLog {
        var recorded = try await recording.value
        let target = temporaryDirectory(name)
        try FileManager.default.copyItem(atPath: recorded.directory, toPath: target)
        recorded.directory = target
        return recorded
    }
}
