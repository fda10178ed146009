import Cairn
import CairnAPI
import CairnTestSupport
import Foundation
import Testing

/// `APIPayload` parses payloads with its own scanner; it must agree with `JSONDecoder` (`JSONValue(parsing:)`) on
/// what is JSON and on the value.
@Suite("API payloads: JSON as JSON, anything else as base64")
struct PayloadParsingTests {
    @Test func agreesWithJSONDecoder() throws {
        let texts = [
            #"{"a":[1,2.5,-3e2,true,false,null,"x\"y\\z\/\n\u00e9\ud83c\udf33"],"b":{}}"#, "[]", "{}", "0", "-0", "1.0",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1e400", #""\u0000""#, "  [ 1 , 2 ]  ",
            "", " ", "[", "]", "{", #"{"a"}"#, #"{"a":}"#, "01", "1.", ".5", "+1", "1e", "tru", "nul",
            #""\x""#, #""\ud800""#, #""\udc00x""#, "\"\u{01}\"", "[1] [2]", "NaN",
        ]
        for text in texts {
            let bytes = Array(text.utf8)
            let scanned = APIPayload(bytes)
            let decoded = try? JSONValue(parsing: bytes)
            #expect(scanned.json == decoded, "\(text.debugDescription): scanner \(String(describing: scanned.json)), decoder \(String(describing: decoded))")
            #expect((scanned.base64 != nil) == (decoded == nil), "\(text.debugDescription)")
        }
        // What JSONDecoder takes beyond the grammar (a trailing comma, a byte-order mark) shows as bytes.
        for text in ["[1,]", #"{"a":1,}"#, "\u{FEFF}1"] { #expect(APIPayload(Array(text.utf8)).json == nil, "\(text.debugDescription)") }
        // Bytes that are not UTF-8.
        #expect(APIPayload([0x22, 0xFF, 0x22]).json == nil)
        // Deep nesting is refused, not a stack overflow.
        #expect(APIPayload(Array(String(repeating: "[", count: 100_000).utf8)).json == nil)
    }

    @Test func randomValuesRoundTrip() throws {
        var generator = SeededGenerator(seed: 7)
        func value(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .integer(Int64.random(in: .min ... .max, using: &generator))
            case 3: return .number(Double.random(in: -1e6...1e6, using: &generator))
            case 4:
                let scalars = (0..<Int.random(in: 0..<12, using: &generator)).map { _ in
                    Character(Unicode.Scalar(UInt32.random(in: 1...0x2FFF, using: &generator)) ?? "x")
                }
                return .string(String(scalars))
            case 5: return .array((0..<Int.random(in: 0..<4, using: &generator)).map { _ in value(depth + 1) })
            default:
                var fields: [String: JSONValue] = [:]
                for i in 0..<Int.random(in: 0..<4, using: &generator) { fields["k\(i)"] = value(depth + 1) }
                return .object(fields)
            }
        }
        for _ in 0..<2000 {
            let original = value(0)
            let bytes = Array(try APIJSON.encoder().encode(original))
            #expect(APIPayload(bytes).json == (try JSONValue(parsing: bytes)), "\(String(decoding: bytes, as: UTF8.self))")
        }
    }
}
