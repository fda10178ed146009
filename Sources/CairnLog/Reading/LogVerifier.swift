/// Verifies a log directory without changing anything and without stopping at the first problem: every segment's
/// header, every frame, what each segment's end means (``SegmentVerdict``) and whether the segments cover one
/// unbroken LSN range (``SegmentDescriptor/checkContiguity(after:)``) — the rules an open applies, in the words its
/// errors use, listed instead of thrown.
///
/// The records themselves are opaque here: a ``SegmentVisitor`` sees each one (the engine checks its envelopes,
/// see `LogVerification` in Cairn). Segments are read on dedicated threads, two at a time, and handed back in order.
package struct LogVerifier: Sendable {
    /// One problem: where (file, byte offset, LSN when known) and what, in words that say what to do.
    package struct Finding: Sendable, Equatable {
        /// The segment file's name.
        package var file: String
        /// The byte offset in that file, when one can be named.
        package var offset: Int64?
        /// The LSN concerned, when one can be named.
        package var lsn: LSN?
        /// What is wrong and what to do.
        package var message: String
        /// A torn tail of the last segment, which an open (or `cairn verify --repair`) cuts.
        package var repairable = false

        /// Creates a finding.
        package init(file: String, offset: Int64?, lsn: LSN? = nil, message: String, repairable: Bool = false) {
            self.file = file
            self.offset = offset
            self.lsn = lsn
            self.message = message
            self.repairable = repairable
        }
    }

    /// What reading one segment found.
    package struct SegmentCheck: Sendable {
        /// Its problems, in file order (the visitor's among them).
        package var findings: [Finding] = []
        /// What is not a problem but worth saying (a write in progress).
        package var notes: [String] = []
        /// Valid frames read.
        package var frames = 0
        /// Records in them.
        package var records = 0
        /// Bytes of the segment file.
        package var bytes: Int64 = 0
        /// The LSN of its first record, if any.
        package var firstLSN: LSN?
        /// The LSN of its last valid record, if any.
        package var lastLSN: LSN?
        /// The base its seal names for the next segment, if it ends in one.
        package var sealedNextBase: LSN?
        /// Records could not be read: what the segments after it hold cannot be related to what came before.
        package var damaged = false
    }

    /// The segments an open would read, in order (those an interrupted compaction replaced set aside).
    package private(set) var segments: [SegmentDescriptor] = []
    /// Problems of the segment headers (a foreign file, a bad or newer header, a name that lies).
    package private(set) var headerFindings: [Finding] = []
    /// Leftovers the next open removes.
    package private(set) var notes: [String] = []
    /// The process holding the log's lock, if any: then a bad tail of the last segment is a write in progress.
    package let lockHolder: Int32?
    private let fileSystem: any FileSystem

    /// Lists `directory` and reads every segment's header. `lockHolder` is the engine that holds the log's lock.
    /// - Throws: ``LogError`` when the directory cannot be listed.
    package init(directory: LogDirectory, lockHolder: Int32?) throws(LogError) {
        self.lockHolder = lockHolder
        fileSystem = directory.fileSystem
        let listing = try directory.list()
        // Which segments are current, which an interrupted compaction left behind (as `LogDirectory.catalog()`
        // decides, but going on past a bad header).
        var coveredUntil: UInt64 = 0
        for (name, base) in listing.segments {
            let path = directory.file(name)
            do throws(LogError) {
                let reader = try SegmentReader(path: path, in: fileSystem)
                if reader.header.baseLSN != base {
                    headerFindings.append(Finding(
                        file: name, offset: 16,
                        message: "the segment header says base LSN \(reader.header.baseLSN) but the file is named for \(base)"))
                    continue
                }
                if base.rawValue < coveredUntil {
                    notes.append("\(name) was replaced by an interrupted compaction's output; the next open removes it")
                    continue
                }
                coveredUntil = max(coveredUntil, reader.header.replacesUntil)
                segments.append(SegmentDescriptor(
                    name: name, path: path, base: base, replacesUntil: reader.header.replacesUntil))
            } catch {
                headerFindings.append(Finding(file: name, offset: error.offset ?? 0, message: error.message))
            }
        }
        for name in listing.temporaries {
            notes.append("\(name) is a leftover of an interrupted segment creation or compaction; the next open removes it")
        }
    }

    /// Reads segment `index` frame by frame, handing each record to `visitor`, and judges its end. Blocking.
    package func check<Visitor: SegmentVisitor>(segment index: Int, visitor: inout Visitor) -> SegmentCheck {
        let segment = segments[index]
        let isLast = index == segments.count - 1
        var check = SegmentCheck()
        let reader: SegmentReader
        do { reader = try SegmentReader(path: segment.path, in: fileSystem) } catch {
            check.findings.append(Finding(file: segment.name, offset: error.offset, message: error.message))
            check.damaged = true
            return check
        }
        check.bytes = (try? reader.file.size()) ?? 0
        var end = SegmentReader.End.endOfFile
        do {
            frames: while true {
                let frameOffset = reader.offset
                let step = try reader.next { lsn, tag, record in
                    if check.firstLSN == nil { check.firstLSN = lsn }
                    if let message = visitor.visit(lsn: lsn, tag: tag, record: record, frameOffset: frameOffset) {
                        check.findings.append(Finding(file: segment.name, offset: frameOffset, lsn: lsn, message: message))
                    }
                }
                if case .end(let why) = step {
                    end = why
                    break frames
                }
            }
        } catch {
            check.findings.append(Finding(file: segment.name, offset: reader.offset, message: "\(error)"))
            check.lastLSN = reader.lastLSN
            check.damaged = true
            return check
        }
        check.frames = reader.frameCount
        check.records = reader.recordCount
        check.lastLSN = reader.lastLSN
        check.sealedNextBase = reader.sealedNextBase
        let verdict: SegmentVerdict
        do { verdict = try SegmentVerdict(reader: reader, end: end, segment: segment, isLast: isLast) } catch {
            check.findings.append(Finding(file: segment.name, offset: reader.offset, message: error.message))
            check.damaged = true
            return check
        }
        switch verdict.kind {
        case .intact:
            break
        case .tornTail:
            if let lockHolder {
                check.notes.append(
                    "\(segment.name) ends in an incomplete frame at offset \(verdict.offset): a write in progress by the engine (process \(lockHolder))")
            } else {
                check.findings.append(Finding(
                    file: segment.name, offset: verdict.offset, lsn: verdict.lastLSN, message: verdict.finding ?? "",
                    repairable: true))
            }
        case .damagedBeforeCommit:
            check.findings.append(Finding(
                file: segment.name, offset: verdict.offset, lsn: verdict.lastLSN, message: verdict.finding ?? ""))
        case .damagedSealed:
            check.findings.append(Finding(
                file: segment.name, offset: verdict.offset, lsn: verdict.lastLSN, message: verdict.finding ?? ""))
            check.damaged = true
        }
        return check
    }

    /// The checks that need the segments before one, applied as the segments' checks arrive in order.
    package struct Sequence: Sendable {
        /// Where the next segment must start, while that can be known (nil: the first segment).
        private var expectedBase: LSN?
        /// False once a segment could not be read: where it ends, and so where the next must start, is unknown.
        private var contiguityKnown = true
        /// The last LSN of the segments so far.
        private var previous: LSN?

        /// A sequence before the first segment.
        package init() {}

        /// The problems of `check`, the check of `segment` (the last one when `isLast`), that need the ones before.
        package mutating func findings(
            after check: SegmentCheck, of segment: SegmentDescriptor, isLast: Bool
        ) -> [Finding] {
            var findings: [Finding] = []
            if contiguityKnown {
                do throws(LogError) {
                    try segment.checkContiguity(after: expectedBase)
                    if isLast { try segment.checkIsLast(sealedNextBase: check.sealedNextBase) }
                } catch {
                    findings.append(Finding(file: segment.name, offset: error.offset, lsn: error.lsn, message: error.message))
                }
            }
            contiguityKnown = contiguityKnown && !check.damaged
            expectedBase = segment.successorBase(lastLSN: check.lastLSN, sealedNextBase: check.sealedNextBase)
            if let previous, let first = check.firstLSN, first <= previous {
                findings.append(Finding(
                    file: segment.name, offset: Int64(SegmentHeader.size), lsn: first,
                    message: "LSN \(first) does not follow \(previous), the last of the segment before"))
            }
            previous = check.lastLSN ?? previous
            return findings
        }
    }

    /// Checks every segment, two at a time on dedicated threads (reading is blocking), and hands each check with
    /// its visitor to `consume` in segment order. `makeVisitor` makes the visitor of a segment.
    package func checkAll<Visitor: SegmentVisitor & Sendable>(
        makeVisitor: @escaping @Sendable (Int) -> Visitor,
        consume: (_ index: Int, _ check: SegmentCheck, _ visitor: Visitor) -> Void
    ) async {
        let verifier = self
        let count = segments.count
        await withTaskGroup(of: (Int, SegmentCheck, Visitor).self) { group in
            var next = 0
            func launch() {
                guard next < count else { return }
                let index = next
                next += 1
                group.addTask {
                    await withCheckedContinuation { continuation in
                        DedicatedThread.start(name: "cairn-verify") {
                            var visitor = makeVisitor(index)
                            let check = verifier.check(segment: index, visitor: &visitor)
                            continuation.resume(returning: (index, check, visitor))
                        }.detach()
                    }
                }
            }
            launch()
            launch()
            var ready: [Int: (SegmentCheck, Visitor)] = [:]
            var consumed = 0
            while consumed < count, let (index, check, visitor) = await group.next() {
                ready[index] = (check, visitor)
                launch()
                while let (check, visitor) = ready.removeValue(forKey: consumed) {
                    consume(consumed, check, visitor)
                    consumed += 1
                }
            }
        }
    }
}

/// What looks at each record while ``LogVerifier`` reads a segment: the layer above, which knows what records mean.
package protocol SegmentVisitor {
    /// Looks at one record (valid only during the call), read from the frame at `frameOffset`; returns a problem
    /// with it in words, or nil.
    mutating func visit(lsn: LSN, tag: UInt8, record: UnsafeRawBufferPointer, frameOffset: Int64) -> String?
}

/// The visitor that looks at nothing: a check of the frames alone.
package struct FramesOnly: SegmentVisitor, Sendable {
    /// Creates one.
    package init() {}
    /// Accepts every record.
    package func visit(lsn: LSN, tag: UInt8, record: UnsafeRawBufferPointer, frameOffset: Int64) -> String? { nil }
}
