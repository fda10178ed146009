import Cairn
import CairnAPI
import Hummingbird
import HTTPTypes
import NIOCore
import Foundation

/// JSON answers, and the one mapping from engine errors to HTTP statuses.
enum APIResponse {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let bytes = try APIJSON.encoder().encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String, workflowID: String? = nil) throws -> Response {
        try json(APIErrorBody(code: code, message: message, workflowID: workflowID), status: status)
    }

    /// The answer to whatever a handler threw: the engine's errors and the API's refusals as themselves, anything
    /// else as a 500 that says what happened.
    static func error(for error: any Error) throws -> Response {
        switch error {
        case let error as WorkflowError: return try self.error(error)
        case let problem as APIProblem: return try self.error(problem.status, problem.code, problem.message)
        case let error as HTTPError where error.status == .contentTooLarge:
            return try self.error(.contentTooLarge, "payload_too_large", "the request body is over this server's limit; nothing was written")
        case let error as HTTPError:
            return try self.error(error.status, "http_error", error.body ?? "\(error.status)")
        default: return try self.error(.internalServerError, "internal", "\(error)")
        }
    }

    /// The status and code of an engine error: what the caller did wrong (4xx) or what failed here (5xx).
    static func error(_ error: WorkflowError) throws -> Response {
        let (status, code): (HTTPResponse.Status, String) =
            switch error.code {
            case .notFound: (.notFound, "not_found")
            case .unknownWorkflow: (.notFound, "unknown_workflow")
            case .invalidArgument: (.badRequest, "invalid_argument")
            case .unknownQueue: (.badRequest, "unknown_queue")
            case .idConflict: (.conflict, "id_conflict")
            case .invalidState: (.conflict, "invalid_state")
            case .duplicate: (.conflict, "duplicate")
            case .payloadTooLarge: (.contentTooLarge, "payload_too_large")
            case .undecodablePayload: (.badRequest, "undecodable_payload")
            case .shuttingDown: (.serviceUnavailable, "shutting_down")
            case .logFailure: (.serviceUnavailable, "store_failure")
            default: (.internalServerError, "internal")
            }
        return try self.error(status, code, error.message, workflowID: error.workflowID)
    }
}
