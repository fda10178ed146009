/// A reviewer's approval of an order above ``ProcessOrder/reviewThreshold``: the message the workflow waits for.
public struct Approval: Codable, Sendable, Equatable {
    /// The topic ``ProcessOrder`` receives approvals on.
    public static let topic = "approval"

    public var reviewer: String

    public init(reviewer: String) {
        self.reviewer = reviewer
    }
}
