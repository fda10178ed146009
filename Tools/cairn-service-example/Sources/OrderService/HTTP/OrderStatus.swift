import Cairn
public import Foundation

/// What `GET /orders/{id}` answers, and `POST /orders` when it answers 202.
public struct OrderStatus: Codable, Sendable, Equatable {
    public var orderID: String
    /// The workflow's status: `pending`, `running`, `completed`, `failed`, …
    public var status: String
    public var statusURL: String
    public var progressURL: String
    public var started: Date?
    public var updated: Date?
    /// The receipt, once the order has shipped.
    public var receipt: OrderReceipt?
    /// Why the order failed, once it has.
    public var error: APIError?

    init(orderID: String, status: WorkflowStatus, summary: WorkflowSummary? = nil) {
        self.orderID = orderID
        self.status = status.rawValue
        statusURL = OrderRoutes.statusPath(orderID)
        progressURL = OrderRoutes.statusPath(orderID) + "/progress"
        started = summary?.startDate
        updated = summary?.updateDate
    }
}
