/// An order as `POST /orders` receives it: the workflow's input.
public struct Order: Codable, Sendable, Equatable {
    /// The order's ID, chosen by the client: also the workflow's ID, so a retried request starts nothing new.
    public var id: String
    /// The amount to charge, in cents.
    public var amount: Int
    /// The payment provider's token for the customer's card (never the card number: the input is recorded in the
    /// log).
    public var card: String

    public init(id: String, amount: Int, card: String) {
        self.id = id
        self.amount = amount
        self.card = card
    }
}

/// What ``ProcessOrder`` returns once the order has shipped.
public struct OrderReceipt: Codable, Sendable, Equatable {
    public var orderID: String
    public var reservation: String
    public var charge: String
    public var tracking: String

    public init(orderID: String, reservation: String, charge: String, tracking: String) {
        self.orderID = orderID
        self.reservation = reservation
        self.charge = charge
        self.tracking = tracking
    }
}

/// A reviewer's approval of an order above ``ProcessOrder/reviewThreshold``: the message the workflow waits for.
public struct Approval: Codable, Sendable, Equatable {
    /// The topic ``ProcessOrder`` receives approvals on.
    public static let topic = "approval"

    public var reviewer: String

    public init(reviewer: String) {
        self.reviewer = reviewer
    }
}
