package import CairnLog

extension WorkflowIndex {
    /// Every workflow's summary in the log `reader` reads (`cairn list`, the `list` benchmark): one pass over the
    /// records, lifecycle events applied, nothing else kept. Blocking: it reads files on the calling thread.
    /// - Parameter expectedWorkflows: a guess at how many workflows the log holds, to size the tables up front.
    /// - Throws: ``LogError`` for damage a torn write cannot explain; what ``apply(_:)`` throws for a malformed
    ///   envelope.
    package init(reading reader: LogReader, expectedWorkflows: Int) throws {
        self.init(expectedWorkflows: expectedWorkflows)
        try reader.scan { record in
            try apply(record)
            return true
        }
    }
}
