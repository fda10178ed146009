public import Cairn

/// Reserve the stock, wait for a reviewer's approval when the amount is large, charge the card, ship.
///
/// Each step reaches the warehouse and the payment provider through the engine's dependencies (``Inventory``,
/// ``Payments``), so a test gives fakes and a restarted process gives its own clients. A declined card gives the
/// stock back and fails the workflow with ``PaymentDeclined``, which callers catch by type.
public enum ProcessOrder: Workflow {
    /// Recorded in every history (and the name of the workflow's spans): keep it stable.
    public static let name = "ProcessOrder"
    public static var dependencies: [any WorkflowDependencyKey.Type] { [Inventory.self, Payments.self] }
    public static var errors: [any DurableError.Type] { [PaymentDeclined.self] }

    /// Orders above this amount, in cents, wait for an ``Approval`` before the card is charged.
    public static let reviewThreshold = 100_000

    public static func run(_ context: WorkflowContext, input order: Order) async throws -> OrderReceipt {
        let reservation = try await context.step("reserve", input: order.id) {
            try await context.dependency(Inventory.self).reserve(orderID: order.id)
        }
        try await publish(OrderProgress(.reserved, reservation), context)

        if order.amount > reviewThreshold {
            try await publish(OrderProgress(.awaitingApproval), context)
            // A durable wait: the engine may stop (or evict the workflow) here; the approval still arrives.
            let approval = try await context.receive(Approval.self, topic: Approval.topic)
            try await publish(OrderProgress(.approved, approval?.reviewer), context)
        }

        let charge: String
        do {
            charge = try await context.step("charge", input: order.amount, retry: .exponential(maxAttempts: 3)) {
                try await context.dependency(Payments.self).charge(
                    amount: order.amount, card: order.card, idempotencyKey: order.id)
            }
        } catch let declined as PaymentDeclined {
            _ = try await context.step("release", input: reservation) {
                try await context.dependency(Inventory.self).release(reservation: reservation)
                return true  // a step records a value
            }
            try await publish(OrderProgress(.declined, declined.reason), context)
            throw declined  // the workflow fails with it: `result()` throws it to the caller
        }
        try await publish(OrderProgress(.charged, charge), context)

        let tracking = try await context.step("ship", input: reservation) {
            try await context.dependency(Inventory.self).ship(reservation: reservation)
        }
        try await publish(OrderProgress(.shipped, tracking), context)
        return OrderReceipt(orderID: order.id, reservation: reservation, charge: charge, tracking: tracking)
    }
}
