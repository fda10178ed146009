/// The body of every error answer: a stable code a client can switch on, and a message for people.
public struct APIError: Codable, Sendable, Equatable {
    public var error: String
    public var message: String
    public var orderID: String?

    public init(error: String, message: String, orderID: String? = nil) {
        self.error = error
        self.message = message
        self.orderID = orderID
    }
}
