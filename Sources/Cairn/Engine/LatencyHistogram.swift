import Synchronization

/// Latencies the engine keeps for itself, so that its own pages (the HTTP module's overview) can show them without
/// a metrics backend: a histogram in quarter-octave buckets (each about 19 % wide), counted since the engine opened.
/// Recording is one uncontended lock and an increment; nothing is allocated after creation.
final class LatencyHistogram: Sendable {
    /// Bucket `i` holds latencies of about 2^(i/4) nanoseconds; the last one everything longer (about 18 minutes).
    private static let buckets = 160
    private let counts = Mutex<[UInt64]>(Array(repeating: 0, count: LatencyHistogram.buckets))

    func record(nanoseconds: Int64) {
        let index = Self.bucket(of: nanoseconds)
        counts.withLock { $0[index] &+= 1 }
    }

    /// The bucket of `nanoseconds`: 4 × log2, from the position of the leading bit and the two bits after it.
    static func bucket(of nanoseconds: Int64) -> Int {
        guard nanoseconds > 1 else { return 0 }
        let value = UInt64(nanoseconds)
        let octave = 63 - value.leadingZeroBitCount
        let quarter = octave >= 2 ? Int((value >> (octave - 2)) & 3) : Int((value << (2 - octave)) & 3)
        return min(buckets - 1, octave * 4 + quarter)
    }

    /// The smallest latency bucket `index` holds, in nanoseconds.
    static func lowerBound(of index: Int) -> Double {
        let octave = index / 4
        return Double(1 << UInt64(octave)) * (1 + Double(index % 4) / 4)
    }

    /// The count and percentiles so far.
    var summary: LatencySummary {
        let counts = self.counts.withLock { $0 }
        let total = counts.reduce(0, +)
        func percentile(_ p: Double) -> Duration? {
            guard total > 0 else { return nil }
            let rank = UInt64((Double(total) * p).rounded(.up))
            var seen: UInt64 = 0
            for (index, count) in counts.enumerated() {
                seen += count
                // The bucket's middle: its lower bound and the next one's, averaged.
                if seen >= rank {
                    let middle = (Self.lowerBound(of: index) + Self.lowerBound(of: index + 1)) / 2
                    return .nanoseconds(Int64(middle))
                }
            }
            return nil
        }
        return LatencySummary(count: Int(total), p50: percentile(0.5), p90: percentile(0.9), p99: percentile(0.99))
    }
}

/// How long something took, over every time it happened since the engine opened: the count and the 50th, 90th and
/// 99th percentiles (each to within about 10 %; nil before the first one).
public struct LatencySummary: Sendable, Hashable {
    /// How many were recorded.
    public var count: Int
    /// The median.
    public var p50: Duration?
    /// The 90th percentile.
    public var p90: Duration?
    /// The 99th percentile.
    public var p99: Duration?

    /// A summary of these figures (the engine makes these; tests may too).
    public init(count: Int, p50: Duration?, p90: Duration?, p99: Duration?) {
        self.count = count
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
    }
}
