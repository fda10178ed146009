public import Cairn

/// The payment provider, as the workflow's `charge` step reaches it.
public protocol PaymentClient: Sendable {
    /// Charges `amount` cents to the card `card` and returns the charge's ID. `idempotencyKey` makes a retried
    /// charge (a step runs again after a crash) charge once.
    /// - Throws: ``PaymentDeclined`` when the card is declined.
    func charge(amount: Int, card: String, idempotencyKey: String) async throws -> String
}

/// The key the engine's ``WorkflowDependencies`` holds the payment client under.
public enum Payments: WorkflowDependencyKey {
    public typealias Value = any PaymentClient
}

/// The card was declined. Durable, so the workflow fails with this value and a handle's `result()` throws it, live
/// and after a restart; not retryable, since trying the same card again will not help.
public struct PaymentDeclined: DurableError, NonRetryableError, Equatable {
    /// Recorded in the log with the value: keep it stable.
    public static let errorType = "payment-declined"

    public var orderID: String
    public var reason: String

    public init(orderID: String, reason: String) {
        self.orderID = orderID
        self.reason = reason
    }
}

/// A stand-in for a payment provider: approves every card token but ``declinedCard``.
public struct SandboxPayments: PaymentClient {
    /// The card token this provider declines (as a real provider's test mode has one).
    public static let declinedCard = "tok_chargeDeclined"

    public init() {}

    public func charge(amount: Int, card: String, idempotencyKey: String) async throws -> String {
        if card == Self.declinedCard {
            throw PaymentDeclined(orderID: idempotencyKey, reason: "the card was declined")
        }
        return "ch_\(idempotencyKey)"
    }
}
