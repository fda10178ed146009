import CairnAPI
import Foundation
import Hummingbird
import HummingbirdCore

/// A request's query parameters, read with a clear 400 for each one that does not parse.
struct APIQuery {
    let parameters: Parameters

    init(_ uri: URI) { parameters = uri.queryParameters }

    func string(_ name: String) -> String? {
        parameters.get(name).flatMap { $0.isEmpty ? nil : $0 }
    }

    func all(_ name: String) -> [String] {
        parameters.getAll(name).flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws(APIProblem) -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .badQuery("\(name) '\(text)' is not a whole number in \(range.lowerBound)...\(range.upperBound == .max ? "" : "\(range.upperBound)")")
        }
        return value
    }

    func date(_ name: String) throws(APIProblem) -> Date? {
        guard let text = string(name) else { return nil }
        guard let date = APIJSON.parse(text) else {
            throw .badQuery("\(name) '\(text)' is not an ISO 8601 date-time (2026-01-31T14:05:00Z)")
        }
        return date
    }
}

/// A request the API refuses before asking the engine: a 4xx with its code.
struct APIProblem: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String

    static func badQuery(_ message: String) -> APIProblem { APIProblem(status: .badRequest, code: "invalid_query", message: message) }
    static func badBody(_ message: String) -> APIProblem { APIProblem(status: .badRequest, code: "invalid_json", message: message) }
}

/// A path parameter, percent-decoded (`/api/v1/workflows/a%2Fb` names workflow `a/b`).
func pathParameter(_ name: String, _ context: BasicRequestContext) throws -> String {
    let raw = try context.parameters.require(name)
    guard let decoded = raw.removingPercentEncoding else {
        throw APIProblem(status: .badRequest, code: "invalid_path", message: "the \(name) '\(raw)' is not valid percent-encoding")
    }
    return decoded
}
