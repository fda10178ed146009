#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension WorkflowSummary {
    /// When the workflow was started: ``startedAt`` as a `Date`.
    public var startDate: Date { Date(nanosecondsSince1970: startedAt) }
    /// When its status last changed: ``updatedAt`` as a `Date`.
    public var updateDate: Date { Date(nanosecondsSince1970: updatedAt) }
}
