#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Any JSON value, decoded without a Swift type: what a message sent over the HTTP API or by `cairn send` is until
/// the receiving workflow decodes it as its own type.
///
/// Encoded through the engine's codec like any value: with the default ``JSONPayloadCodec`` the recorded bytes are
/// the JSON itself (keys sorted), so a receiver decodes them exactly as a message sent from Swift with the same
/// fields. Integers that fit 64 bits stay integers; other numbers are doubles.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses JSON text.
    /// - Throws: ``WorkflowError`` `.invalidArgument` saying where the text is not JSON (`what` names it).
    public init(parsing json: [UInt8], what: String = "the JSON") throws(WorkflowError) {
        do {
            self = try JSONDecoder().decode(JSONValue.self, from: Data(json))
        } catch {
            throw WorkflowError(.invalidArgument, "\(what) is not valid JSON: \(JSONProblem(error))")
        }
    }
}

/// A JSON decoding error as one line a user can act on: where in the document, and what was wrong (the API and
/// the tools say it the same way).
public struct JSONProblem: CustomStringConvertible, Sendable {
    /// The problem in words: where, and what.
    public let description: String

    /// The problem `error` names (a `DecodingError`; any other error as itself).
    public init(_ error: any Error) {
        guard let error = error as? DecodingError else {
            description = "\(error)"
            return
        }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "at the top level" : "at \(keys.hasPrefix(".") ? String(keys.dropFirst()) : keys)"
        }
        switch error {
        case .typeMismatch(let type, let context):
            description = "\(path(context)): expected \(type), \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            description = "\(path(context)): a \(type) is required, found null"
        case .keyNotFound(let key, let context):
            description = "\(path(context)): the field '\(key.stringValue)' is missing"
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            description = "\(path(context)): \(context.debugDescription)\(underlying)"
        @unknown default:
            description = "\(error)"
        }
    }
}
