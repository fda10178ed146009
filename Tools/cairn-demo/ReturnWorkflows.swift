import Cairn
import Foundation
import Synchronization

/// A customer's return, as the dashboard demo records it.
struct ReturnRequest: Codable, Sendable {
    var id: String
    var item: String
    var cents: Int
}

/// The inspection service the returns call: it turns away opened items, and is flaky on an item's first try.
enum InspectionService {
    /// The items already tried once in this process (the first try of each fails, to show a retry).
    static let tried = Mutex<Set<String>>([])

    /// An inspection that did not pass.
    struct Rejected: Error, CustomStringConvertible {
        let description: String
    }

    static func inspect(_ request: ReturnRequest) async throws -> String {
        try await Task.sleep(for: .milliseconds(20))
        if request.item.hasPrefix("opened") {
            throw Rejected(description: "\(request.item) was opened and cannot be restocked")
        }
        let first = tried.withLock { $0.insert(request.id).inserted }
        if first { throw Rejected(description: "inspection service timed out (HTTP 504)") }
        return "OK-\(request.item)"
    }
}

/// A return before a code change: inspect the item (retrying a flaky service), wait for a clerk's approval,
/// refund.
enum ReturnOrder: Workflow {
    static let name = "return-order"

    static func run(_ context: WorkflowContext, input request: ReturnRequest) async throws -> String {
        _ = try await context.step(
            "inspect-item", input: request.item, retry: RetryPolicy(maxAttempts: 3, initialInterval: .milliseconds(50))
        ) { try await InspectionService.inspect(request) }
        let clerk = try await context.receive(String.self, topic: "approval") ?? "nobody"
        return try await context.step("refund", input: request.cents) { "RF-\(request.cents)-\(clerk)" }
    }
}

/// The same return after a code change that checks the warranty first: a return recorded by ``ReturnOrder`` does
/// not replay through it (its first operation differs), so it diverges; returns started with it run normally.
enum ReturnOrderV2: Workflow {
    static let name = "return-order"

    static func run(_ context: WorkflowContext, input request: ReturnRequest) async throws -> String {
        let warranty = try await context.step("check-warranty", input: request.item) { "warranty valid for \(request.item)" }
        _ = try await context.step(
            "inspect-item", input: request.item, retry: RetryPolicy(maxAttempts: 3, initialInterval: .milliseconds(50))
        ) { try await InspectionService.inspect(request) }
        let clerk = try await context.receive(String.self, topic: "approval") ?? "nobody"
        return try await context.step("refund", input: request.cents) { "RF-\(request.cents)-\(clerk) (\(warranty))" }
    }
}

/// A gift bundle: one order per item as child workflows, and a printed card as another child; done when all are.
enum GiftBundle: Workflow {
    static let name = "gift-bundle"
    static var children: [any Workflow.Type] { [ProcessOrder.self, GiftCard.self] }

    static func run(_ context: WorkflowContext, input orders: [Order]) async throws -> [String] {
        let card = try await context.startChild(GiftCard.self, input: "Happy birthday!")
        var children: [ChildWorkflow<Receipt>] = []
        for order in orders { children.append(try await context.startChild(ProcessOrder.self, input: order, id: order.id)) }
        var tracking = [try await card.result()]
        for child in children { tracking.append(try await child.result().tracking) }
        return tracking
    }
}

/// A gift card printed for a bundle.
enum GiftCard: Workflow {
    static let name = "gift-card"

    static func run(_ context: WorkflowContext, input message: String) async throws -> String {
        try await context.step("print-card", input: message) { "CARD-\(message.count)" }
    }
}
