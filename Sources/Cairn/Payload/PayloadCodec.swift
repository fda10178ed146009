#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Turns the user's values (workflow inputs and outputs, step results, messages, event values) into bytes and
/// back. The engine never looks inside: it stores the bytes and hands them back when replay needs the value.
public protocol PayloadCodec: Sendable {
    /// Encodes a value.
    func encode<T: Encodable>(_ value: T) throws -> [UInt8]
    /// Decodes a value of type `type`.
    func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T
}

extension PayloadCodec {
    /// Decodes a recorded value a reader asks for by type (a summary's result, an event's value, a failure's durable
    /// error): the codec's error becomes ``WorkflowError`` `.undecodablePayload`, saying `what` did not decode.
    func decodeRecorded<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String, workflowID: String?) throws -> T {
        do {
            return try decode(T.self, from: bytes)
        } catch {
            throw WorkflowError(
                .undecodablePayload, "\(what) does not decode as \(String(reflecting: T.self)) (\(error)); is it of another type? Did the type change?",
                workflowID: workflowID, underlying: SendableError(error))
        }
    }
}

/// The default codec: JSON, so that `cairn show` can print payloads. Keys are sorted, so equal values give equal
/// bytes (input digests depend on it).
///
/// Integers, strings, booleans and doubles skip `JSONEncoder` (the bytes are the same JSON): they are most step
/// results, and the encoder's set-up dominates for values that small.
public struct JSONPayloadCodec: PayloadCodec {
    /// Creates the codec.
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        switch value {
        case let v as Int: return Array(String(v).utf8)
        case let v as Bool: return v ? Array("true".utf8) : Array("false".utf8)
        case let v as String where v.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C && $0 < 0x80 }):
            return [0x22] + Array(v.utf8) + [0x22]
        default:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Array(try encoder.encode(value))
        }
    }

    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        if T.self == Int.self, let text = String(validating: bytes, as: UTF8.self), let v = Int(text) {
            return v as! T
        }
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    }
}

/// A 64-bit FNV-1a digest of encoded bytes: what strict mode compares for a step's or child's input.
public func payloadDigest(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01B3
    }
    return h
}
