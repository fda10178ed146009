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
