import Foundation

/// Checks that bytes are exactly one JSON value (RFC 8259) in UTF-8, so a payload can be embedded in JSON output
/// as it is.
enum JSONCheck {
    /// Whether `bytes` are one JSON value, scalars included, parsed by `JSONSerialization` (`isValidJSONObject`
    /// only checks an object graph, not bytes).
    ///
    /// Checked first, because the bytes are embedded in UTF-8 output as they are: they must be UTF-8 without a
    /// byte-order mark, and hold no control character but JSON's whitespace (never valid in JSON text, and what
    /// would let Foundation read them as UTF-16 or UTF-32, which it detects).
    static func isJSON(_ bytes: [UInt8]) -> Bool {
        guard !bytes.starts(with: [0xEF, 0xBB, 0xBF]) else { return false }
        for b in bytes where b < 0x20 && b != 0x20 && b != 0x0A && b != 0x0D && b != 0x09 { return false }
        guard String(validating: bytes, as: UTF8.self) != nil else { return false }
        return (try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) != nil
    }
}
