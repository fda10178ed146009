/// Where an operation stands in its workflow's history.
///
/// The main body's operations are `[0]`, `[1]`, `[2]`, … A parallel branch started at position `p` of a scope
/// numbers its own operations under it: branch operations of a branch started at `[3]` are `[3, 0]`, `[3, 1]`, …
/// So positions depend only on the order of operations in the code, never on which branch finishes first.
///
/// Most positions are one level deep (the main body's operations), and those are stored without an array: every
/// operation makes a position and the history looks them up by hash.
public struct Position: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// One index inline (a top-level operation), or any other depth as an array. Never `.path` with one element,
    /// so equal positions have equal storage (synthesized equality and hashing rely on it).
    private enum Storage: Hashable, Sendable {
        case top(UInt32)
        case path([UInt32])
    }

    private var storage: Storage

    /// The path of indices from the workflow's main scope down.
    public var path: [UInt32] {
        get {
            switch storage {
            case .top(let index): [index]
            case .path(let path): path
            }
        }
        set { self = Position(newValue) }
    }

    /// A position from its path.
    public init(_ path: [UInt32]) {
        storage = path.count == 1 ? .top(path[0]) : .path(path)
    }

    /// The `index`-th operation of the scope whose position is `prefix` (the main body's when empty).
    init(prefix: [UInt32], index: UInt32) {
        storage = prefix.isEmpty ? .top(index) : .path(prefix + [index])
    }

    /// How many levels deep the position is (1 for the main body's operations).
    var depth: Int {
        switch storage {
        case .top: 1
        case .path(let path): path.count
        }
    }

    /// The top-level index, if the position has one.
    var first: UInt32? {
        switch storage {
        case .top(let index): index
        case .path(let path): path.first
        }
    }

    /// Calls `body` with each index, from the top down.
    func forEachIndex(_ body: (UInt32) -> Void) {
        switch storage {
        case .top(let index): body(index)
        case .path(let path): path.forEach(body)
        }
    }

    /// The `index`-th operation of the scope whose prefix is `self`.
    public func child(_ index: UInt32) -> Position { Position(path + [index]) }

    public static func < (lhs: Position, rhs: Position) -> Bool {
        if case .top(let l) = lhs.storage, case .top(let r) = rhs.storage { return l < r }
        return lhs.path.lexicographicallyPrecedes(rhs.path)
    }

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
        self.init(path)
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
