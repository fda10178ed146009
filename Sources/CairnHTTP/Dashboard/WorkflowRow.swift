import Cairn
import CairnAPI

/// A workflow as a row of a table: its ID (linked), name, status, times.
struct WorkflowRow {
    /// The workflow.
    let summary: WorkflowSummary

    /// The row's template context (its failure, divergence or park reason, short, as `problem`).
    var context: [String: Any] {
        var model: [String: Any] = [
            "id": summary.id, "href": DashboardFormat.workflowPath(summary.id), "name": summary.name,
            "status": summary.status.rawValue, "started": DashboardFormat.time(nanoseconds: summary.startedAt),
            "updated": DashboardFormat.time(nanoseconds: summary.updatedAt),
        ]
        if let parent = summary.parentID {
            model["parent"] = ["id": parent, "href": DashboardFormat.workflowPath(parent)]
        }
        if let failure = summary.failure {
            model["problem"] = "\(failure.errorType): \(failure.message)"
        } else if let reason = summary.parkReason {
            if summary.status == .diverged, let report = APIDivergence(report: reason) {
                model["problem"] = "at position \(report.position ?? "?"): \(report.reason)"
            } else {
                model["problem"] = reason.split(separator: "\n").first.map(String.init) ?? reason
            }
        }
        return model
    }
}
