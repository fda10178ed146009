import Cairn
import CairnAPI
import CairnLog
import Foundation
import Hummingbird
import NIOCore

/// The JSON API under `/api/v1` (the contract is the OpenAPI document, ``OpenAPIDocument``): reads through the
/// engine's queries, acts through its management calls, and maps every engine error to a 4xx or 5xx with a JSON
/// body (``APIResponse``). A request that is refused writes nothing.
struct APIRoutes: Sendable {
    let engine: WorkflowEngine
    let payloads: PayloadView
    let maxBodySize: Int

    /// The most workflows one page lists, and the most events one history page holds.
    static let maxPageSize = 1000
    static let maxHistoryPage = 10_000

    func add(to router: Router<BasicRequestContext>) {
        let api = router.group("api/v1")
        api.get("openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        api.get("overview") { _, _ in try answer { try APIResponse.json(overview()) } }
        api.get("queues") { _, _ in try answer { try APIResponse.json(engine.queueStates().map(APIQueue.init)) } }
        api.get("schedules") { _, _ in try answer { try APIResponse.json(engine.schedules().map(APISchedule.init)) } }
        api.get("workflows") { request, _ in try answer { try APIResponse.json(list(APIQuery(request.uri))) } }
        api.get("workflows/:id") { _, context in
            try await answer { try APIResponse.json(try await workflow(try pathParameter("id", context))) }
        }
        api.get("workflows/:id/history") { request, context in
            try await answer {
                try APIResponse.json(try await history(try pathParameter("id", context), APIQuery(request.uri)))
            }
        }
        api.get("workflows/:id/children") { _, context in
            try await answer { try APIResponse.json(try await children(of: try pathParameter("id", context))) }
        }
        api.get("workflows/:id/events") { _, context in
            try answer { try APIResponse.json(try eventValues(of: try pathParameter("id", context))) }
        }
        api.get("workflows/:id/streams/:key") { request, context in
            try await answer {
                try APIResponse.json(
                    try await stream(try pathParameter("id", context), key: try pathParameter("key", context), APIQuery(request.uri)))
            }
        }
        api.get("events") { request, _ in
            try await answer { try await EventStream(engine: engine, payloads: payloads).response(to: request) }
        }
        addActions(to: api)
    }

    // MARK: Reads

    func overview() -> APIOverview {
        APIOverview(
            engine.statistics(), registeredWorkflows: engine.registeredWorkflows,
            queues: engine.queueStates().map(APIQueue.init), schedules: engine.schedules().map(APISchedule.init),
            store: engine.directory)
    }

    func list(_ query: APIQuery) throws(APIProblem) -> APIWorkflowPage {
        let statuses = try query.all("status").map { text throws(APIProblem) -> WorkflowStatus in
            guard let status = WorkflowStatus(rawValue: text) else {
                throw APIProblem.badQuery(
                    "status '\(text)' is not one of \(WorkflowStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return status
        }
        let cursor = try query.string("cursor").map { text throws(APIProblem) -> WorkflowCursor in
            guard let cursor = WorkflowCursor(text) else {
                throw APIProblem.badQuery("cursor '\(text)' is not a cursor this API gave (a page's `next`)")
            }
            return cursor
        }
        let limit = try query.integer("limit", in: 1...Self.maxPageSize) ?? 50
        let page = engine.list(
            status: statuses.isEmpty ? nil : Set(statuses), name: query.string("name"), startedSince: try query.date("since"),
            startedBefore: try query.date("until"), idContaining: query.string("q"), limit: limit, after: cursor)
        return APIWorkflowPage(
            workflows: page.summaries.map { summary in
                payloads.workflow(
                    summary, full: false, waitingFor: summary.status == .enqueued ? engine.waitReason(of: summary.id) : nil)
            },
            next: page.next?.description)
    }

    func workflow(_ id: String) async throws -> APIWorkflow {
        guard let summary = engine.summary(of: id) else { throw notFound(id) }
        // The input is the start event's payload: the first record of its history.
        var input: [UInt8]?
        for try await event in try engine.history(of: id) {
            if case .started = event.details { input = event.payload }
            break
        }
        return payloads.workflow(
            summary, input: input, full: true, waitingFor: summary.status == .enqueued ? engine.waitReason(of: id) : nil)
    }

    func history(_ id: String, _ query: APIQuery) async throws -> APIHistory {
        let after = try query.integer("after", in: 0...Int.max).map { LSN(UInt64($0)) }
        let limit = try query.integer("limit", in: 1...Self.maxHistoryPage) ?? 1000
        let name = engine.summary(of: id)?.name
        var events: [APIEvent] = []
        var more = false
        for try await event in try engine.history(of: id, after: after) {
            if events.count == limit {
                more = true
                break
            }
            events.append(payloads.event(event, workflowName: name))
        }
        return APIHistory(events: events, next: more ? events.last?.lsn : nil)
    }

    func children(of id: String) async throws -> APIWorkflowPage {
        var seen: Set<String> = []
        var children: [APIWorkflow] = []
        for try await event in try engine.history(of: id) {
            guard case .childStarted(let childID, _) = event.details, seen.insert(childID).inserted,
                let summary = engine.summary(of: childID)
            else { continue }
            children.append(payloads.workflow(summary, full: false))
        }
        return APIWorkflowPage(workflows: children, next: nil)
    }

    func eventValues(of id: String) throws -> [String: APIPayload] {
        guard let summary = engine.summary(of: id) else { throw notFound(id) }
        return payloads.workflow(summary, full: true).eventValues ?? [:]
    }

    /// A stream's values so far, from its recorded writes (a snapshot: reading never waits for more).
    func stream(_ id: String, key: String, _ query: APIQuery) async throws -> APIStreamValues {
        let from = try query.integer("after", in: 0...Int.max) ?? 0
        let name = engine.summary(of: id)?.name
        var values: [APIPayload] = []
        var index = 0
        var closed = false
        for try await event in try engine.history(of: id) {
            switch event.details {
            case .streamWritten(let written) where written == key:
                if index >= from, let bytes = event.payload {
                    values.append(payloads.show(bytes, PayloadOrigin(
                        role: .historyEvent, workflowID: id, workflowName: name, name: key, eventKind: event.kind.declaration.caseName)))
                }
                index += 1
            case .streamClosed(let closedKey) where closedKey == key:
                closed = true
            default:
                break
            }
        }
        return APIStreamValues(values: values, closed: closed)
    }

    func notFound(_ id: String) -> WorkflowError {
        WorkflowError(.notFound, "no workflow with ID '\(id)'", workflowID: id)
    }
}

/// A stream's values (`GET /api/v1/workflows/{id}/streams/{key}`).
struct APIStreamValues: Codable {
    var values: [APIPayload]
    var closed: Bool
}

/// Runs a handler and turns what it throws into the API's JSON errors.
func answer(_ body: () throws -> Response) throws -> Response {
    do {
        return try body()
    } catch {
        return try APIResponse.error(for: error)
    }
}

func answer(_ body: () async throws -> Response) async throws -> Response {
    do {
        return try await body()
    } catch {
        return try APIResponse.error(for: error)
    }
}
