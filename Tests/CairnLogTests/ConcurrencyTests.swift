import CairnLog
import CairnTestSupport
import Foundation
import Synchronization
import Testing

@Suite struct ConcurrencyTests {
    /// What one appending task sent and got back.
    struct Acknowledged: Sendable {
        var records: [LogRecord]
        var lsns: ClosedRange<LSN>
    }

    /// A record whose payload says which task and which position in the task's batch made it; at least 40
    /// incompressible bytes, so that 4,000 of them fill several 64 KiB segments however they are batched.
    static func record(task: Int, index: Int, _ rng: inout SeededGenerator) -> LogRecord {
        var payload = Array("t\(task).\(index):".utf8) + randomBytes(Int.random(in: 40...120, using: &rng), &rng)
        if Bool.random(using: &rng) { payload += textBytes(Int.random(in: 1...200, using: &rng), &rng) }
        return LogRecord(tag: UInt8(truncatingIfNeeded: task), payload: payload)
    }

    @Test(arguments: [LogConfiguration.Durability.never, .always])
    func thousandsOfConcurrentAppenders(durability: LogConfiguration.Durability) async throws {
        let dir = temporaryPath("concurrent")
        defer { removeTree(dir) }
        let seed = testSeed("thousandsOfConcurrentAppenders")
        var rng = SeededGenerator(seed: seed)
        let tasks = 4000
        // Every fifth task appends a batch of up to 6 records with `append(contentsOf:)`.
        let work: [[LogRecord]] = (0..<tasks).map { task in
            (0..<(task % 5 == 0 ? Int.random(in: 1...6, using: &rng) : 1)).map { Self.record(task: task, index: $0, &rng) }
        }
        // Frames well below the segment size, so that group commits roll segments (a frame never splits).
        var configuration = LogConfiguration.small(durability: durability)
        configuration.targetFrameSize = 16 << 10
        let log = try await Log.open(at: dir, configuration: configuration)
        let acknowledged = try await withThrowingTaskGroup(of: Acknowledged.self) { group in
            for (task, records) in work.enumerated() {
                group.addTask {
                    if task % 5 == 0 {
                        return Acknowledged(records: records, lsns: try await log.append(contentsOf: records))
                    }
                    let lsn = try await log.append(records[0])
                    return Acknowledged(records: records, lsns: lsn...lsn)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(acknowledged.count == tasks)
        let total = work.map(\.count).reduce(0, +)

        // The LSNs handed out are exactly 1...total, each once; a batch got consecutive ones.
        var expected: [LSN: LogEntry] = [:]
        for ack in acknowledged {
            let lsns = (ack.lsns.lowerBound.rawValue...ack.lsns.upperBound.rawValue).map { LSN($0) }
            #expect(lsns.count == ack.records.count)
            for (lsn, record) in zip(lsns, ack.records) {
                #expect(expected.updateValue(LogEntry(lsn, record), forKey: lsn) == nil, "LSN \(lsn) handed out twice")
            }
        }
        #expect(Set(expected.keys.map(\.rawValue)) == Set(1...UInt64(total)))
        #expect(log.lastLSN == LSN(UInt64(total)))
        let inOrder = expected.values.sorted { $0.lsn < $1.lsn }
        try await log.close()

        let reopened = try await Log.open(at: dir, configuration: .small())
        #expect(reopened.recovery.truncatedTail == nil)
        #expect(reopened.recovery.segmentCount >= 3, "rolled while appending")
        let entries = try await reopened.entries()
        #expect(zip(entries, entries.dropFirst()).allSatisfy { $0.lsn < $1.lsn }, "strictly increasing LSNs")
        #expect(entries == inOrder, "every acknowledged record, at the LSN its append returned")
        try await reopened.close()

        // Each `append(contentsOf:)` is atomic: its records share one frame.
        let frameOf = Dictionary(uniqueKeysWithValues: try segmentMaps(dir).enumerated().flatMap { s, map in
            map.frames.enumerated().flatMap { f, frame in frame.entries.map { ($0.lsn, s * 100_000 + f) } }
        })
        for ack in acknowledged where ack.records.count > 1 {
            #expect(frameOf[ack.lsns.lowerBound] == frameOf[ack.lsns.upperBound], "batch \(ack.lsns) split across frames")
        }
    }

    /// Closing while appends are in flight: each append either gets an LSN (and its record is there after a
    /// reopen) or is refused with `.closed`; none hangs, none is lost after being acknowledged.
    @Test func closeWhileAppending() async throws {
        let dir = temporaryPath("closing")
        defer { removeTree(dir) }
        var rng = SeededGenerator(seed: 0xC105E)
        let records = (0..<1000).map { Self.record(task: $0, index: 0, &rng) }
        let log = try await Log.open(at: dir, configuration: .small(durability: .always))
        let outcomes = try await withDeadline(seconds: 60, "appends racing close") {
            try await withThrowingTaskGroup(of: LogEntry?.self) { group in
                for (i, record) in records.enumerated() {
                    group.addTask {
                        do { return LogEntry(try await log.append(record), record) } catch let error as LogError where error.code == .closed {
                            return nil
                        }
                    }
                    if i == 500 {
                        group.addTask {
                            try await log.close()
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: [LogEntry?]()) { $0.append($1) }
            }
        }
        let acknowledged = outcomes.compactMap { $0 }.sorted { $0.lsn < $1.lsn }
        #expect(!acknowledged.isEmpty)
        #expect(try readAll(dir) == acknowledged, "exactly the acknowledged records, at their LSNs")
    }

    /// Group commit splits a large batch of appends into frames of about `targetFrameSize`, never splitting one
    /// append.
    @Test func framesStayNearTheTargetSize() async throws {
        let dir = temporaryPath("framesize")
        defer { removeTree(dir) }
        var rng = SeededGenerator(seed: 0xF5)
        var configuration = LogConfiguration.small(durability: .always, segmentSize: 1 << 20)
        configuration.targetFrameSize = 4 << 10
        let log = try await Log.open(at: dir, configuration: configuration)
        let records = (0..<2000).map { Self.record(task: $0, index: 0, &rng) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for record in records { group.addTask { _ = try await log.append(record) } }
            try await group.waitForAll()
        }
        try await log.close()
        let frames = try segmentMaps(dir).flatMap(\.frames)
        #expect(frames.flatMap(\.entries).count == records.count)
        for frame in frames {
            let bound = frame.entries.map { $0.payload.count + RecordBlock.maxRecordOverhead }.reduce(0, +)
            #expect(bound <= 4 << 10 || frame.entries.count == 1, "a frame of \(frame.entries.count) records, bound \(bound)")
        }
    }

    /// Readers running alongside appenders see every record acknowledged before they started, in order, and
    /// nothing that was not appended.
    @Test func readersDuringAppends() async throws {
        let dir = temporaryPath("readers")
        defer { removeTree(dir) }
        var rng = SeededGenerator(seed: testSeed("readersDuringAppends"))
        let records = (0..<1500).map { Self.record(task: $0, index: 0, &rng) }
        let appended = Set(records)
        let log = try await Log.open(at: dir, configuration: .small())
        let acknowledged = Locked<[LSN: LogRecord]>([:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for record in records {
                group.addTask {
                    let lsn = try await log.append(record)
                    acknowledged.withLock { $0[lsn] = record }
                }
            }
            for reader in 0..<12 {
                group.addTask {
                    let before = acknowledged.withLock { $0 }
                    let entries = reader.isMultiple(of: 2) ? try await log.entries() : try readAll(dir)
                    #expect(zip(entries, entries.dropFirst()).allSatisfy { $0.lsn < $1.lsn })
                    let seen = Dictionary(uniqueKeysWithValues: entries.map { ($0.lsn, LogRecord(tag: $0.tag, payload: $0.payload)) })
                    for (lsn, record) in before { #expect(seen[lsn] == record, "acknowledged \(lsn) missing from a later read") }
                    #expect(entries.allSatisfy { appended.contains(LogRecord(tag: $0.tag, payload: $0.payload)) })
                }
            }
            try await group.waitForAll()
        }
        try await log.close()
        #expect(try readAll(dir).count == records.count)
    }
}
