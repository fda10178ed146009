import Cairn

/// How `cairn inspect` shows queues: depth, running, limits.
enum QueueFormat {
    static func limits(_ q: WorkflowQueue?) -> String {
        guard let q else { return "not recorded" }
        var parts: [String] = []
        if let c = q.concurrency { parts.append("concurrency \(c)") }
        if let c = q.workerConcurrency { parts.append("per process \(c)") }
        if let c = q.partitionConcurrency { parts.append("per partition \(c)") }
        if let r = q.rateLimit { parts.append("\(r.count) per \(r.period)") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    static func table(_ queues: [QueueState]) -> Table {
        var table = Table([
            .init(title: "QUEUE"), .init(title: "WAITING", alignment: .right), .init(title: "DELAYED", alignment: .right),
            .init(title: "RUNNING", alignment: .right), .init(title: "LIMITS"),
        ])
        for q in queues {
            table.add([
                (q.name.isEmpty ? "(delayed starts)" : q.name, nil), (Format.count(q.waiting), nil), (Format.count(q.delayed), nil),
                (Format.count(q.running), nil), (limits(q.declaration), .dim),
            ])
        }
        return table
    }

    static func json(_ q: QueueState, into w: inout JSONWriter) {
        w.beginObject()
        w.field("name", q.name)
        w.field("waiting", q.waiting)
        w.field("delayed", q.delayed)
        w.field("running", q.running)
        w.key("limits")
        if let d = q.declaration {
            w.beginObject()
            w.key("concurrency")
            if let c = d.concurrency { w.number(c) } else { w.null() }
            w.key("workerConcurrency")
            if let c = d.workerConcurrency { w.number(c) } else { w.null() }
            w.key("partitionConcurrency")
            if let c = d.partitionConcurrency { w.number(c) } else { w.null() }
            w.key("rateLimit")
            if let r = d.rateLimit {
                w.beginObject()
                w.field("count", r.count)
                w.key("periodSeconds")
                w.double(Double(r.period.components.seconds) + Double(r.period.components.attoseconds) * 1e-18)
                w.endObject()
            } else {
                w.null()
            }
            w.endObject()
        } else {
            w.null()
        }
        w.endObject()
    }
}
