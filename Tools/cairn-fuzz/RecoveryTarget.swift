import CairnLog

extension FuzzTarget {
    /// Opening a log directory that holds one fuzzed segment: `Recovery` read-only and writable, and `LogReader`.
    ///
    /// Properties: a failure is a ``LogError``; a read-only recovery, a `LogReader` scan and a writable recovery
    /// agree on the records; a writable recovery that refuses changes no byte; one that succeeds leaves a log that
    /// the next open accepts as it is (nothing more to cut).
    static let recovery = FuzzTarget(
        name: "recovery",
        summary: "Recovery (read-only, then writable, then again) and LogReader on a directory holding a fuzzed segment"
    ) { input in
        let image = SegmentImage(input)
        ScratchDirectory.empty()
        let path = image.bytes.withUnsafeBytes { ScratchDirectory.store($0, as: image.fileName) }
        let directory = LogDirectory(path: ScratchDirectory.path)

        let readOnly = recover(directory, writable: false)
        if case .success(let found) = readOnly {
            do {
                let summary = try LogReader(directory: ScratchDirectory.path).scan { _ in true }
                expect(summary.recordCount == found.records, "LogReader saw \(summary.recordCount) records, recovery \(found.records)")
                expect(summary.lastLSN == found.report.lastLSN, "LogReader and recovery end at different LSNs")
                expect((summary.incompleteTail == nil) == (found.report.truncatedTail == nil), "LogReader and recovery disagree on a torn tail")
            } catch {
                expect(false, "LogReader refused a log that recovery accepts: \(error)")
            }
        }

        let writable = recover(directory, writable: true)
        switch (readOnly, writable) {
        case (.success(let before), .success(let after)):
            expect(before.records == after.records && before.digest == after.digest, "a writable recovery kept other records than a read-only one")
            expect(before.report.truncatedTail == after.report.truncatedTail, "a writable recovery cut another tail")
            guard case .success(let again) = recover(directory, writable: false) else {
                expect(false, "a log that a writable recovery repaired does not open again")
                return
            }
            expect(again.report.truncatedTail == nil, "a repaired log still has a torn tail: \(again.report)")
            expect(again.records == after.records && again.digest == after.digest, "a repaired log reads other records")
        case (.failure, .failure):
            expect(ScratchDirectory.contents(of: path) == image.bytes, "a refused writable recovery changed the segment")
        case (.success, .failure(let error)):
            expect(false, "a writable recovery refused what a read-only one accepted: \(error)")
        case (.failure(let error), .success):
            expect(false, "a writable recovery accepted what a read-only one refused: \(error)")
        }
    }

    /// What a recovery found: its report, and the records it visited (count, and a digest of LSNs, tags and bytes).
    private struct Found {
        var report: RecoveryReport
        var records: Int
        var digest: UInt64
    }

    private static func recover(_ directory: LogDirectory, writable: Bool) -> Result<Found, LogError> {
        var records = 0
        var digest: UInt64 = 0xCBF2_9CE4_8422_2325
        do {
            let recovery = try Recovery(directory: directory, writable: writable) { lsn, tag, bytes in
                records += 1
                digest = (digest ^ lsn.rawValue ^ UInt64(tag) << 56) &* 0x100_0000_01B3
                for byte in bytes { digest = (digest ^ UInt64(byte)) &* 0x100_0000_01B3 }
            }
            expect(recovery.report.recordCount == records, "the report counts \(recovery.report.recordCount) records, the visit saw \(records)")
            return .success(Found(report: recovery.report, records: records, digest: digest))
        } catch let error as LogError {
            return .failure(error)
        } catch {
            expect(false, "recovery threw something other than a LogError: \(error)")
            return .failure(LogError(.ioFailed, "unreachable"))
        }
    }
}
