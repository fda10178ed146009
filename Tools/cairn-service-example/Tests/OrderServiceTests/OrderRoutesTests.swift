import Cairn
import CairnTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrderService
import Testing
import HTTPTypes

@Suite("Order routes against a real engine")
struct OrderRoutesTests {
    @Test("An order that finishes in time answers 201 with the receipt")
    func finishedOrderIsCreated() async throws {
        let service = TestService()
        defer { service.directory.remove() }
        try await service.run { client, _ in
            let response = try await client.post("/orders", Orders.small("o-201"))
            #expect(response.status == .created)
            #expect(response.headers[.location] == "/orders/o-201")
            let body = try response.decode(OrderStatus.self)
            #expect(body.status == "completed")
            #expect(body.receipt == OrderReceipt(orderID: "o-201", reservation: "res_o-201", charge: "ch_o-201", tracking: "trk_o-201"))
        }
        #expect(service.inventory.log == ["reserve o-201", "ship res_o-201"])
        #expect(service.payments.charged == ["o-201"])
    }

    @Test("A declined card answers 402 with the typed error, and the status says so")
    func declinedCardIsPaymentRequired() async throws {
        let service = TestService()
        defer { service.directory.remove() }
        try await service.run { client, _ in
            let response = try await client.post("/orders", Orders.small("o-402", card: SandboxPayments.declinedCard))
            #expect(response.status.code == 402)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(try response.decode(APIError.self) == APIError(error: "payment-declined", message: "the card was declined", orderID: "o-402"))

            let status = try await client.get("/orders/o-402")
            #expect(status.status == .ok)
            let body = try status.decode(OrderStatus.self)
            #expect(body.status == "failed")
            #expect(body.receipt == nil)
            #expect(body.error?.error == "payment-declined")
        }
        // The workflow caught the typed error around its step and gave the stock back; nothing shipped.
        #expect(service.inventory.log == ["reserve o-402", "release res_o-402"])
        #expect(service.payments.charged == ["o-402"])  // not retried: PaymentDeclined is a NonRetryableError
    }

    @Test("An order still running answers 202 with its status URL, and finishes once approved")
    func runningOrderIsAccepted() async throws {
        let service = TestService()
        defer { service.directory.remove() }
        try await service.run { client, engine in
            let response = try await client.post("/orders", Orders.large("o-202"))
            #expect(response.status == .accepted)
            #expect(response.headers[.location] == "/orders/o-202")
            let accepted = try response.decode(OrderStatus.self)
            #expect(accepted.statusURL == "/orders/o-202")
            #expect(accepted.progressURL == "/orders/o-202/progress")
            #expect(["pending", "running"].contains(accepted.status))
            #expect(accepted.receipt == nil)

            let pending = try await client.get("/orders/o-202").decode(OrderStatus.self)
            #expect(["pending", "running"].contains(pending.status))

            let approval = try await client.post("/orders/o-202/approval", Approval(reviewer: "ana"))
            #expect(approval.status == .accepted)
            let receipt = try await engine.handle(for: "o-202", of: ProcessOrder.self).result(timeout: .seconds(60))
            #expect(receipt?.tracking == "trk_o-202")

            let done = try await client.get("/orders/o-202").decode(OrderStatus.self)
            #expect(done.status == "completed")
            #expect(done.receipt == receipt)
            // A finished order takes no approval.
            #expect(try await client.post("/orders/o-202/approval", Approval(reviewer: "ben")).status == .conflict)
        }
    }

    @Test("A retried POST finds the order the first one started")
    func retriedPostIsIdempotent() async throws {
        let service = TestService()
        defer { service.directory.remove() }
        try await service.run { client, engine in
            let first = try await client.post("/orders", Orders.small("o-again"))
            let second = try await client.post("/orders", Orders.small("o-again"))
            #expect(first.status == .created)
            #expect(second.status == .created)
            #expect(try first.decode(OrderStatus.self).receipt == second.decode(OrderStatus.self).receipt)

            let waiting = try await client.post("/orders", Orders.large("o-again-large"))
            let retried = try await client.post("/orders", Orders.large("o-again-large"))
            #expect(waiting.status == .accepted)
            #expect(retried.status == .accepted)
            #expect(retried.headers[.location] == "/orders/o-again-large")
            #expect(engine.list().count == 2)
        }
        #expect(service.inventory.count("reserve") == 2)  // once per order, not per request
        #expect(service.payments.charged == ["o-again"])
    }

    @Test("An unknown order answers 404 with a JSON error", arguments: [
        (HTTPRequest.Method.get, "/orders/nobody"), (.get, "/orders/nobody/progress"), (.post, "/orders/nobody/approval"),
    ])
    func unknownOrderIsNotFound(method: HTTPRequest.Method, uri: String) async throws {
        let service = TestService()
        defer { service.directory.remove() }
        try await service.run { client, engine in
            let body = method == .post ? ByteBuffer(string: #"{"reviewer":"ana"}"#) : nil
            let response = try await client.execute(uri: uri, method: method, body: body)
            #expect(response.status == .notFound)
            #expect(try response.decode(APIError.self) == APIError(error: "not-found", message: "no order with this ID", orderID: "nobody"))
            #expect(engine.list().isEmpty)  // an approval for nobody is not kept waiting for them
        }
    }

    @Test("A malformed body answers 400 with what is wrong, and starts nothing", arguments: [
        (#"{"id": "o-1", "amount": 100"#, "the body is not valid JSON"),
        (#"{"id": "o-1", "card": "tok_visa"}"#, "the body is missing 'amount'"),
        (#"{"id": "o-1", "amount": "ten", "card": "tok_visa"}"#, "'amount' must be a Int"),
        (#"{"id": "../o-1", "amount": 100, "card": "tok_visa"}"#, "'id' must be 1 to 64 letters, digits, '-' or '_' (it becomes the status URL)"),
        (#"{"id": "o-1", "amount": -5, "card": "tok_visa"}"#, "'amount' must be a positive number of cents"),
    ])
    func malformedBodyIsBadRequest(json: String, message: String) async throws {
        let service = TestService()
        defer { service.directory.remove() }
        try await service.run { client, engine in
            let response = try await client.post("/orders", json: json)
            #expect(response.status == .badRequest)
            let error = try response.decode(APIError.self)
            #expect(["malformed-body", "invalid-order"].contains(error.error))
            #expect(error.message == message)
            #expect(engine.list().isEmpty)
        }
        #expect(service.inventory.log.isEmpty)
    }

    @Test("The progress of a finished order is every stage it went through, then how it ended; Last-Event-ID resumes after a stage")
    func progressOfFinishedOrders() async throws {
        let service = TestService()
        defer { service.directory.remove() }
        try await service.run { client, _ in
            _ = try await client.post("/orders", Orders.small("o-shipped"))
            _ = try await client.post("/orders", Orders.small("o-declined", card: SandboxPayments.declinedCard))

            let shipped = try await client.get("/orders/o-shipped/progress")
            #expect(shipped.status == .ok)
            #expect(shipped.headers[.contentType] == "text/event-stream")
            #expect(try stages(serverSentEvents(shipped.text)) == ["reserved", "charged", "shipped", "end completed"])

            let declined = try await client.get("/orders/o-declined/progress")
            #expect(try stages(serverSentEvents(declined.text)) == ["reserved", "declined", "end failed"])

            // A reconnecting EventSource sends the ID of the last event it got: the stages after it follow.
            let resumed = try await client.get("/orders/o-shipped/progress", headers: [HTTPField.Name("Last-Event-ID")!: "0"])
            #expect(try stages(serverSentEvents(resumed.text)) == ["charged", "shipped", "end completed"])
        }
    }

    @Test("After a restart mid-workflow, the status still answers and the order finishes")
    func restartMidWorkflow() async throws {
        let service = TestService()
        defer { service.directory.remove() }
        // Before: the order waits for its approval when the engine stops (the test's end shuts it down gracefully).
        try await service.run { client, _ in
            #expect(try await client.post("/orders", Orders.large("o-restart")).status == .accepted)
            let progress = try await client.get("/orders/o-restart")
            #expect(try progress.decode(OrderStatus.self).receipt == nil)
            #expect(try await client.post("/orders", Orders.small("o-declined", card: SandboxPayments.declinedCard)).status.code == 402)
        }
        #expect(service.inventory.log == ["reserve o-restart", "reserve o-declined", "release res_o-declined"])

        // After: a new engine on the same directory knows the order, and it goes on from its wait.
        try await service.run { client, engine in
            let status = try await client.get("/orders/o-restart")
            #expect(status.status == .ok)
            let restarted = try status.decode(OrderStatus.self)
            #expect(["pending", "running"].contains(restarted.status), "\(restarted)")

            #expect(try await client.post("/orders/o-restart/approval", Approval(reviewer: "ana")).status == .accepted)
            let receipt = try await engine.handle(for: "o-restart", of: ProcessOrder.self).result(timeout: .seconds(60))
            #expect(receipt?.tracking == "trk_o-restart")
            let done = try await client.get("/orders/o-restart").decode(OrderStatus.self)
            #expect(done.status == "completed")
            #expect(done.receipt == receipt)

            // A typed failure recorded before the restart comes back typed.
            let declined = try await client.get("/orders/o-declined").decode(OrderStatus.self)
            #expect(declined.status == "failed")
            #expect(declined.error == APIError(error: "payment-declined", message: "the card was declined", orderID: "o-declined"))
        }
        // The reservation recorded before the stop was not made again.
        #expect(service.inventory.log == ["reserve o-restart", "reserve o-declined", "release res_o-declined", "ship res_o-restart"])
        #expect(service.payments.charged == ["o-declined", "o-restart"])
    }
}
