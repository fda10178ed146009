/// Where an operation stands in its workflow's history.
///
/// The main body's operations are `[0]`, `[1]`, `[2]`, … A parallel branch started at position `p` of a scope
/// numbers its own operations under it: branch operations of a branch started at `[3]` are `[3, 0]`, `[3, 1]`, …
/// So positions depend only on the order of operations in the code, never on which branch finishes first.
public struct Position: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The path of indices from the workflow's main scope down.
    public var path: [UInt32]

    /// A position from its path.
    public init(_ path: [UInt32]) { self.path = path }

    /// The `index`-th operation of the scope whose prefix is `self`.
    public func child(_ index: UInt32) -> Position { Position(path + [index]) }

    public static func < (lhs: Position, rhs: Position) -> Bool { lhs.path.lexicographicallyPrecedes(rhs.path) }

    /// Dotted form: `3`, `3.1.0`.
    public var description: String { path.map(String.init).joined(separator: ".") }

    /// Parses the dotted form.
    public init?(_ text: String) {
        var path: [UInt32] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard let n = UInt32(part) else { return nil }
            path.append(n)
        }
        guard !path.isEmpty else { return nil }
        self.path = path
    }
}

/// The file and line of a workflow operation in the code (`#fileID`, `#line`), recorded with each event so a
/// determinism report can point at both the recorded and the attempted call.
public struct CallSite: Hashable, Sendable, CustomStringConvertible {
    /// The `#fileID` (module/file.swift).
    public var file: String
    /// The `#line`.
    public var line: Int

    /// A call site.
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// `file:line`.
    public var description: String { "\(file):\(line)" }
}
