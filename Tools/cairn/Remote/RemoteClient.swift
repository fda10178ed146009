import AsyncHTTPClient
import CairnAPI
import Foundation
import NIOCore
import NIOHTTP1

/// A running engine's HTTP API (`--url`), reached with one `HTTPClient` for the whole command: JSON requests and
/// answers (``APIJSON``), the event stream, and the errors a person can act on.
///
/// Every failure is a ``CLIError``: an API error as its message and the exit status of its code, a server that
/// does not answer as "cannot reach URL", an answer that is not the API's as what was expected.
struct RemoteClient: Sendable {
    let endpoint: RemoteEndpoint
    /// For requests: an answer may pause up to a minute.
    private let http: HTTPClient
    /// For the event stream, with the caller's idle timeout.
    private let streaming: HTTPClient

    /// How long a request may take to get its answer's head.
    private static let answerTimeout = TimeAmount.seconds(60)
    /// The largest answer read (a history page of big payloads stays far below).
    private static let maxAnswerBytes = 256 << 20

    private init(endpoint: RemoteEndpoint, streamIdleTimeout: TimeAmount) {
        self.endpoint = endpoint
        func client(idleTimeout: TimeAmount) -> HTTPClient {
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: .seconds(10), read: idleTimeout)
            // A CLI should say at once that nothing listens, not retry until the connect timeout.
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.redirectConfiguration = .disallow
            configuration.decompression = .disabled
            return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        }
        http = client(idleTimeout: .seconds(60))
        streaming = client(idleTimeout: streamIdleTimeout)
    }

    /// Runs `body` with a client for `endpoint`, and shuts the client down afterwards, also when `body` throws.
    /// - Parameter streamIdleTimeout: how long the event stream may go without a byte before it throws
    ///   ``RemoteEventStream/Quiet`` (the API sends a keep-alive every 15 s).
    static func with<Result>(
        _ endpoint: RemoteEndpoint, streamIdleTimeout: TimeAmount = .seconds(60), _ body: (RemoteClient) async throws -> Result
    ) async throws -> Result {
        let client = RemoteClient(endpoint: endpoint, streamIdleTimeout: streamIdleTimeout)
        let result: Result
        do {
            result = try await body(client)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        return result
    }

    private func shutdown() async {
        try? await http.shutdown()
        try? await streaming.shutdown()
    }

    // MARK: Requests

    /// `GET path?query`, its answer decoded as `Answer`.
    func get<Answer: Decodable>(_ path: String, query: [(String, String)] = [], as: Answer.Type = Answer.self) async throws -> Answer {
        let bytes = try await send(.GET, path, query: query, body: nil)
        return try decode(Answer.self, from: bytes, answering: "GET \(path)")
    }

    /// `POST path` with `body` as JSON, its answer decoded as `Answer`.
    func post<Answer: Decodable>(_ path: String, body: some Encodable, as: Answer.Type = Answer.self) async throws -> Answer {
        let json = try APIJSON.encoder().encode(body)
        let bytes = try await send(.POST, path, query: [], body: [UInt8](json))
        return try decode(Answer.self, from: bytes, answering: "POST \(path)")
    }

    /// The path of a workflow (`/api/v1/workflows/ID`, the ID percent-encoded), with `rest` after it.
    static func workflowPath(_ id: String, _ rest: String = "") -> String {
        "/api/v1/workflows/" + RemoteEndpoint.encode(id) + rest
    }

    /// Opens `GET path?query` as a `text/event-stream`; its events are read from the returned stream.
    func eventStream(_ path: String, query: [(String, String)]) async throws -> RemoteEventStream {
        var request = makeRequest(.GET, path, query: query)
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response = try await execute(request, on: streaming)
        if response.status.code >= 300 {
            let bytes = try await collect(response, answering: "GET \(path)")
            throw answerError(status: response.status, body: bytes, answering: "GET \(path)")
        }
        return RemoteEventStream(body: response.body, endpoint: endpoint)
    }

    private func makeRequest(_ method: HTTPMethod, _ path: String, query: [(String, String)]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint.url(path, query: query))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let token = endpoint.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    /// Sends a request; returns the answer's body when its status is a success.
    private func send(_ method: HTTPMethod, _ path: String, query: [(String, String)], body: [UInt8]?) async throws -> [UInt8] {
        var request = makeRequest(method, path, query: query)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let what = "\(method) \(path)"
        let response = try await execute(request, on: http)
        let bytes = try await collect(response, answering: what)
        guard response.status.code < 300 else { throw answerError(status: response.status, body: bytes, answering: what) }
        return bytes
    }

    private func execute(_ request: HTTPClientRequest, on client: HTTPClient) async throws -> HTTPClientResponse {
        do {
            return try await client.execute(request, timeout: Self.answerTimeout)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw CLIError("the engine at \(endpoint.base) did not answer within \(Self.answerTimeout.nanoseconds / 1_000_000_000) s")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw unreachable(error)
        }
    }

    private func collect(_ response: HTTPClientResponse, answering what: String) async throws -> [UInt8] {
        do {
            let buffer = try await response.body.collect(upTo: Self.maxAnswerBytes)
            return Array(buffer.readableBytesView)
        } catch let error as NIOTooManyBytesError {
            throw CLIError("the answer to \(what) is larger than \(Self.maxAnswerBytes >> 20) MiB (\(error))")
        } catch {
            throw CLIError("the engine at \(endpoint.base) broke off its answer to \(what): \(Self.describe(error))")
        }
    }

    private func decode<Answer: Decodable>(_ type: Answer.Type, from bytes: [UInt8], answering what: String) throws -> Answer {
        do {
            return try APIJSON.decoder().decode(Answer.self, from: Data(bytes))
        } catch {
            throw CLIError(
                "the answer to \(what) is not what this cairn expects (\(Self.describe(error))); is \(endpoint.base) a Cairn HTTP API of the same version?")
        }
    }

    // MARK: Errors

    /// The error of an answer with a failure status: the API's own (``APIErrorBody``) when it sent one.
    private func answerError(status: HTTPResponseStatus, body: [UInt8], answering what: String) -> CLIError {
        if let error = try? APIJSON.decoder().decode(APIErrorBody.self, from: Data(body)) {
            return CLIError(api: error, tokenSent: endpoint.token != nil)
        }
        return CLIError(
            "the server at \(endpoint.base) answered \(what) with \(status.code) \(status.reasonPhrase), not an API error; is it a Cairn HTTP API (CairnHTTPServer)?")
    }

    /// The error for a server that could not be reached at all.
    func unreachable(_ error: any Error) -> CLIError {
        CLIError("cannot reach \(endpoint.base): \(Self.describe(error)); is the engine's CairnHTTPServer running?")
    }

    /// An error in one line, for a message.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as IOError:
            // Its description repeats itself ("connection reset (error set): Connection refused) (errno: 111)").
            return String(cString: strerror(error.errnoCode))
        case let error as DecodingError:
            switch error {
            case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return (path.isEmpty ? "" : "at \(path): ") + context.debugDescription
            @unknown default:
                return "\(error)"
            }
        default:
            return Format.oneLine("\(error)")
        }
    }
}
