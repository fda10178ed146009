import ArgumentParser
import Cairn
import CairnLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tool's exit statuses (also in `cairn --help` and the README).
enum ExitStatus {
    /// `cairn verify` found problems.
    static let problems: Int32 = 1
    /// No log directory, or no workflow with the ID.
    static let notFound: Int32 = 3
    /// The path is not a Cairn log (not a directory, foreign files, no segments, a newer format).
    static let notALog: Int32 = 4
    /// The log is corrupt: a checksum, a frame or an event that cannot be read.
    static let corrupt: Int32 = 5
    /// An engine holds the log's lock.
    static let locked: Int32 = 6
    /// Anything else: permissions, I/O, a full disk; an engine's API that cannot be reached or fails.
    static let failure: Int32 = 7
    /// An engine's API refused the request: no token, a wrong one (`--token`, `CAIRN_TOKEN`), or a forbidden request.
    static let denied: Int32 = 8
}

/// An error the tool reports as one line on standard error, with its exit status.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var status: Int32

    init(_ message: String, status: Int32 = ExitStatus.failure) {
        self.message = message
        self.status = status
    }

    var description: String { message }

    /// The one-line form of any error the commands can meet.
    init(_ error: any Error, directory: String) {
        switch error {
        case let e as CLIError:
            self = e
        case let e as LogError:
            self = CLIError(log: e, directory: directory)
        case let e as WorkflowError where e.code == .undecodableEvent:
            self = CLIError(
                "the log is corrupt: \(e.message)\(e.lsn.map { " (LSN \($0))" } ?? ""); run `cairn verify \(directory)` for details",
                status: ExitStatus.corrupt)
        case let e as WorkflowError:
            self = CLIError(e.description, status: ExitStatus.failure)
        default:
            self = CLIError("\(error)", status: ExitStatus.failure)
        }
    }

    init(log e: LogError, directory: String) {
        let place = [e.path.map { "file \($0)" }, e.offset.map { "offset \($0)" }].compactMap { $0 }.joined(separator: ", ")
        let at = place.isEmpty ? "" : " (\(place))"
        switch e.code {
        case .notFound:
            self = CLIError("no log directory at \(directory)", status: ExitStatus.notFound)
        case .notADirectory:
            self = CLIError("\(directory) is not a directory, so not a Cairn log", status: ExitStatus.notALog)
        case .foreignFile:
            let name = e.path.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? "a file"
            self = CLIError(
                "\(directory) is not a Cairn log: it holds '\(name)', which Cairn does not write", status: ExitStatus.notALog)
        case .unsupportedFormatVersion:
            self = CLIError("\(e.message)\(at)", status: ExitStatus.notALog)
        case .corruptSegment:
            let hint = e.message.contains("cairn verify") ? "" : "; run `cairn verify \(directory)` for every problem"
            self = CLIError("the log is corrupt: \(e.message)\(at)\(hint)", status: ExitStatus.corrupt)
        case .locked:
            self = CLIError("the log at \(directory) is locked: \(e.message)", status: ExitStatus.locked)
        case .permissionDenied:
            self = CLIError("permission denied: \(e.message)\(at)", status: ExitStatus.failure)
        default:
            self = CLIError("\(e.code): \(e.message)\(at)", status: ExitStatus.failure)
        }
    }
}

/// Runs a command's body; any error becomes one line on standard error (`cairn: ...`) and its exit status —
/// never a stack trace.
func reportingErrors(directory: String, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        let e = CLIError(error, directory: directory)
        printError("cairn: " + e.message)
        throw ExitCode(e.status)
    }
}

/// Ends the process successfully once the output is written, without freeing `tables` first: tearing down the
/// dictionaries of a million workflows takes longer than building them, and the process is done with them.
func exitWithoutTeardown<T>(_ tables: T) -> Never {
    withExtendedLifetime(tables) { exit(0) }
}
