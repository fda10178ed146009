/// A log sequence number: the position of a record in the log.
///
/// LSNs start at 1 and strictly increase in the order records are written. Compaction may leave gaps (the records it
/// drops), but never reorders or renumbers: a record keeps its LSN for the life of the log.
public struct LSN: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The number itself.
    public var rawValue: UInt64

    /// Wraps a raw sequence number.
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// Wraps a raw sequence number.
    @inlinable public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The first LSN a log ever assigns.
    public static let first = LSN(1)

    /// The LSN after this one.
    @inlinable public var next: LSN { LSN(rawValue &+ 1) }

    @inlinable public static func < (lhs: LSN, rhs: LSN) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}
