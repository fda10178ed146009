#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A debounced start that has not fired yet, as ``WorkflowEngine/pendingDebounces()`` lists it.
public struct PendingDebounce: Sendable, Hashable {
    /// The debounce key.
    public var key: String
    /// The ID the workflow will start under (every caller's handle names it).
    public var workflowID: String
    /// The registered name of the workflow it starts.
    public var workflow: String
    /// When it fires, unless another call for the key moves it.
    public var fireAt: Date
    /// The latest it may fire (its first call plus `maxWait`); nil without a `maxWait`.
    public var latest: Date?
    /// How many calls it has had.
    public var requests: Int

    package init(key: String, workflowID: String, workflow: String, fireAt: Date, latest: Date?, requests: Int) {
        self.key = key
        self.workflowID = workflowID
        self.workflow = workflow
        self.fireAt = fireAt
        self.latest = latest
        self.requests = requests
    }
}
