import Cairn
import CairnAPI

/// What the overview page (`GET /`) shows: the engine's counts by status and activity, its latencies, its queues
/// and schedules, the workflows it runs, and the latest workflows started.
struct OverviewModel {
    /// The engine to show.
    let engine: WorkflowEngine

    /// The page's template context.
    func context() -> [String: Any] {
        let overview = APIOverview(
            engine.statistics(), registeredWorkflows: engine.registeredWorkflows,
            queues: engine.queueStates().map(APIQueue.init), schedules: engine.schedules().map(APISchedule.init), store: "")
        let statuses: [[String: Any]] = WorkflowStatus.allCases.map { status in
            [
                "status": status.rawValue, "count": overview.workflows[status.rawValue] ?? 0,
                "href": "/workflows?status=\(status.rawValue)",
            ]
        }
        let activity: [[String: Any]] = [
            ["label": "running", "count": overview.running, "hint": "executing in this process"],
            ["label": "waiting", "count": overview.waiting, "hint": "sleeping or waiting, as records only"],
            ["label": "cached", "count": overview.cached, "hint": "waiting in memory"],
            ["label": "ready", "count": overview.ready, "hint": "ready, held by the running limit"],
        ]
        let latencies: [[String: Any]] = [("commit", overview.commitLatency), ("sync", overview.syncLatency)].map { name, latency in
            [
                "name": name, "count": latency.count, "p50": DashboardFormat.milliseconds(latency.p50Ms),
                "p90": DashboardFormat.milliseconds(latency.p90Ms), "p99": DashboardFormat.milliseconds(latency.p99Ms),
            ]
        }
        let queues: [[String: Any]] = overview.queues.map { queue in
            var limits: [String] = []
            if let value = queue.concurrency { limits.append("concurrency \(value)") }
            if let value = queue.workerConcurrency { limits.append("per worker \(value)") }
            if let value = queue.partitionConcurrency { limits.append("per partition \(value)") }
            if let count = queue.rateLimitCount, let period = queue.rateLimitPeriodMs {
                limits.append("\(count) per \(DashboardFormat.duration(seconds: period / 1000))")
            }
            return [
                "name": queue.name.isEmpty ? "(delayed starts)" : queue.name, "waiting": queue.waiting,
                "delayed": queue.delayed, "running": queue.running,
                "limits": limits.isEmpty ? "none declared here" : limits.joined(separator: ", "),
            ]
        }
        let schedules: [[String: Any]] = overview.schedules.map { schedule in
            var model: [String: Any] = [
                "name": schedule.name, "cron": schedule.cron, "timeZone": schedule.timeZone,
                "workflow": schedule.workflow, "catchUp": schedule.catchUp,
                "state": schedule.paused ? "paused" : "active",
                "nextTick": schedule.nextTick.map(DashboardFormat.time) ?? "–",
                "lastTick": schedule.lastTick.map(DashboardFormat.time) ?? "–",
            ]
            if let last = schedule.lastWorkflowID {
                model["lastWorkflow"] = ["id": last, "href": DashboardFormat.workflowPath(last)]
            }
            return model
        }
        let registered: [[String: Any]] = overview.registeredWorkflows.map {
            ["name": $0, "href": "/workflows?name=" + DashboardFormat.percentEncoded($0)]
        }
        let latest = engine.list(limit: 10).map(WorkflowRow.init(summary:)).map(\.context)
        var context: [String: Any] = [
            "statuses": statuses, "activity": activity, "latencies": latencies, "registered": registered,
            "total": overview.workflows.values.reduce(0, +), "lastRecorded": overview.lastRecorded,
            "rows": latest,
        ]
        if !queues.isEmpty { context["queues"] = queues; context["hasQueues"] = true }
        if !schedules.isEmpty { context["schedules"] = schedules; context["hasSchedules"] = true }
        return context
    }
}
