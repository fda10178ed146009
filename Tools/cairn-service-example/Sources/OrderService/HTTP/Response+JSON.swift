import Foundation
import Hummingbird

extension HTTPResponse.Status {
    /// 402: HTTPTypes names no such status.
    static let paymentRequired = HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")
}

extension Response {
    /// A JSON answer with `status` and `headers`.
    static func json(_ value: some Encodable, status: HTTPResponse.Status, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try jsonEncoder.encode(value))))
    }

    /// An error answer: ``APIError`` as JSON.
    static func error(
        _ status: HTTPResponse.Status, _ code: String, _ message: String, orderID: String? = nil
    ) throws -> Response {
        try json(APIError(error: code, message: message, orderID: orderID), status: status)
    }
}

let jsonEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return encoder
}()
