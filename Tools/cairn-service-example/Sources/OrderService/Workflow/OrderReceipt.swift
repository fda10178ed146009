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
