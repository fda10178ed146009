import AsyncHTTPClient
import CairnAPI
import Foundation
import NIOCore

/// The events of the API's event stream (`GET /api/v1/events`), decoded, as they arrive.
///
/// Ends when the server ends the stream. Throws ``Quiet`` when nothing, not even a keep-alive, arrived for the
/// client's idle timeout, and a ``CLIError`` when the connection breaks, the server sends an `error` event, or an
/// event is not the API's.
struct RemoteEventStream: AsyncSequence {
    typealias Element = APIEvent

    /// Nothing arrived for the idle timeout.
    struct Quiet: Error {}

    let body: HTTPClientResponse.Body
    let endpoint: RemoteEndpoint

    func makeAsyncIterator() -> Iterator {
        Iterator(body: body.makeAsyncIterator(), endpoint: endpoint)
    }

    struct Iterator: AsyncIteratorProtocol {
        var body: HTTPClientResponse.Body.AsyncIterator
        let endpoint: RemoteEndpoint
        private var parser = ServerSentEventParser()
        private var ready: [APIEvent] = []
        private let decoder = APIJSON.decoder()

        init(body: HTTPClientResponse.Body.AsyncIterator, endpoint: RemoteEndpoint) {
            self.body = body
            self.endpoint = endpoint
        }

        mutating func next() async throws -> APIEvent? {
            while ready.isEmpty {
                let chunk: ByteBuffer?
                do {
                    chunk = try await body.next()
                } catch let error as HTTPClientError where error == .readTimeout {
                    throw Quiet()
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    throw CLIError("the event stream from \(endpoint.base) broke off: \(RemoteClient.describe(error))")
                }
                guard let chunk else { return nil }
                for event in parser.feed(chunk.readableBytesView) {
                    if event.type == "error" {
                        // The server could not read on (`event: error` with the API's error).
                        let body = try? decoder.decode(APIErrorBody.self, from: Data(event.data.utf8))
                        throw body.map { CLIError(api: $0, tokenSent: endpoint.token != nil) } ?? CLIError("the event stream from \(endpoint.base) ended in an error: \(event.data)")
                    }
                    guard event.type == "event" else { continue }
                    do {
                        ready.append(try decoder.decode(APIEvent.self, from: Data(event.data.utf8)))
                    } catch {
                        throw CLIError(
                            "an event from \(endpoint.base) (id \(event.id ?? "none")) is not what this cairn expects: \(RemoteClient.describe(error))")
                    }
                }
            }
            return ready.removeFirst()
        }
    }
}
