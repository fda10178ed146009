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
            // The current stage first: the order waits for its approval.
            while !text.contains("\n\n"), let chunk = try await body.next() { text += String(buffer: chunk) }
            #expect(try stages(serverSentEvents(text)) == ["awaitingApproval"])

            // Subscribed: what happens from now on arrives on the same stream, which ends with the order.
            #expect(try await client.post("/orders/o-live/approval", Approval(reviewer: "ana")).status == .accepted)
            while let chunk = try await body.next() { text += String(buffer: chunk) }
            #expect(try stages(serverSentEvents(text)) == ["awaitingApproval", "approved", "charged", "shipped", "end completed"])
            let approved = serverSentEvents(text)[1]
            #expect(try JSONDecoder().decode(OrderProgress.self, from: Data(approved.data.utf8)) == OrderProgress(.approved, "ana"))
        }
    }
}
