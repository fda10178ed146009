import Foundation
import Testing

/// The fuzz corpus (`Fixtures/fuzz`: the seeds and every crash input found and fixed) replayed through the plain
/// build of `cairn-fuzz`, so a bug a fuzzer once found cannot come back unnoticed between fuzzing runs.
@Suite("Fuzz corpus: every committed input passes every target's properties")
struct FuzzCorpusTests {
    static let corpus: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures/fuzz").path
    }()

    @Test func corpusReplaysCleanly() throws {
        let binary = cairnBinary.deletingLastPathComponent().appendingPathComponent("cairn-fuzz")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["replay", "--corpus", Self.corpus]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "cairn-fuzz replay: \(text)")
        // Every target ran its inputs (an empty corpus would pass vacuously).
        for target in ["segment", "recovery", "frame", "record-block", "envelope", "arguments"] {
            #expect(text.contains("\(target): "), "no inputs replayed for \(target): \(text)")
        }
    }
}
