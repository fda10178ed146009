import Cairn
import CairnLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The seed corpus, made with the real writer: segments written by `Log`, the frames and record blocks inside
/// them, an envelope of every event kind from `Event.encoded()`, and the argument forms the CLI documents.
///
/// Regenerate with `swift run cairn-fuzz seeds`; crash inputs kept as regressions (`crash-*`) are left alone.
enum Seeds {
    /// Writes every target's seeds under `root`; returns how many each got.
    static func write(to root: String) async throws -> [(String, Int)] {
        var seeds: [String: [(String, [UInt8])]] = [:]
        let segments = try await segmentFiles()
        for (name, file) in segments {
            seeds["segment", default: []].append((name, SegmentImage.input(file: file)))
            seeds["recovery", default: []].append((name, SegmentImage.input(file: file)))
        }
        // As written, checksums not fixed: a damaged first frame with a good commit after it.
        if let (_, file) = segments.first(where: { $0.0 == "commits" }) {
            var damaged = file
            damaged[SegmentHeader.size + FrameHeader.size] ^= 0x40
            seeds["segment", default: []].append(("damaged-first-frame", SegmentImage.input(file: damaged, fixChecksums: false)))
            seeds["recovery", default: []].append(("damaged-first-frame", SegmentImage.input(file: damaged, fixChecksums: false)))
        }
        for (name, file) in segments where !name.hasPrefix("torn") && !name.hasPrefix("zero") {
            seeds["frame", default: []].append((name, Array(file[SegmentHeader.size...])))
            for (index, block) in recordBlocks(in: file).enumerated() {
                seeds["record-block", default: []].append(("\(name)-\(index)", block))
            }
        }
        for event in sampleEvents() {
            seeds["envelope", default: []].append((fileName("\(event.kind.rawValue)-\(event.kind)"),
                [event.kind.rawValue] + event.encoded()))
        }
        let arguments = [
            "7d", "12h", "30m", "45s", "500ms", "2w", "1d12h", "0s", "2025-01-31", "2025-01-31T14:05:09Z",
            "2025-01-31 14:05", "2025-01-31t14:05:09.123456789z", "1970-01-01T00:00:00Z", "completed", "failed",
            "before-rename",
        ]
        for text in arguments { seeds["arguments", default: []].append((fileName(text), Array(text.utf8))) }

        var counts: [(String, Int)] = []
        for target in FuzzTarget.all {
            let directory = root + "/" + target.name
            Corpus.makeDirectory(directory)
            for (name, bytes) in seeds[target.name] ?? [] { try Corpus.save(bytes, to: directory + "/" + name) }
            counts.append((target.name, seeds[target.name]?.count ?? 0))
        }
        return counts
    }

    /// A file name for a seed: spaces and separators made dashes.
    private static func fileName(_ text: String) -> String {
        String(text.map { $0 == " " || $0 == "/" || $0 == ":" ? "-" : $0 })
    }

    /// Segment files written by a real `Log`, cut after their last frame (the writer pre-fills with zeros).
    static func segmentFiles() async throws -> [(String, [UInt8])] {
        var result: [(String, [UInt8])] = []
        let events = sampleEvents()

        result.append(("one-record", try await writeLog { log in
            _ = try await log.append(events[0].record())
        }))
        let commits = try await writeLog { log in
            for event in events.prefix(6) { _ = try await log.append(event.record()) }
            // One commit of many alike records: a compressed frame referring back into the stream's history.
            _ = try await log.append(contentsOf: (0..<40).map { i in
                var event = events[1]
                event.position = Position([UInt32(i + 6)])
                event.payload = Array("{\"amount\":\(i * 17),\"currency\":\"EUR\"}".utf8)
                return event.record()
            })
            _ = try await log.append(events[13].record())
        }
        result.append(("commits", commits))
        result.append(("record-sizes", try await writeLog { log in
            for size in [1, 127, 128, 300, 4097] {
                _ = try await log.append(LogRecord(tag: UInt8(size % 23 + 1), payload: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
            }
        }))
        // What a crash leaves: the last frame cut short, and the pre-filled zeros after the data.
        let lastFrame = lastFrameOffset(commits)
        result.append(("torn-tail", Array(commits[..<(lastFrame + (commits.count - lastFrame) / 2)])))
        result.append(("zero-tail", commits + [UInt8](repeating: 0, count: 64)))
        return result
    }

    /// Opens a log in a fresh directory, lets `body` append, closes it and returns its (only) segment's bytes up to
    /// the end of its frames.
    private static func writeLog(_ body: (Log) async throws -> Void) async throws -> [UInt8] {
        let directory = ScratchDirectory.path + "/seed-log"
        removeDirectory(directory)
        let log = try await Log.open(at: directory, configuration: LogConfiguration(durability: .never))
        try await body(log)
        try await log.close()
        let path = directory + "/" + LogDirectory.segmentName(base: LSN(1))
        let reader = try SegmentReader(path: path)
        while case .frame = try reader.next({ _, _, _ in }) {}
        let bytes = Array(ScratchDirectory.contents(of: path).prefix(Int(reader.offset)))
        removeDirectory(directory)
        return bytes
    }

    private static func removeDirectory(_ directory: String) {
        for file in Corpus.files(in: directory) { unlink(file) }
        unlink(directory + "/LOCK")
        rmdir(directory)
    }

    /// The offset of the last frame of a segment file.
    private static func lastFrameOffset(_ file: [UInt8]) -> Int {
        var offset = SegmentHeader.size
        var last = offset
        file.withUnsafeBytes { b in
            while offset + FrameHeader.size <= b.count,
                case .success(let frame) = FrameHeader.decode(b.baseAddress! + offset, maxRawLength: SegmentReader.maxRawLength)
            {
                last = offset
                offset += frame.frameLength
            }
        }
        return last
    }

    /// Every frame's record block, decompressed, as the record-block target reads it: u64 first LSN, u32 count,
    /// the block.
    private static func recordBlocks(in file: [UInt8]) -> [[UInt8]] {
        var blocks: [[UInt8]] = []
        let decoder = FrameDecoder()
        var offset = SegmentHeader.size
        file.withUnsafeBytes { b in
            while offset + FrameHeader.size <= b.count,
                case .success(let frame) = FrameHeader.decode(b.baseAddress! + offset, maxRawLength: SegmentReader.maxRawLength),
                let block = try? decoder.decode(frame, payload: b.baseAddress! + offset + FrameHeader.size)
            {
                var seed: [UInt8] = []
                withUnsafeBytes(of: frame.firstLSN.rawValue.littleEndian) { seed.append(contentsOf: $0) }
                withUnsafeBytes(of: frame.recordCount.littleEndian) { seed.append(contentsOf: $0) }
                seed.append(contentsOf: block)
                blocks.append(seed)
                offset += frame.frameLength
            }
        }
        return blocks
    }

    /// An event of every kind, with the optional fields that kind carries in a real log.
    static func sampleEvents() -> [Event] {
        let site = CallSite(file: "Orders/Checkout.swift", line: 42)
        let time: Int64 = 1_767_225_600_000_000_000
        return EventKind.allCases.map { kind in
            var event = Event(kind: kind, workflowID: "order-\(kind.rawValue)", name: "checkout", time: time + Int64(kind.rawValue))
            switch kind {
            case .workflowStarted:
                event.payload = Array("{\"items\":[\"book\",\"pen\"]}".utf8)
                event.digest = 0x1234_5678_9ABC_DEF0
                event.idempotencyKey = "start-key"
                event.deadline = time + 3_600_000_000_000
            case .stepCompleted, .valueRecorded, .eventRead:
                event.position = Position([3])
                event.callSite = site
                event.digest = 0xFEED_FACE
                event.payload = Array("{\"ok\":true}".utf8)
            case .stepFailed, .workflowFailed:
                event.position = kind == .stepFailed ? Position([4]) : nil
                event.errorType = "PaymentDeclined"
                event.payload = Array("card declined".utf8)
            case .sleepStarted:
                event.position = Position([5])
                event.deadline = time + 60_000_000_000
            case .retryWaitStarted:
                event.position = Position([3])
                event.callSite = site
                event.digest = 0xFEED_FACE
                event.deadline = time + 3_600_000_000_000
                event.number = RetryWaitRecord.number(attempt: 2, maxAttempts: 5)
                event.errorType = "PaymentsUnavailable"
                event.payload = Array("the payment service is unavailable".utf8)
            case .messageSent:
                event.position = Position([6])
                event.target = "order-99"
                event.idempotencyKey = "send-key"
                event.payload = Array("\"shipped\"".utf8)
            case .messageReceived, .receiveStarted:
                event.position = Position([7])
                event.number = 12
                event.flags = kind == .messageReceived ? .timedOut : []
                event.deadline = time + 5_000_000_000
            case .childStarted, .childCompleted:
                event.position = Position([1, 2])
                event.target = "order-1-child"
                event.parentPosition = Position([1])
            case .branchStarted:
                event.position = Position([2, 0, 1])
            case .patchMarker:
                event.position = Position([8])
                event.flags = .deprecated
            case .workflowParked:
                event.flags = .diverged
                event.payload = Array("diverged at 3".utf8)
            case .workflowForked:
                event.target = "order-fork"
                event.position = Position([9])
                event.flags = .copied
            default:
                event.number = UInt64(kind.rawValue)
            }
            return event
        }
    }
}
