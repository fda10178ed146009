import ArgumentParser
import Cairn
import Foundation

/// A JSON value given on the command line (`--input '{"qty": 2}'`) or in a file (`--input-file order.json`, `-`
/// for standard input), checked before anything is sent.
enum JSONArgument {
    /// `text` parsed as JSON.
    /// - Throws: `ValidationError` saying where `text` is not JSON (`option` names it: `--input`).
    static func parse(_ text: String, option: String) throws -> JSONValue {
        do {
            return try JSONValue(parsing: Array(text.utf8), what: option)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The JSON in file `path` (`-`: standard input), read on a thread of its own (the read blocks).
    /// - Throws: ``CLIError`` when the file cannot be read (exit 3 when it does not exist) or is not JSON (64).
    static func read(file path: String, option: String) async throws -> JSONValue {
        let bytes: [UInt8] = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let data = path == "-"
                        ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path))
                    continuation.resume(returning: [UInt8](data))
                } catch {
                    let missing = !FileManager.default.fileExists(atPath: path)
                    continuation.resume(
                        throwing: CLIError(
                            missing ? "\(option) \(path): no such file" : "\(option) \(path) cannot be read: \(error.localizedDescription)",
                            status: missing ? ExitStatus.notFound : ExitStatus.failure))
                }
            }
        }
        do {
            return try JSONValue(parsing: bytes, what: "\(option) \(path == "-" ? "(standard input)" : path)")
        } catch {
            throw CLIError(error.message, status: ExitCode.validationFailure.rawValue)
        }
    }
}
