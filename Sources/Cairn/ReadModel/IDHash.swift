import CairnLog

/// A 128-bit hash of a workflow ID (see ``EnvelopePeek/hash(_:in:)``).
package struct IDHash: Hashable, Sendable {
    package var a: UInt64
    package var b: UInt64

    package init(a: UInt64, b: UInt64) {
        self.a = a
        self.b = b
    }

    // MARK: Open-addressing slots (``IDHashSet``, ``IDHashMap``)

    /// What an empty slot holds.
    static let empty = IDHash(a: 0, b: 0)
    /// Whether a slot holding this is empty.
    var isEmpty: Bool { a == 0 && b == 0 }
    /// The value a slot stores for this hash: never ``empty``.
    var slotKey: IDHash { isEmpty ? IDHash(a: 1, b: 0) : self }
    /// Slots for a table with room for about `capacity` hashes before it grows: a power of two, half full at most.
    static func slotCount(minimumCapacity capacity: Int) -> Int {
        var size = 1024
        while size < capacity * 2 { size <<= 1 }
        return size
    }

    /// The hash of a workflow ID given as a string (the same as of its bytes in a record).
    package init(_ id: String) {
        var id = id
        self = id.withUTF8 { EnvelopePeek.hash(0..<$0.count, in: UnsafeRawBufferPointer($0)) }
    }

    @inline(__always) package mutating func mix(_ w: UInt64) {
        a = (a ^ w) &* 0xFF51_AFD7_ED55_8CCD
        a ^= a >> 32
        b = (b &+ w) &* 0xC4CE_B9FE_1A85_EC53
        b ^= b >> 29
    }
}

/// A set of ``IDHash`` values with open addressing: the hash is already uniform, so it indexes the table
/// directly instead of going through `Hasher` (which cost more than the rest of `cairn verify`'s per-event work).
package struct IDHashSet: Sendable {
    private var slots: [IDHash]
    private var mask: Int
    /// How many hashes the set holds.
    package private(set) var count = 0

    /// A set with room for about `capacity` hashes before it grows.
    package init(minimumCapacity capacity: Int = 1024) {
        let size = IDHash.slotCount(minimumCapacity: capacity)
        slots = Array(repeating: .empty, count: size)
        mask = size - 1
    }

    /// Inserts `hash`; false when it was there already.
    @discardableResult
    package mutating func insert(_ hash: IDHash) -> Bool {
        if count * 2 >= slots.count { grow() }
        let h = hash.slotKey
        var i = Int(truncatingIfNeeded: h.a) & mask
        while true {
            let s = slots[i]
            if s.isEmpty {
                slots[i] = h
                count += 1
                return true
            }
            if s == h { return false }
            i = (i + 1) & mask
        }
    }

    /// Whether the set holds `hash`.
    package func contains(_ hash: IDHash) -> Bool {
        let h = hash.slotKey
        var i = Int(truncatingIfNeeded: h.a) & mask
        while true {
            let s = slots[i]
            if s == h { return true }
            if s.isEmpty { return false }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: .empty, count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for s in old where !s.isEmpty { insert(s) }
    }
}

/// A map from ``IDHash`` to an index (into an array of entries), with open addressing like ``IDHashSet``. Each
/// slot holds the hash and the index together, so a lookup touches one cache line.
package struct IDHashMap: Sendable {
    private struct Slot: Sendable {
        var hash: IDHash
        var index: Int
    }

    private var slots: [Slot]
    private var mask: Int
    /// How many keys the map holds.
    package private(set) var count = 0

    /// A map with room for about `capacity` keys before it grows.
    package init(minimumCapacity capacity: Int = 1024) {
        let size = IDHash.slotCount(minimumCapacity: capacity)
        slots = Array(repeating: Slot(hash: .empty, index: 0), count: size)
        mask = size - 1
    }

    /// The index stored for `hash`.
    package subscript(_ hash: IDHash) -> Int? {
        let h = hash.slotKey
        var i = Int(truncatingIfNeeded: h.a) & mask
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let s = slots[i]
                if s.hash == h { return s.index }
                if s.hash.isEmpty { return nil }
                i = (i + 1) & mask
            }
        }
    }

    /// Stores `index` for `hash` unless it has one; returns the index it has.
    @discardableResult
    package mutating func insert(_ hash: IDHash, index: Int) -> Int {
        if count * 2 >= slots.count { grow() }
        let h = hash.slotKey
        var i = Int(truncatingIfNeeded: h.a) & mask
        while true {
            let s = slots[i]
            if s.hash.isEmpty {
                slots[i] = Slot(hash: h, index: index)
                count += 1
                return index
            }
            if s.hash == h { return s.index }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(hash: .empty, index: 0), count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for s in old where !s.hash.isEmpty { insert(s.hash, index: s.index) }
    }
}
