import CairnTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The kill soak in its CI form: `cairn-soak` SIGKILLs a loaded engine (cairn-testhost engine-soak) 20 times at
/// random moments, restarts it on the same directory each time, lets a last life finish, and checks every
/// acknowledged start, step result and message (see Tools/cairn-soak/main.swift). `CAIRN_LONG=1` runs its long
/// form, 1,000 kills (`cairn-soak --long` does the same from a shell).
@Suite("Kill soak (SIGKILL a loaded engine, check every acknowledgement)")
struct KillSoakTests {
    /// Each message sent as two different messages concurrently with one idempotency key (exactly one must be
    /// received; before issue 9 item 1 was fixed a workflow could receive both across a restart).
    static let concurrentSameKeySends = true

    static var path: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cairn-soak").path
    }

    @Test("20 kills of an engine under load lose no acknowledged start, step result or message")
    func killSoak() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.path), "cairn-soak is built next to the test bundle")
        let long = ProcessInfo.processInfo.environment["CAIRN_LONG"] == "1"
        let seed = UInt64.random(in: 0..<UInt64(UInt32.max))
        try await withDirectory("kill-soak") { dir in
            let output = dir + ".out"
            defer { try? FileManager.default.removeItem(atPath: output) }
            FileManager.default.createFile(atPath: output, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.path)
            process.arguments = (long ? ["--long"] : ["--kills", "20", "--workflows", "100"]) + [
                "--seed", "\(seed)", "--directory", dir,
            ] + (Self.concurrentSameKeySends ? ["--concurrent-same-key"] : [])
            process.standardOutput = handle
            process.standardError = handle
            let status: Int32 = try await raceDeadline(long ? .seconds(3 * 3600) : .seconds(300), {
                await withCheckedContinuation { continuation in
                    process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                    do { try process.run() } catch { continuation.resume(returning: -1) }
                }
            }, expired: {
                kill(process.processIdentifier, SIGKILL)
                return TimedOut(what: "cairn-soak (seed \(seed)) to finish")
            })
            try? handle.close()
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            print(text)
            #expect(status == 0, "cairn-soak --seed \(seed) failed:\n\(text)")
            #expect(text.contains("no losses"))
            try? FileManager.default.removeItem(atPath: dir + "-lives")
        }
    }
}
