import Cairn
import CairnAPI
import Foundation
import Hummingbird
import NIOCore

/// The API's actions: start, send, cancel, resume, fork. Each reads a JSON body within the size limit, checks it
/// whole before calling the engine, and answers what the engine did; a refused request writes nothing.
extension APIRoutes {
    func addActions(to api: RouterGroup<BasicRequestContext>) {
        api.post("workflows") { request, context in
            try await answer {
                let body = try await decode(APIStartRequest.self, from: request, context: context)
                let existed = body.id.flatMap { engine.summary(of: $0) } != nil
                let input = try APIJSON.encoder().encode(body.input)
                let id = try await engine.start(workflowNamed: body.name, jsonInput: Array(input), id: body.id)
                guard let summary = engine.summary(of: id) else { throw notFound(id) }
                let workflow = payloads.workflow(summary, input: Array(input), full: true)
                return try APIResponse.json(
                    APIStartResponse(workflow: workflow, created: !existed), status: existed ? .ok : .created)
            }
        }
        api.post("workflows/:id/messages") { request, context in
            try await answer {
                let id = try pathParameter("id", context)
                let body = try await decode(APISendRequest.self, from: request, context: context)
                guard engine.summary(of: id) != nil else { throw notFound(id) }
                let message = try APIJSON.encoder().encode(body.message)
                try await engine.send(
                    jsonMessage: Array(message), to: id, topic: body.topic ?? "", idempotencyKey: body.idempotencyKey)
                return try APIResponse.json(["accepted": true], status: .accepted)
            }
        }
        api.post("workflows/:id/cancel") { request, context in
            try await answer {
                let id = try pathParameter("id", context)
                let body = try await decode(APICancelRequest.self, from: request, context: context, emptyIs: APICancelRequest())
                try await engine.cancel(id, includingChildren: body.includingChildren ?? true)
                return try APIResponse.json(try await workflow(id))
            }
        }
        api.post("workflows/:id/resume") { request, context in
            try await answer {
                let id = try pathParameter("id", context)
                _ = try await decode(JSONValue.self, from: request, context: context, emptyIs: .object([:]))
                try await engine.resume(id)
                return try APIResponse.json(try await workflow(id))
            }
        }
        api.post("workflows/:id/fork") { request, context in
            try await answer {
                let id = try pathParameter("id", context)
                let body = try await decode(APIForkRequest.self, from: request, context: context)
                let newID = try await engine.fork(id, before: body.before, newID: body.newID)
                let summary = engine.summary(of: newID)
                return try APIResponse.json(
                    APIForkResponse(id: newID, workflow: summary.map { payloads.workflow($0, full: false) }), status: .created)
            }
        }
    }

    /// The request's body as `T`: at most ``maxBodySize`` bytes (413 beyond), JSON of the right shape (400 with
    /// where it is wrong otherwise). An empty body is `emptyIs` when given.
    func decode<T: Decodable>(
        _ type: T.Type, from request: Request, context: BasicRequestContext, emptyIs empty: T? = nil
    ) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBodySize)
        } catch is NIOTooManyBytesError {
            throw APIProblem(
                status: .contentTooLarge, code: "payload_too_large",
                message: "the request body is over this server's limit of \(maxBodySize) bytes; nothing was written")
        }
        if buffer.readableBytes == 0, let empty { return empty }
        do {
            return try APIJSON.decoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIProblem.badBody("the request body is not a valid \(T.self): \(JSONProblem(error))")
        }
    }
}
