/// One group commit as ``LogConfiguration/_acknowledge`` sees it: every append it acknowledges, in LSN order, with
/// the LSN of each append's first record. Valid only during the call.
package struct LogAcknowledgement {
    let batch: [LogWriter.Pending]
    /// The last LSN of each append of `batch`.
    let lastLSNs: [LSN]

    /// The number of appends acknowledged.
    package var count: Int { batch.count }

    /// Calls `body` with each append's records and the LSN of its first record, in LSN order.
    package func forEach(_ body: (_ records: [LogRecord], _ first: LSN) throws -> Void) rethrows {
        for (pending, last) in zip(batch, lastLSNs) {
            try body(pending.records, LSN(last.rawValue - UInt64(pending.records.count - 1)))
        }
    }
}
