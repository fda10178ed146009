import AsyncHTTPClient
import Cairn
import CairnAPI
import CairnHTTP
import CairnLog
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The HTTP API's workloads (CairnHTTP beside an engine, asked over loopback by AsyncHTTPClient).
enum APIBench {
    /// `api-list`: a page of 50 from `GET /api/v1/workflows` on a log of n workflows — the first page, then page
    /// after page by cursor; p50/p99 per request (target ≤ 50 ms at 1,000,000), and `engine.list` alone.
    static func list(_ context: BenchContext) async throws {
        let directory = context.path("api-list-\(context.n)")
        defer { context.remove(directory) }
        let written = try await WorkflowLog.fill(directory, workflows: context.n)
        let engine = try await WorkflowEngine.open(directory: directory, workflows: BenchWorkflows.all)
        defer { Task { await engine.shutdown() } }
        try await withServer(engine) { base in
            var first: [Double] = []
            var paged: [Double] = []
            var cursor: String?
            for _ in 0..<20 {
                let t = Stopwatch.now()
                _ = try await get(base + "/api/v1/workflows?limit=50", as: APIWorkflowPage.self)
                first.append(Stopwatch.now() - t)
            }
            var listed = 0
            for _ in 0..<50 {
                let t = Stopwatch.now()
                let page = try await get(
                    base + "/api/v1/workflows?limit=50" + (cursor.map { "&cursor=" + encode($0) } ?? ""), as: APIWorkflowPage.self)
                paged.append(Stopwatch.now() - t)
                listed += page.workflows.count
                cursor = page.next
            }
            guard listed == min(50 * 50, written.workflows) else {
                throw BenchError("api-list: 50 pages listed \(listed) workflows of \(written.workflows)")
            }
            var inProcess: [Double] = []
            var next: WorkflowCursor?
            for _ in 0..<20 {
                let t = Stopwatch.now()
                next = engine.list(limit: 50, after: next).next
                inProcess.append(Stopwatch.now() - t)
            }
            var line = context.line("api-list", seconds: paged.reduce(0, +), latencies: paged)
            line["unit"] = "pages"
            line["first_page_p50_ms"] = .number(percentile(first, 0.5) * 1000)
            line["cursor_page_p50_ms"] = .number(percentile(paged, 0.5) * 1000)
            line["cursor_page_p99_ms"] = .number(percentile(paged, 0.99) * 1000)
            line["engine_list_p50_ms"] = .number(percentile(inProcess, 0.5) * 1000)
            line["workflows"] = .int(written.workflows)
            line["target_ms"] = .number(50, places: 0)
            context.emit(line)
        }
    }

    /// `api-stream`: the `concurrent` workload (n workflows of 3 steps at once) with no one reading the event stream,
    /// then with a client reading `GET /api/v1/events` from the live end, six rounds in rotated order; the
    /// engine's workflows/s both ways (the slowdown the stream costs, target ≤ 10 %), the events/s the client
    /// received, and how long after the last workflow finished its last event arrived; and a third time with a client
    /// that takes 10,000 events/s (`slowdown_10k_stream_pct`, the target's case). Then the stream at a paced
    /// 10,000 events/s for 3 s: the events/s delivered and the lag at the end (keeping up: a lag of about one poll).
    static func stream(_ context: BenchContext) async throws {
        let n = context.n
        try await EngineBenchmarks.withRunningEngine(context, "api-stream") { engine in
            try await withServer(engine) { base in
                _ = try await EngineBenchmarks.startAllAndWait(
                    ThreeSteps.self, engine, count: 1000, prefix: "warm", expect: ThreeSteps.expected)
                var without: [Double] = []
                var with: [Double] = []
                var withPaced: [Double] = []
                var received: [Double] = []
                var lags: [Double] = []
                // Six rounds, the three cases in a rotated order, so that none always runs on the larger engine (the
                // finished workflows of every earlier case stay in its projection).
                for round in 0..<6 {
                    for case_ in (0..<3).map({ ($0 + round) % 3 }) {
                        switch case_ {
                        case 0:
                            let alone = try await EngineBenchmarks.startAllAndWait(
                                ThreeSteps.self, engine, count: n, prefix: "alone-\(round)", expect: ThreeSteps.expected)
                            without.append(Double(n) / alone.seconds)
                        case 1:
                            let (reader, reading) = try await follow(engine, base, eventsPerSecond: nil)
                            let watched = try await EngineBenchmarks.startAllAndWait(
                                ThreeSteps.self, engine, count: n, prefix: "watched-\(round)", expect: ThreeSteps.expected)
                            let finished = Stopwatch.now()
                            with.append(Double(n) / watched.seconds)
                            try await reader.wait(until: engine.lastRecorded?.rawValue ?? 0)
                            lags.append(Stopwatch.now() - finished)
                            let (count, first, last) = reader.counts
                            received.append(Double(count - 1) / max(last - first, 1e-9))
                            reading.cancel()
                            _ = try? await reading.value
                        default:
                            // A client that takes 10,000 events/s (back-pressure holds the server to its pace).
                            let (_, reading) = try await follow(engine, base, eventsPerSecond: 10_000)
                            let followed = try await EngineBenchmarks.startAllAndWait(
                                ThreeSteps.self, engine, count: n, prefix: "followed-\(round)", expect: ThreeSteps.expected)
                            withPaced.append(Double(n) / followed.seconds)
                            reading.cancel()
                            _ = try? await reading.value
                        }
                    }
                }
                // The stream at a paced 10,000 events/s (2,000 workflows of 5 events a second, for 3 s): what it
                // delivers, and how far behind the live end it is when the last workflow has finished.
                let from = engine.lastRecorded?.rawValue ?? 0
                let reader = StreamReader(url: base + "/api/v1/events?after=\(from)")
                let reading = Task { try await reader.read() }
                let paced = Stopwatch.now()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for tick in 0..<30 {
                        let due = paced + Double(tick) * 0.1
                        let wait = due - Stopwatch.now()
                        if wait > 0 { try await Task.sleep(for: .nanoseconds(Int64(wait * 1e9))) }
                        for i in 0..<200 {
                            group.addTask { try await EngineBenchmarks.runThreeSteps(engine, id: "paced-\(tick)-\(i)", input: i) }
                        }
                    }
                    try await group.waitForAll()
                }
                let pacedFinished = Stopwatch.now()
                try await reader.wait(until: engine.lastRecorded?.rawValue ?? 0)
                let pacedLag = Stopwatch.now() - pacedFinished
                let paceCounts = reader.counts
                reading.cancel()
                _ = try? await reading.value

                let medianWithout = percentile(without, 0.5)
                let medianWith = percentile(with, 0.5)
                var line = context.line("api-stream", seconds: Double(n) / medianWith)
                line["unit"] = "workflows/s"
                line["per_sec_without_stream"] = .number(medianWithout, places: 0)
                line["per_sec_with_stream"] = .number(medianWith, places: 0)
                line["slowdown_pct"] = .number((1 - medianWith / medianWithout) * 100, places: 1)
                let medianPaced = percentile(withPaced, 0.5)
                line["per_sec_with_10k_stream"] = .number(medianPaced, places: 0)
                line["slowdown_10k_stream_pct"] = .number((1 - medianPaced / medianWithout) * 100, places: 1)
                line["stream_events_per_sec"] = .number(percentile(received, 0.5), places: 0)
                line["stream_lag_ms"] = .number(percentile(lags, 0.5) * 1000)
                line["paced_events_per_sec"] = .number(Double(paceCounts.count) / (pacedFinished - paced), places: 0)
                line["paced_lag_ms"] = .number(pacedLag * 1000)
                line["target_slowdown_pct"] = .number(10, places: 0)
                line["target_events_per_sec"] = .number(10_000, places: 0)
                context.emit(line)
            }
        }
    }

    /// A client on the live event stream, once it is live: it asks from the last event recorded (which it receives
    /// first), so it is following when this returns. Opening a stream costs a read of the active segment up to
    /// where it starts (the log's frames compress as one stream); the workloads measure the stream while it
    /// follows, not that once-per-connection seek.
    static func follow(
        _ engine: WorkflowEngine, _ base: String, eventsPerSecond: Double?
    ) async throws -> (StreamReader, Task<Void, any Error>) {
        let end = engine.lastRecorded?.rawValue ?? 0
        let reader = StreamReader(url: base + "/api/v1/events?after=\(end > 0 ? end - 1 : 0)", eventsPerSecond: eventsPerSecond)
        let reading = Task { try await reader.read() }
        try await reader.wait(until: end)
        return (reader, reading)
    }

    /// Runs a server on a free loopback port beside `engine` while `body` asks it (its base URL).
    static func withServer<R: Sendable>(_ engine: WorkflowEngine, _ body: (String) async throws -> R) async throws -> R {
        var configuration = CairnHTTPConfiguration()
        configuration.port = 0
        let server = try CairnHTTPServer(engine: engine, configuration: configuration)
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        guard let port = await server.waitUntilListening() else { throw BenchError("the API server did not start") }
        return try await body("http://127.0.0.1:\(port)")
    }

    static func get<T: Decodable>(_ url: String, as type: T.Type) async throws -> T {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status.code == 200 else {
            throw BenchError("GET \(url): \(response.status.code) \(String(buffer: body))")
        }
        return try APIJSON.decoder().decode(T.self, from: Data(body.readableBytesView))
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
    }
}

/// Reads a server-sent event stream, counting events and noting the last ID, without decoding the JSON (the
/// client's cost should not be what is measured).
final class StreamReader: Sendable {
    let url: String
    /// The most events a second it takes (nil: as fast as they come).
    let eventsPerSecond: Double?
    private let state = Mutex<(count: Int, first: Double, last: Double, lastID: UInt64)>((0, 0, 0, 0))

    init(url: String, eventsPerSecond: Double? = nil) {
        self.url = url
        self.eventsPerSecond = eventsPerSecond
    }

    var counts: (count: Int, first: Double, last: Double) { state.withLock { ($0.count, $0.first, $0.last) } }

    func read() async throws {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .hours(1))
        var pending: [UInt8] = []
        for try await chunk in response.body {
            pending += chunk.readableBytesView
            var start = 0
            // Lines "id: N" mark events.
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                let line = pending[start..<newline]
                if line.starts(with: Array("id: ".utf8)), let id = UInt64(String(decoding: line.dropFirst(4), as: UTF8.self)) {
                    let now = Stopwatch.now()
                    state.withLock { s in
                        if s.count == 0 { s.first = now }
                        s.count += 1
                        s.last = now
                        s.lastID = id
                    }
                }
                start = newline + 1
            }
            pending.removeFirst(start)
            if let eventsPerSecond {
                let (count, first, _) = counts
                let due = first + Double(count) / eventsPerSecond
                let now = Stopwatch.now()
                if due > now { try await Task.sleep(for: .nanoseconds(Int64((due - now) * 1e9))) }
            }
        }
    }

    /// Waits until the event with LSN `end` has arrived.
    func wait(until end: UInt64) async throws {
        while state.withLock({ $0.lastID }) < end { try await Task.sleep(for: .milliseconds(1)) }
    }
}
