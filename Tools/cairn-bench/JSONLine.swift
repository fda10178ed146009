/// One result: a flat JSON object whose keys keep the order they were set in, printed on one line.
///
/// The schema is the peer benchmarks' (`shared/bench/common.py`): `peer`, `backend`, `workload`, `n`, `seconds`,
/// `per_sec` (= n / seconds), `p50_ms`, `p99_ms` (null where no per-item latency is meaningful), then extra keys.
struct JSONLine: CustomStringConvertible {
    /// A JSON scalar.
    enum Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
        ExpressibleByNilLiteral
    {
        case string(String)
        case int(Int)
        /// A number rounded to `places` decimals (how common.py rounds its floats).
        case number(Double, places: Int)
        case null

        init(stringLiteral value: String) { self = .string(value) }
        init(integerLiteral value: Int) { self = .int(value) }
        init(floatLiteral value: Double) { self = .number(value, places: 4) }
        init(nilLiteral: ()) { self = .null }

        /// A measured number, with the 4 decimals common.py keeps for extra keys.
        static func number(_ value: Double) -> Value { .number(value, places: 4) }

        var json: String {
            switch self {
            case .string(let s): return Self.quoted(s)
            case .int(let i): return String(i)
            case .null: return "null"
            case .number(let x, let places):
                guard x.isFinite else { return "null" }
                var scale = 1.0
                for _ in 0..<places { scale *= 10 }
                return String((x * scale).rounded() / scale)
            }
        }

        private static func quoted(_ s: String) -> String {
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case _ where scalar.value < 0x10: out += "\\u000" + String(scalar.value, radix: 16)
                case _ where scalar.value < 0x20: out += "\\u00" + String(scalar.value, radix: 16)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
    }

    private var fields: [(key: String, value: Value)] = []

    /// The value for `key`; setting a key that exists replaces its value in place.
    subscript(key: String) -> Value? {
        get { fields.first { $0.key == key }?.value }
        set {
            let index = fields.firstIndex { $0.key == key }
            switch (index, newValue) {
            case (let i?, let v?): fields[i].value = v
            case (let i?, nil): fields.remove(at: i)
            case (nil, let v?): fields.append((key, v))
            case (nil, nil): break
            }
        }
    }

    var description: String {
        "{" + fields.map { "\(Value.string($0.key).json): \($0.value.json)" }.joined(separator: ", ") + "}"
    }
}

extension JSONLine {
    /// The common fields, as common.py's `emit` writes them. `latencies` are per-item times in seconds, or nil.
    init(peer: String, backend: String, workload: String, n: Int, seconds: Double, latencies: [Double]?) {
        self["peer"] = .string(peer)
        self["backend"] = .string(backend)
        self["workload"] = .string(workload)
        self["n"] = .int(n)
        self["seconds"] = .number(seconds, places: 4)
        self["per_sec"] = seconds > 0 ? .number(Double(n) / seconds, places: 2) : .null
        let sorted = latencies?.sorted() ?? []
        // Latencies keep 4 decimals (0.1 µs), not common.py's 3: single syncs here take about a tenth of a ms.
        self["p50_ms"] = sorted.isEmpty ? .null : .number(Percentile.nearestRank(50, of: sorted) * 1e3, places: 4)
        self["p99_ms"] = sorted.isEmpty ? .null : .number(Percentile.nearestRank(99, of: sorted) * 1e3, places: 4)
    }
}

/// Nearest-rank percentiles, exactly as common.py computes them.
enum Percentile {
    /// The `q`-th percentile (0...100) of `sorted`, which must be non-empty and sorted ascending.
    static func nearestRank(_ q: Double, of sorted: [Double]) -> Double {
        let rank = Int((q / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[max(0, min(sorted.count - 1, rank))]
    }
}
