#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
import Synchronization

/// How the API writes and reads its JSON: keys sorted, dates as ISO 8601 UTC with milliseconds
/// (`2026-12-07T21:05:09.123Z`), slashes unescaped. The server and clients use these, so both agree.
public enum APIJSON {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
    private static let wholeSeconds = Date.ISO8601FormatStyle(timeZone: .gmt)
    private static let lastSecond = Mutex<(second: Int64, text: String)>((.min, ""))

    /// A date as the API writes it, rounded to the millisecond. (The format style truncates a fraction that a
    /// `Double` holds as .122999…, so a date read back and written again would lose a millisecond each time.)
    public static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (whole, ms) = fraction < 0 ? (seconds - 1, fraction + 1000) : (seconds, fraction)
        // Events come many to a second: the second's text is made once (a format style is slow).
        let prefix = lastSecond.withLock { last -> String in
            if last.second == whole { return last.text }
            var text = wholeSeconds.format(Date(timeIntervalSince1970: Double(whole)))
            text.removeLast()  // "Z"
            last = (whole, text)
            return text
        }
        let digits = String(ms)
        return prefix + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// A date the API wrote (or one without fractional seconds); nil when `text` is not one.
    public static func parse(_ text: String) -> Date? {
        (try? style.parse(text)) ?? (try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(text))
    }

    /// An encoder that writes the API's JSON.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(format(date))
        }
        return encoder
    }

    /// A decoder that reads the API's JSON.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 date")
            }
            return date
        }
        return decoder
    }
}

extension Duration {
    /// The duration in milliseconds, as the API writes durations (fields named `…Ms`).
    public var inMilliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
