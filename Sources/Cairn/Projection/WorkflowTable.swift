/// The projection's workflows by ID: a hash table that finds a workflow from the ID's bytes in an envelope, without
/// making a `String` of them, and otherwise reads like a `[String: Workflow]`.
///
/// Why not a dictionary: rebuilding the projection looks a workflow up for every event. A `[String: Workflow]`
/// needs a string made per lookup, compares keys by following each probed string to its storage, and rehashes every
/// key when it grows — together more than half of a rebuild. Here the workflows lie densely in ``values``
/// (insertion order; a removal moves the last one into the gap), each with its hash kept beside it, and the
/// open-addressed slots hold 32 bits of that hash and the workflow's index, so a probe compares an ID only when
/// those bits match, and growing never rehashes an ID.
///
/// IDs are hashed with the standard library's `Hasher` (seeded per process, so IDs chosen by an attacker cannot
/// be made to collide) over their UTF-8 bytes, the same for a `String` and for envelope bytes. The key of each
/// entry is its `summary.id`; it must not change.
struct WorkflowTable: Sequence {
    private struct Slot {
        /// The high 32 bits of the ID's hash.
        var tag: UInt32
        /// The workflow's index in ``values`` plus one; 0 for an empty slot.
        var index: UInt32
    }

    /// The workflows, in the order they were inserted (until a removal moves one).
    private(set) var values: [Projection.Workflow] = []
    /// The hash of each workflow's ID, by index.
    private var hashes: [UInt64] = []
    private var slots: [Slot]
    private var mask: Int

    init() {
        slots = Array(repeating: Slot(tag: 0, index: 0), count: 16)
        mask = 15
    }

    var count: Int { values.count }
    var isEmpty: Bool { values.isEmpty }
    var indices: Range<Int> { values.indices }
    /// Every ID, in the order of ``values``.
    var keys: [String] { values.map(\.summary.id) }

    /// The workflow at `index` of ``values``, mutable in place.
    subscript(at index: Int) -> Projection.Workflow {
        get { values[index] }
        _modify { yield &values[index] }
    }

    /// The workflow with ID `id`; assigning nil removes it, assigning a workflow inserts or replaces it.
    subscript(id: String) -> Projection.Workflow? {
        get { index(forKey: id).map { values[$0] } }
        set {
            let hash = Self.hash(id)
            if let newValue {
                precondition(newValue.summary.id == id, "a workflow is stored under its own ID")
                if let index = find(hash, id) { values[index] = newValue } else { insert(newValue, hash: hash) }
            } else if let index = find(hash, id) {
                remove(at: index)
            }
        }
    }

    /// The index in ``values`` of workflow `id`.
    func index(forKey id: String) -> Int? { find(Self.hash(id), id) }

    /// The index in ``values`` of the workflow whose ID is `bytes` (UTF-8), and the ID's hash.
    func index(ofID bytes: UnsafeRawBufferPointer) -> (index: Int?, hash: UInt64) {
        let hash = Self.hash(bytes)
        return (find(hash, bytes), hash)
    }

    /// Adds a workflow whose ID is not in the table yet; `hash` is its ID's (from ``index(ofID:)``).
    mutating func insert(_ workflow: Projection.Workflow, hash: UInt64) {
        precondition(values.count < Int(UInt32.max), "more workflows than a table indexes")
        if (values.count + 1) * 4 > slots.count * 3 { grow() }
        values.append(workflow)
        hashes.append(hash)
        place(hash, index: values.count - 1)
    }

    mutating func reserveCapacity(_ n: Int) {
        values.reserveCapacity(n)
        hashes.reserveCapacity(n)
        var size = slots.count
        while n * 4 > size * 3 { size *= 2 }
        if size > slots.count { rebuildSlots(size: size) }
    }

    func makeIterator() -> Iterator { Iterator(base: values.makeIterator()) }

    struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Projection.Workflow]>
        mutating func next() -> (key: String, value: Projection.Workflow)? {
            base.next().map { (key: $0.summary.id, value: $0) }
        }
    }

    // MARK: Hashing and probing

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }

    static func hash(_ id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    private static func tag(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash >> 32) }

    private func find(_ hash: UInt64, _ bytes: UnsafeRawBufferPointer) -> Int? {
        probe(hash) { EnvelopePeek.equals(0..<bytes.count, in: bytes, $0) }
    }

    private func find(_ hash: UInt64, _ id: String) -> Int? {
        probe(hash) { $0 == id }
    }

    /// The index of the workflow with this hash whose ID `matches`, following the probe sequence to an empty slot.
    @inline(__always)
    private func probe(_ hash: UInt64, _ matches: (String) -> Bool) -> Int? {
        let tag = Self.tag(hash)
        var i = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let slot = slots[i]
                if slot.index == 0 { return nil }
                let index = Int(slot.index) - 1
                if slot.tag == tag, matches(values[index].summary.id) { return index }
                i = (i + 1) & mask
            }
        }
    }

    /// Puts `index` in the first free slot of `hash`'s probe sequence.
    private mutating func place(_ hash: UInt64, index: Int) {
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].index != 0 { i = (i + 1) & mask }
        slots[i] = Slot(tag: Self.tag(hash), index: UInt32(index + 1))
    }

    /// The slot that holds `index`.
    private func slot(of index: Int) -> Int {
        var i = Int(truncatingIfNeeded: hashes[index]) & mask
        while slots[i].index != UInt32(index + 1) { i = (i + 1) & mask }
        return i
    }

    private mutating func grow() { rebuildSlots(size: slots.count * 2) }

    private mutating func rebuildSlots(size: Int) {
        slots = Array(repeating: Slot(tag: 0, index: 0), count: size)
        mask = size - 1
        for (index, hash) in hashes.enumerated() { place(hash, index: index) }
    }

    /// Removes the workflow at `index`: the last one moves into its place.
    private mutating func remove(at index: Int) {
        // Empty the slot, then shift back the entries after it that probing would no longer reach (linear
        // probing's deletion without tombstones).
        var hole = slot(of: index)
        slots[hole] = Slot(tag: 0, index: 0)
        var i = (hole + 1) & mask
        while slots[i].index != 0 {
            let home = Int(truncatingIfNeeded: hashes[Int(slots[i].index) - 1]) & mask
            // Move the entry at i into the hole unless its home lies cyclically in (hole, i].
            let reachable = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
            if !reachable {
                slots[hole] = slots[i]
                slots[i] = Slot(tag: 0, index: 0)
                hole = i
            }
            i = (i + 1) & mask
        }
        let last = values.count - 1
        if index != last {
            let moved = slot(of: last)
            values.swapAt(index, last)
            hashes.swapAt(index, last)
            slots[moved].index = UInt32(index + 1)
        }
        values.removeLast()
        hashes.removeLast()
    }
}
