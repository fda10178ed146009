import AsyncHTTPClient
import CairnTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import OrderService
import Testing

@Suite("Progress stream over a live server")
struct ProgressStreamTests {
    @Test("GET /orders/{id}/progress follows the order live and ends when it ends")
    func progressFollowsLive() async throws {
        let service = TestService()
        defer { service.directory.remove() }
        try await service.run(.live) { client, _ in
            #expect(try await client.post("/orders", Orders.large("o-live")).status == .accepted)
            let port = try #require(client.port)

            // A second connection that reads the event stream as it comes.
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/orders/o-live/progress")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "content-type") == "text/event-stream")
            var body = response.body.makeAsyncIterator()
            var text = ""
            // The stages so far first: the order has reserved its stock and waits for its approval.
            while !text.contains("awaitingApproval"), let chunk = try await body.next() { text += String(buffer: chunk) }
            #expect(try stages(serverSentEvents(text)) == ["reserved", "awaitingApproval"])

            // Subscribed: what happens from now on arrives on the same stream, which ends with the order.
            #expect(try await client.post("/orders/o-live/approval", Approval(reviewer: "ana")).status == .accepted)
            while let chunk = try await body.next() { text += String(buffer: chunk) }
            #expect(try stages(serverSentEvents(text)) == ["reserved", "awaitingApproval", "approved", "charged", "shipped", "end completed"])
            let approved = serverSentEvents(text)[2]
            #expect(try JSONDecoder().decode(OrderProgress.self, from: Data(approved.data.utf8)) == OrderProgress(.approved, "ana"))
        }
    }

    @Test("A graceful shutdown ends an open progress stream instead of waiting for the order")
    func shutdownEndsProgressStream() async throws {
        let service = TestService()
        defer { service.directory.remove() }
        let ports = AsyncStream.makeStream(of: Int.self)  // the live server's, for the reader
        let (subscribed, subscribedContinuation) = AsyncStream.makeStream(of: Void.self)
        let reader = Task<String, any Error>.detached { () -> String in
            var text = ""
            for await port in ports.stream {
                let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/orders/o-open/progress")
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                for try await chunk in response.body {
                    text += String(buffer: chunk)
                    if text.contains("awaitingApproval") { subscribedContinuation.yield() }
                }
                break
            }
            return text
        }
        // The service shuts down (gracefully) when the test's closure returns, with the stream still open; a stream
        // that held the server up would hold the test up until the deadline.
        try await withDeadline(.seconds(60)) {
            try await service.run(.live) { client, _ in
                #expect(try await client.post("/orders", Orders.large("o-open")).status == .accepted)
                ports.continuation.yield(try #require(client.port))
                for await _ in subscribed { break }
            }
        }
        // The stream ended without an `end` event: the order has not ended, it goes on at the next start.
        #expect(try stages(serverSentEvents(try await reader.value)) == ["reserved", "awaitingApproval"])
    }
}

struct DeadlinePassed: Error {}

/// Runs `body`, or throws ``DeadlinePassed`` (cancelling it) once `timeout` has passed.
func withDeadline(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            try await body()
            return true
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return false
        }
        let finished = try await group.next() ?? false
        group.cancelAll()
        if !finished { throw DeadlinePassed() }
    }
}
