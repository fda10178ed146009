import Cairn
import CairnAPI
import CairnLog
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import ServiceLifecycle
import Synchronization

/// `GET /api/v1/events`: every recorded event as a server-sent event (`text/event-stream`), live.
///
/// Each event is `id: LSN`, `event: event`, `data: APIEvent` (one line of JSON). A client that reconnects sends
/// the last ID it saw as `Last-Event-ID` (or `after=`) and misses nothing: events are read from the store
/// (``WorkflowEngine/events(after:workflowID:)``), not from a buffer that could overflow. A comment line every
/// 15 seconds keeps idle connections (and proxies) open. The stream ends when the client goes away or the server
/// shuts down gracefully.
///
/// Back-pressure: the store is read only as fast as the client takes the events, so a slow client costs the engine
/// nothing; it just falls further behind the live end. Events go out in batches (one write for up to 64, none held
/// more than 10 ms). The reading runs at low priority: when the engine is busy
/// (more events than the machine can both record and stream), the stream lags and catches up once the load drops,
/// rather than slowing the engine.
struct EventStream: Sendable {
    let engine: WorkflowEngine
    let payloads: PayloadView
    static let keepAlive: Duration = .seconds(15)

    func response(to request: Request) async throws -> Response {
        let query = APIQuery(request.uri)
        let workflowID = query.string("workflow")
        var workflowName: String?
        if let workflowID {
            guard let summary = engine.summary(of: workflowID) else {
                throw WorkflowError(.notFound, "no workflow with ID '\(workflowID)'", workflowID: workflowID)
            }
            workflowName = summary.name
        }
        let after = try await start(request, query, workflowID: workflowID)
        let events = engine.events(after: after, workflowID: workflowID)
        let payloads = self.payloads
        let name = workflowName
        let body = ResponseBody { writer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                let (chunks, output) = AsyncStream.makeStream(of: Chunk.self)
                let batch = Batch(output)
                // The events, read only while fewer than `window` wait to be written: back-pressure. At low priority:
                // under load the engine's own work goes first, and the stream catches up after.
                group.addTask(priority: .low) {
                    do {
                        for try await event in events {
                            while batch.unwritten >= EventStream.window {
                                try await Task.sleep(for: .milliseconds(5))
                            }
                            batch.add(EventStream.line(payloads.event(event, workflowName: name)))
                        }
                        batch.flush()
                    } catch is CancellationError {
                    } catch {
                        batch.flush()
                        output.yield(Chunk(bytes: EventStream.errorLine(error), events: 0))
                    }
                    output.finish()
                }
                // A batch not yet full goes out within `batchDelay`: a live client waits at most that long.
                group.addTask {
                    while true {
                        try await Task.sleep(for: EventStream.batchDelay)
                        batch.flush()
                    }
                }
                // The server's graceful shutdown ends the stream (the client reconnects to the next server).
                group.addTask {
                    try? await gracefulShutdown()
                    output.finish()
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: EventStream.keepAlive)
                        output.yield(Chunk(bytes: ByteBuffer(string: ": keep-alive\n\n"), events: 0))
                    }
                }
                for await chunk in chunks {
                    try await writer.write(chunk.bytes)
                    batch.written(chunk.events)
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: body)
    }

    /// The LSN the stream starts after: `after=`, else `Last-Event-ID`, else the last `last=N` events (of the
    /// workflow, when one is named), else the live end.
    func start(_ request: Request, _ query: APIQuery, workflowID: String?) async throws -> LSN? {
        if let after = try query.integer("after", in: 0...Int.max) { return LSN(UInt64(after)) }
        if let text = request.headers[HTTPField.Name("Last-Event-ID")!] {
            guard let after = UInt64(text) else {
                throw APIProblem.badQuery("Last-Event-ID '\(text)' is not an event ID this stream sent (an LSN)")
            }
            return LSN(after)
        }
        let last = try query.integer("last", in: 0...100_000) ?? 0
        let end = engine.lastRecorded
        guard last > 0 else { return end ?? LSN(0) }
        if let workflowID {
            var lsns: [UInt64] = []
            for try await event in try engine.history(of: workflowID) { lsns.append(event.lsn.rawValue) }
            guard lsns.count > last else { return LSN(0) }
            return LSN(lsns[lsns.count - last - 1])
        }
        let endValue = end?.rawValue ?? 0
        return LSN(endValue > UInt64(last) ? endValue - UInt64(last) : 0)
    }
}

extension EventStream {
    /// How many events may wait to be written before the store is read further.
    static let window = 1024
    /// Events are written in batches of up to `batchSize` (one write and one flush each, not one per event), and a
    /// batch waits at most `batchDelay` for more.
    static let batchSize = 64
    static let batchDelay: Duration = .milliseconds(10)

    /// Bytes to write, and how many events they carry.
    struct Chunk: Sendable {
        var bytes: ByteBuffer
        var events: Int
    }

    /// The events read but not yet handed to the writer, and how many handed over are not yet written.
    final class Batch: Sendable {
        private let state = Mutex<(pending: ByteBuffer, count: Int, unwritten: Int)>((ByteBuffer(), 0, 0))
        private let output: AsyncStream<Chunk>.Continuation

        init(_ output: AsyncStream<Chunk>.Continuation) { self.output = output }

        var unwritten: Int { state.withLock { $0.unwritten } }

        func add(_ line: ByteBuffer) {
            state.withLock { s in
                var line = line
                s.pending.writeBuffer(&line)
                s.count += 1
                s.unwritten += 1
                if s.count >= EventStream.batchSize { hand(&s) }
            }
        }

        func flush() { state.withLock { hand(&$0) } }

        func written(_ events: Int) { state.withLock { $0.unwritten -= events } }

        /// Yields the pending bytes, under the lock, so that batches reach the writer in the order they were made.
        private func hand(_ s: inout (pending: ByteBuffer, count: Int, unwritten: Int)) {
            guard s.count > 0 else { return }
            output.yield(Chunk(bytes: s.pending, events: s.count))
            s.pending = ByteBuffer()
            s.count = 0
        }
    }

    /// An event as the stream carries it.
    static func line(_ event: APIEvent) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("id: \(event.lsn)\nevent: event\ndata: ")
        buffer.writeBytes(event.jsonBytes)
        buffer.writeString("\n\n")
        return buffer
    }

    /// The stream's last line when reading the store failed: `event: error` with the API's error JSON.
    static func errorLine(_ error: any Error) -> ByteBuffer {
        let body: APIErrorBody =
            if let error = error as? WorkflowError {
                APIErrorBody(code: "store_failure", message: error.message, workflowID: error.workflowID)
            } else {
                APIErrorBody(code: "store_failure", message: "\(error)")
            }
        var buffer = ByteBuffer()
        buffer.writeString("event: error\ndata: ")
        buffer.writeBytes((try? APIJSON.encoder().encode(body)).map(Array.init) ?? [])
        buffer.writeString("\n\n")
        return buffer
    }
}
