import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a workload gets: its size, the scratch directory and the output.
struct BenchContext {
    /// Every line says `"peer": "cairn"`, the floor measurements too: they come from the same process and run.
    static let peer = "cairn"

    let backend: String
    /// The workload's size: `--n`, or the workload's default.
    var n: Int
    /// `--reps`, if given: how many repetitions a workload that repeats (fan-out workflows) should do.
    let reps: Int?
    /// A fresh directory for this run (removed at exit); the floor and the logs are measured here alike.
    let directory: String

    /// A path in the scratch directory. Workloads remove what they create there when they finish.
    func path(_ name: String) -> String { directory + "/" + name }

    /// The common fields of a result line for this workload's `n`.
    func line(_ workload: String, seconds: Double, latencies: [Double]? = nil) -> JSONLine {
        JSONLine(peer: Self.peer, backend: backend, workload: workload, n: n, seconds: seconds, latencies: latencies)
    }

    /// Prints a result line on stdout, at once.
    func emit(_ line: JSONLine) {
        Console.printLine(line.description, to: STDOUT_FILENO)
    }

    /// Prints a diagnostic on stderr.
    func note(_ message: String) {
        Console.printLine("cairn-bench: " + message, to: STDERR_FILENO)
    }

    /// Removes a file or directory tree the workload made.
    func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}

extension BenchContext {
    /// Makes a fresh `cairn-bench.XXXXXX` directory under `base` (created if missing).
    static func makeScratchDirectory(under base: String) throws -> String {
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        var template = Array((base + "/cairn-bench.XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BenchError.system("mkdtemp", base)
        }
        return String(cString: made)
    }
}

/// Unbuffered line output, so results appear as each workload finishes even when stdout is a pipe.
enum Console {
    static func printLine(_ text: String, to descriptor: Int32) {
        let bytes = Array((text + "\n").utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + done, $0.count - done) }
            if n <= 0 { return }
            done += n
        }
    }
}
