import Cairn
import CairnAPI
import CairnLog
import Foundation

/// What a workflow's page (`GET /workflows/{id}`) shows: its summary, a diverged workflow's report, the actions
/// its status allows, its children as a tree, and its history as a timeline.
struct WorkflowPageModel {
    /// The most timeline rows a page renders (the rest are counted, and the API pages through them all).
    static let rowLimit = 2000
    /// How deep the children tree goes below the workflow, and how many children of each one it lists.
    static let treeDepth = 3
    static let treeWidth = 25

    let engine: WorkflowEngine
    let payloads: PayloadView
    let summary: WorkflowSummary

    /// The page's template context (reads the workflow's history, and its children's to find theirs).
    func context() async -> [String: Any] {
        var events: [HistoryEvent] = []
        var historyProblem: String?
        do {
            for try await event in try engine.history(of: summary.id) { events.append(event) }
        } catch {
            historyProblem = "its history could not be read: \(error)"
        }
        let input = events.first { $0.kind == .workflowStarted }?.payload
        let workflow = payloads.workflow(summary, input: input, full: true, waitingFor: engine.waitReason(of: summary.id))
        let shown = events.prefix(Self.rowLimit).map { payloads.event($0, workflowName: summary.name) }
        let timeline = Timeline(events: shown, engine: engine)

        var context: [String: Any] = [
            "id": workflow.id, "name": workflow.name, "status": workflow.status.rawValue,
            "started": DashboardFormat.time(workflow.startedAt), "updated": DashboardFormat.time(workflow.updatedAt),
            "elapsed": DashboardFormat.duration(
                seconds: (workflow.status.isActive ? Date() : workflow.updatedAt).timeIntervalSince(workflow.startedAt)),
            "rows": timeline.rows(), "eventCount": events.count,
            "lastLSN": events.last?.lsn.rawValue ?? 0, "listHref": "/workflows?name=" + DashboardFormat.percentEncoded(workflow.name),
        ]
        if events.count > Self.rowLimit { context["cutRows"] = events.count - Self.rowLimit }
        if let historyProblem { context["historyProblem"] = historyProblem }
        if events.isEmpty && historyProblem == nil { context["noHistory"] = true }
        if workflow.status.isActive { context["live"] = true }
        if let parent = workflow.parentID {
            context["parent"] = ["id": parent, "href": DashboardFormat.workflowPath(parent)]
        }
        if let deadline = workflow.deadline { context["deadline"] = DashboardFormat.time(deadline) }
        if workflow.timedOut { context["timedOut"] = true }
        if let waiting = workflow.waitingFor { context["waitingFor"] = waiting }
        if let input = workflow.input { context["input"] = DashboardFormat.payload(input) }
        if let output = workflow.output { context["output"] = DashboardFormat.payload(output) }
        if let values = workflow.eventValues, !values.isEmpty {
            context["eventValues"] = values.keys.sorted().map { key in
                ["key": key, "value": DashboardFormat.payload(values[key]!)] as [String: Any]
            }
        }
        if let failure = workflow.failure { context["failure"] = "\(failure.errorType): \(failure.message)" }
        // A fork replays up to where the workflow diverged, by default.
        context["forkBefore"] = workflow.divergence?.position.flatMap { $0.split(separator: ".").first.map(String.init) } ?? "0"
        if let divergence = workflow.divergence {
            context["divergence"] = Self.divergence(divergence)
        } else if let reason = workflow.parkReason {
            context["parkReason"] = reason
            context["parkedBecause"] = workflow.parkedBecause ?? "parked"
        }
        // The actions this status allows (the API refuses the others with a message the page shows).
        if workflow.status.isActive { context["canCancel"] = true }
        if [.cancelled, .diverged, .parked].contains(workflow.status) { context["canResume"] = true }
        if !events.isEmpty { context["canFork"] = true }
        let tree = await children(of: timeline.children, depth: 1)
        if !tree.isEmpty {
            context["children"] = tree
            context["hasChildren"] = true
        }
        return context
    }

    /// A divergence report in parts, each side split into its operation and its call site.
    static func divergence(_ report: APIDivergence) -> [String: Any] {
        var model: [String: Any] = ["position": report.position ?? "?", "reason": report.reason]
        for (label, text) in [("recorded", report.recorded), ("attempted", report.attempted)] {
            if let range = text.range(of: " at ", options: .backwards) {
                model[label + "Operation"] = String(text[..<range.lowerBound])
                model[label + "CallSite"] = String(text[range.upperBound...])
            } else {
                model[label + "Operation"] = text
                model[label + "CallSite"] = false
            }
        }
        return model
    }

    /// The children tree below the workflows `ids`: each child's ID, name, status, and its own children while
    /// `depth` allows.
    func children(of ids: [String], depth: Int) async -> [[String: Any]] {
        var nodes: [[String: Any]] = []
        for id in ids.prefix(Self.treeWidth) {
            // Every key the tree's template reads is set, so a leaf never picks up its parent's.
            var node: [String: Any] = [
                "id": id, "href": DashboardFormat.workflowPath(id), "name": "", "more": false, "hasChildren": false,
                "children": [[String: Any]](),
            ]
            guard let child = engine.summary(of: id) else {
                node["status"] = "unknown"
                nodes.append(node)
                continue
            }
            node["name"] = child.name
            node["status"] = child.status.rawValue
            if depth < Self.treeDepth {
                var grandchildren: [String] = []
                if let history = try? engine.history(of: id) {
                    do {
                        for try await event in history {
                            if case .childStarted(let childID, _) = event.details { grandchildren.append(childID) }
                        }
                    } catch {}
                }
                let below = await children(of: grandchildren, depth: depth + 1)
                if !below.isEmpty {
                    node["children"] = below
                    node["hasChildren"] = true
                }
            }
            nodes.append(node)
        }
        if ids.count > Self.treeWidth { nodes.append(["more": ids.count - Self.treeWidth]) }
        return nodes
    }
}
