@testable import Cairn
import CairnAPI
import CairnHTTP
import CairnLog
import Foundation
import HTTPTypes
import Testing

@Suite("HTTP API")
struct APITests {
    @Test("every read route answers as the OpenAPI document says")
    func readRoutes() async throws {
        try await APIHarness.run { api in
            let started = try await api.call(.post, "/api/v1/workflows", json: #"{"name":"parent","input":"Ada","id":"p-1"}"#)
            #expect(started.status == 201)
            try await api.waitFor("p-1", .completed)
            let waiting = try await api.call(.post, "/api/v1/workflows", json: #"{"name":"await-go","input":"x","id":"w-1"}"#)
            #expect(waiting.status == 201)
            try await api.waitUntilReceiving("w-1")

            let overview = try await api.call(.get, "/api/v1/overview").decode(APIOverview.self)
            #expect(overview.workflows["completed"] == 2)  // the parent and its child
            #expect(overview.registeredWorkflows == ["await-go", "greet", "parent"])
            #expect(overview.commitLatency.count > 0)

            let page = try await api.call(.get, "/api/v1/workflows").decode(APIWorkflowPage.self)
            #expect(Set(page.workflows.map(\.id)) == ["p-1", "child-of-p-1", "w-1"])

            let parent = try await api.call(.get, "/api/v1/workflows/p-1").decode(APIWorkflow.self)
            #expect(parent.status == .completed)
            #expect(parent.input?.json == .string("Ada"))
            #expect(parent.output?.json == .string("hello Ada"))

            let history = try await api.call(.get, "/api/v1/workflows/p-1/history").decode(APIHistory.self)
            #expect(history.events.first?.kind == "workflowStarted")
            #expect(history.events.contains { $0.kind == "childStarted" && $0.details["childID"] == .string("child-of-p-1") })
            #expect(history.events.last?.kind == "workflowCompleted")

            let children = try await api.call(.get, "/api/v1/workflows/p-1/children").decode(APIWorkflowPage.self)
            #expect(children.workflows.map(\.id) == ["child-of-p-1"])
            #expect(children.workflows.first?.parentID == "p-1")

            try await eventually { api.engine.summary(of: "w-1")?.eventValues["stage"] != nil }
            let values = try await api.call(.get, "/api/v1/workflows/w-1/events").decode([String: APIPayload].self)
            #expect(values["stage"]?.json == .string("waiting"))

            #expect(try await api.call(.get, "/api/v1/queues").status == 200)
            #expect(try await api.call(.get, "/api/v1/schedules").status == 200)
            let stream = try await api.call(.get, "/api/v1/workflows/w-1/streams/log").decode(APIStreamValuesShape.self)
            #expect(stream.values.isEmpty && !stream.closed)
        }
    }

    @Test("start by name: created, then idempotent by ID; bad input gets a 4xx and writes nothing")
    func start() async throws {
        try await APIHarness.run { api in
            let first = try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":{"name":"Ada"},"id":"g-1"}"#)
            #expect(first.status == 201)
            #expect(try first.decode(APIStartResponse.self).created)
            let again = try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":{"name":"Bob"},"id":"g-1"}"#)
            #expect(again.status == 200)
            #expect(try again.decode(APIStartResponse.self).created == false)
            try await api.waitFor("g-1", .completed)
            #expect(api.engine.summary(of: "g-1")?.output.map { String(decoding: $0, as: UTF8.self) } == #""hello Ada""#)

            let before = api.engine.lastRecorded
            let refusals: [(String, Int, String)] = [
                (#"{"name":"nope","input":{}}"#, 404, "unknown_workflow"),
                (#"{"name":"greet","input":{"nom":"Ada"}}"#, 400, "invalid_argument"),
                (#"{"name":"greet","input":"Ada"}"#, 400, "invalid_argument"),
                (#"{"name":"greet","input":{"name":"Ada"}"#, 400, "invalid_json"),
                (#"{"input":{"name":"Ada"}}"#, 400, "invalid_json"),
                (#"{"name":"await-go","input":"x","id":"g-1"}"#, 409, "id_conflict"),
                (#"{"name":"greet","input":{"name":"\#(String(repeating: "a", count: 200_000))"}}"#, 413, "payload_too_large"),
                (#"{"name":"greet","input":{"name":"\#(String(repeating: "a", count: 5000))"}}"#, 413, "payload_too_large"),
            ]
            for (body, status, code) in refusals {
                let answer = try await api.call(.post, "/api/v1/workflows", json: body)
                #expect(answer.status == status, "\(body.prefix(80)) → \(answer.status)")
                #expect(answer.error?.error.code == code, "\(body.prefix(80)) → \(String(describing: answer.error))")
                #expect(answer.error?.error.message.isEmpty == false)
            }
            #expect(api.engine.lastRecorded == before, "a refused start wrote something")
        }
    }

    @Test("send delivers a JSON message; cancel, resume and fork act and answer the workflow")
    func actions() async throws {
        try await APIHarness.run { api in
            try await api.call(.post, "/api/v1/workflows", json: #"{"name":"await-go","input":"x","id":"w-1"}"#)
            try await api.waitUntilReceiving("w-1")
            let sent = try await api.call(.post, "/api/v1/workflows/w-1/messages", json: #"{"topic":"go","message":{"text":"ship it"},"idempotencyKey":"k"}"#)
            #expect(sent.status == 202)
            try await api.waitFor("w-1", .completed)
            let done = try await api.call(.get, "/api/v1/workflows/w-1").decode(APIWorkflow.self)
            #expect(done.output?.json == .string("ship it"))
            let stream = try await api.call(.get, "/api/v1/workflows/w-1/streams/log").decode(APIStreamValuesShape.self)
            #expect(stream.values.map(\.json) == [.string("ship it")] && stream.closed)
            #expect(try await api.call(.post, "/api/v1/workflows/nope/messages", json: #"{"message":1}"#).status == 404)
            #expect(try await api.call(.post, "/api/v1/workflows/w-1/messages", json: #"{"topic":"go"}"#).error?.error.code == "invalid_json")

            try await api.call(.post, "/api/v1/workflows", json: #"{"name":"await-go","input":"y","id":"w-2"}"#)
            try await api.waitUntilReceiving("w-2")
            let cancelled = try await api.call(.post, "/api/v1/workflows/w-2/cancel", json: "{}")
            #expect(cancelled.status == 200)
            try await api.waitFor("w-2", .cancelled)
            let resumed = try await api.call(.post, "/api/v1/workflows/w-2/resume", json: "{}")
            #expect(resumed.status == 200)
            try await eventually { api.engine.summary(of: "w-2")?.status.isActive == true }
            let notResumable = try await api.call(.post, "/api/v1/workflows/w-1/resume", json: "{}")
            #expect(notResumable.status == 409)
            #expect(notResumable.error?.error.code == "invalid_state")

            let fork = try await api.call(.post, "/api/v1/workflows/w-1/fork", json: #"{"before":1,"newID":"w-1-fork"}"#)
            #expect(fork.status == 201)
            #expect(try fork.decode(APIForkResponse.self).id == "w-1-fork")
            try await eventually { api.engine.summary(of: "w-1-fork")?.status.isActive == true }
            #expect(try await api.call(.post, "/api/v1/workflows/nope/cancel", json: "{}").status == 404)

            // An ID with characters a path must escape.
            let odd = "order/7 ü?"
            let escaped = odd.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":{"name":"o"},"id":"order/7 ü?"}"#).status == 201)
            try await api.waitFor(odd, .completed)
            let fetched = try await api.call(.get, "/api/v1/workflows/\(escaped)")
            #expect(fetched.status == 200)
            #expect(try fetched.decode(APIWorkflow.self).id == odd)
            #expect(try await api.call(.get, "/api/v1/workflows/\(escaped)/history").status == 200)
        }
    }

    @Test("list: filters, search, paging with the cursor; bad parameters get 400")
    func listing() async throws {
        try await APIHarness.run { api in
            for index in 0..<7 {
                try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":{"name":"n"},"id":"g-\#(index)"}"#)
            }
            try await api.call(.post, "/api/v1/workflows", json: #"{"name":"await-go","input":"x","id":"w-1"}"#)
            for index in 0..<7 { try await api.waitFor("g-\(index)", .completed) }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let path = "/api/v1/workflows?name=greet&limit=3" + (cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? "")
                let page = try await api.call(.get, path).decode(APIWorkflowPage.self)
                #expect(page.workflows.count <= 3)
                seen += page.workflows.map(\.id)
                cursor = page.next
            } while cursor != nil
            #expect(seen.sorted() == (0..<7).map { "g-\($0)" })
            #expect(Set(seen).count == seen.count, "a page repeated a workflow")

            try await api.waitUntilReceiving("w-1")
            let pending = try await api.call(.get, "/api/v1/workflows?status=pending,running").decode(APIWorkflowPage.self)
            #expect(pending.workflows.map(\.id) == ["w-1"])
            let search = try await api.call(.get, "/api/v1/workflows?q=g-3").decode(APIWorkflowPage.self)
            #expect(search.workflows.map(\.id) == ["g-3"])
            let future = try await api.call(.get, "/api/v1/workflows?since=2999-01-01T00:00:00Z").decode(APIWorkflowPage.self)
            #expect(future.workflows.isEmpty)

            for query in ["status=done", "limit=0", "limit=x", "cursor=nonsense", "since=yesterday"] {
                let answer = try await api.call(.get, "/api/v1/workflows?\(query)")
                #expect(answer.status == 400, "\(query)")
                #expect(answer.error?.error.code == "invalid_query", "\(query)")
            }
        }
    }

    @Test("history pages continue after the LSN a page gives; an unknown workflow is 404 on every route")
    func historyPaging() async throws {
        try await APIHarness.run { api in
            try await api.call(.post, "/api/v1/workflows", json: #"{"name":"parent","input":"Ada","id":"p-1"}"#)
            try await api.waitFor("p-1", .completed)
            let whole = try await api.call(.get, "/api/v1/workflows/p-1/history").decode(APIHistory.self)
            #expect(whole.next == nil)
            var events: [APIEvent] = []
            var after: UInt64?
            repeat {
                let page = try await api.call(.get, "/api/v1/workflows/p-1/history?limit=2" + (after.map { "&after=\($0)" } ?? ""))
                    .decode(APIHistory.self)
                events += page.events
                after = page.next
            } while after != nil
            #expect(events == whole.events)

            for path in [
                "/api/v1/workflows/nope", "/api/v1/workflows/nope/history", "/api/v1/workflows/nope/children",
                "/api/v1/workflows/nope/events", "/api/v1/workflows/nope/streams/x", "/api/v1/events?workflow=nope",
            ] {
                let answer = try await api.call(.get, path)
                #expect(answer.status == 404, "\(path)")
                #expect(answer.error?.error.code == "not_found", "\(path)")
            }
        }
    }

    @Test("a token guards every route; requests that act must be same-origin JSON")
    func security() async throws {
        var configuration = CairnHTTPConfiguration()
        configuration.token = "0123456789abcdef0123"
        try await APIHarness.run(configuration: configuration) { api in
            let bearer: HTTPFields = [.authorization: "Bearer 0123456789abcdef0123"]
            #expect(try await api.call(.get, "/api/v1/overview").status == 401)
            #expect(try await api.call(.get, "/api/v1/overview", headers: [.authorization: "Bearer 0123456789abcdef0124"]).status == 401)
            #expect(try await api.call(.get, "/api/v1/overview", headers: bearer).status == 200)
            let before = api.engine.lastRecorded
            let unauthorized = try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":{"name":"x"}}"#)
            #expect(unauthorized.status == 401)

            var crossSite = bearer
            crossSite[HTTPField.Name("Origin")!] = "http://evil.example"
            let forged = try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":{"name":"x"}}"#, headers: crossSite)
            #expect(forged.status == 403)
            #expect(forged.error?.error.code == "forbidden")
            var form = bearer
            form[.contentType] = "text/plain"
            let plain = try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":{"name":"x"}}"#, headers: form)
            #expect(plain.status == 403)
            var site = bearer
            site[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
            #expect(try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":{"name":"x"}}"#, headers: site).status == 403)
            #expect(api.engine.lastRecorded == before, "a refused request wrote something")

            let allowed = try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":{"name":"x"}}"#, headers: bearer)
            #expect(allowed.status == 201)
        }
    }

    @Test("an engine that has stopped answers 503: reads go on, actions are refused")
    func stoppedEngine() async throws {
        try await APIHarness.run { api in
            try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":{"name":"a"},"id":"g"}"#)
            try await api.waitFor("g", .completed)
            await api.engine.shutdown()
            let refused = try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":{"name":"b"},"id":"g-2"}"#)
            #expect(refused.status == 503)
            #expect(refused.error?.error.code == "shutting_down")
            #expect(api.engine.summary(of: "g-2") == nil)
            #expect(try await api.call(.get, "/api/v1/workflows/g").status == 200)
        }
    }

    @Test("a server beyond loopback needs a token; a weak token is refused")
    func unsafeConfigurations() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/cairn-http-tests/\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let engine = try await WorkflowEngine.open(directory: directory, workflows: [Greet.self])
        var open = CairnHTTPConfiguration()
        open.host = "0.0.0.0"
        #expect(throws: CairnHTTPError.self) { try CairnHTTPServer(engine: engine, configuration: open) }
        open.token = "short"
        #expect(throws: CairnHTTPError.self) { try CairnHTTPServer(engine: engine, configuration: open) }
        open.token = String(repeating: "k", count: 32)
        #expect(throws: Never.self) { try CairnHTTPServer(engine: engine, configuration: open) }
        await engine.shutdown()
    }

    @Test("the redaction hook decides what leaves the server")
    func redaction() async throws {
        var configuration = CairnHTTPConfiguration()
        configuration.redact = { origin, bytes in origin.role == .input ? nil : bytes }
        try await APIHarness.run(configuration: configuration) { api in
            try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":{"name":"secret"},"id":"g"}"#)
            try await api.waitFor("g", .completed)
            let workflow = try await api.call(.get, "/api/v1/workflows/g").decode(APIWorkflow.self)
            #expect(workflow.input?.redacted == true && workflow.input?.json == nil)
            #expect(workflow.output?.json == .string("hello secret"))
            let history = try await api.call(.get, "/api/v1/workflows/g/history")
            let started = try history.decode(APIHistory.self).events.first
            #expect(started?.payload?.redacted == true)
            #expect(!String(decoding: history.body, as: UTF8.self).contains(#""name":"secret""#))
        }
    }

    @Test("the event stream's hand-written JSON reads back as the same events the history answers")
    func handWrittenEventJSON() async throws {
        try await APIHarness.run { api in
            let name = "quote \" backslash \\ newline \n tab \t bell \u{07} slash / é 🌳"
            let input = String(decoding: try APIJSON.encoder().encode(["name": name]), as: UTF8.self)
            try await api.call(.post, "/api/v1/workflows", json: #"{"name":"parent","input":"x","id":"p"}"#)
            try await api.call(.post, "/api/v1/workflows", json: #"{"name":"greet","input":\#(input),"id":"g"}"#)
            try await api.waitFor("p", .completed)
            try await api.waitFor("g", .completed)
            for id in ["p", "child-of-p", "g"] {
                let events = try await api.call(.get, "/api/v1/workflows/\(id)/history").decode(APIHistory.self).events
                #expect(!events.isEmpty)
                for event in events {
                    let decoded = try APIJSON.decoder().decode(APIEvent.self, from: Data(event.jsonBytes))
                    let encoded = try APIJSON.encoder().encode(event)
                    #expect(decoded == event, "\(String(decoding: event.jsonBytes, as: UTF8.self)) vs \(String(decoding: encoded, as: UTF8.self))")
                }
            }
        }
    }

    @Test("a divergence report parses into what was recorded and what was attempted")
    func divergenceReport() {
        let error = DeterminismError(
            workflowID: "o-1", workflowName: "order", position: Position([3]),
            recorded: OperationDescription(kind: "step", name: "charge", details: [], callSite: CallSite(file: "Order.swift", line: 12)),
            attempted: OperationDescription(kind: "step", name: "refund", details: [], callSite: CallSite(file: "Order.swift", line: 14)),
            reason: "the step's name changed", mode: .structure)
        let report = APIDivergence(report: error.description)
        #expect(report?.position == "3")
        #expect(report?.recorded.contains("Order.swift:12") == true)
        #expect(report?.attempted.contains("Order.swift:14") == true)
        #expect(report?.reason == "the step's name changed")
        #expect(APIDivergence(report: "recovery failed 3 times") == nil)
    }
}

/// `GET .../streams/{key}`'s answer.
struct APIStreamValuesShape: Codable {
    var values: [APIPayload]
    var closed: Bool
}
