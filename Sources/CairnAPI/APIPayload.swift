public import Cairn

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A recorded payload (an input, a result, a step's outcome, a message, an event value) as the API shows it:
/// decoded when it is JSON (the default codec), base64 otherwise, or withheld by the server's redaction hook.
///
/// Exactly one of ``json``, ``base64`` and ``redacted`` is set; ``bytes`` is always the recorded size.
public struct APIPayload: Codable, Sendable, Hashable {
    /// The recorded size in bytes.
    public var bytes: Int
    /// The payload, when its bytes are JSON.
    public var json: JSONValue?
    /// The payload's bytes in base64, when they are not JSON.
    public var base64: String?
    /// True when the server's redaction hook withheld the payload.
    public var redacted: Bool?

    /// The payload of `bytes`: JSON when they parse as JSON, base64 otherwise.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes.count
        if let value = JSONScanner.parse(bytes) {
            json = value
        } else {
            base64 = Data(bytes).base64EncodedString()
        }
    }

    /// A payload of `size` bytes that the server withheld.
    public static func withheld(size: Int) -> APIPayload { APIPayload(bytes: size, redacted: true) }

    init(bytes: Int, json: JSONValue? = nil, base64: String? = nil, redacted: Bool? = nil) {
        self.bytes = bytes
        self.json = json
        self.base64 = base64
        self.redacted = redacted
    }

    /// One line for a terminal or a table cell: the JSON text, "<N bytes>" for binary, "<redacted>".
    public var preview: String {
        if let json { return json.text }
        if redacted == true { return "<redacted, \(bytes) bytes>" }
        return "<\(bytes) bytes>"
    }
}

extension JSONValue {
    /// The value as compact JSON text, keys sorted.
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
