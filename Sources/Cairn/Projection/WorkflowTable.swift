/// The projection's workflows by ID: a hash table that finds a workflow from the ID's bytes in an envelope, without
/// making a `String` of them, and otherwise reads like a `[String: Workflow]`.
///
/// Why not a dictionary: rebuilding the projection looks a workflow up for every event. A `[String: Workflow]`
/// needs a string made per lookup, compares keys by following each probed string to its storage, and rehashes every
/// key when it grows — together more than half of a rebuild. Here the workflows lie densely in fixed-size chunks
/// (insertion order; a removal moves the last one into the gap; a new chunk never moves the others, where one
/// growing array would copy hundreds of megabytes on the way), each with its ID's hash kept beside it, and the
/// open-addressed slots hold 32 bits of that hash and the workflow's index, so a probe compares an ID only when
/// those bits match, and growing never rehashes an ID.
///
/// IDs are hashed over their UTF-8 bytes (the same for a `String` and for envelope bytes) with a multiply-mix hash
/// seeded at random per table, so that IDs chosen from outside cannot be lined up on one probe sequence in advance
/// (what `Hasher`'s per-process seed does for dictionaries; `Hasher` itself cost a tenth of a rebuild). The key of
/// each entry is its `summary.id`; it must not change.
///
/// Each chunk also keeps the earliest and latest `summary.startedAt` of the workflows put in it (``startBounds``), so
/// that a newest-first listing can skip chunks and stop early (``WorkflowEngine/list``) instead of visiting every
/// workflow. A workflow's start time must not change once it is inserted either (the engine sets it only then).
struct WorkflowTable: Sequence {
    private struct Slot {
        /// The high 32 bits of the ID's hash.
        var tag: UInt32
        /// The workflow's index in ``values`` plus one; 0 for an empty slot.
        var index: UInt32
    }

    /// The workflows, ``chunkSize`` to a chunk, in the order they were inserted (until a removal moves one).
    private var chunks: [[Projection.Workflow]] = []
    /// The hash of each workflow's ID, by index.
    private var hashes: [UInt64] = []
    /// For each chunk, bounds of its workflows' start times: every one lies within (a removal, which moves the last
    /// workflow into a gap, may leave them wider than needed, never narrower).
    private(set) var startBounds: [ClosedRange<Int64>] = []
    private var slots: [Slot]
    private var mask: Int
    private let seed: UInt64

    private static let chunkShift = 12
    private static let chunkSize = 1 << chunkShift

    init() {
        slots = Array(repeating: Slot(tag: 0, index: 0), count: 16)
        mask = 15
        var random = SystemRandomNumberGenerator()
        seed = random.next()
    }

    var count: Int { hashes.count }
    var isEmpty: Bool { hashes.isEmpty }
    var indices: Range<Int> { hashes.indices }
    /// Every workflow, in index order.
    var values: FlattenSequence<[[Projection.Workflow]]> { chunks.joined() }
    /// Every ID, in index order.
    var keys: [String] { values.map(\.summary.id) }

    /// The workflow at `index` (`0 ..< count`), mutable in place.
    subscript(at index: Int) -> Projection.Workflow {
        _read { yield chunks[index >> Self.chunkShift][index & (Self.chunkSize - 1)] }
        _modify { yield &chunks[index >> Self.chunkShift][index & (Self.chunkSize - 1)] }
    }

    /// The workflow with ID `id`; assigning nil removes it, assigning a workflow inserts or replaces it.
    subscript(id: String) -> Projection.Workflow? {
        get { index(forKey: id).map { self[at: $0] } }
        set {
            let hash = self.hash(id)
            if let newValue {
                precondition(newValue.summary.id == id, "a workflow is stored under its own ID")
                if let index = find(hash, id) { self[at: index] = newValue } else { insert(newValue, hash: hash) }
            } else if let index = find(hash, id) {
                remove(at: index)
            }
        }
    }

    /// The hash of the ID of the workflow at `index` (``hash(_:)-(UnsafeRawBufferPointer)`` of its bytes).
    func hash(at index: Int) -> UInt64 { hashes[index] }

    /// The index of workflow `id`.
    func index(forKey id: String) -> Int? { find(hash(id), id) }

    /// The index of the workflow whose ID is `bytes` (UTF-8), and the ID's hash.
    func index(ofID bytes: UnsafeRawBufferPointer) -> (index: Int?, hash: UInt64) {
        let hash = self.hash(bytes)
        return (find(hash, bytes), hash)
    }

    /// Adds a workflow whose ID is not in the table yet; `hash` is its ID's (from ``index(ofID:)``).
    mutating func insert(_ workflow: Projection.Workflow, hash: UInt64) {
        precondition(count < Int(UInt32.max), "more workflows than a table indexes")
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let started = workflow.summary.startedAt
        if count & (Self.chunkSize - 1) == 0 {
            chunks.append([])
            chunks[chunks.count - 1].reserveCapacity(Self.chunkSize)
            startBounds.append(started...started)
        } else {
            Self.widen(&startBounds[startBounds.count - 1], to: started)
        }
        chunks[chunks.count - 1].append(workflow)
        hashes.append(hash)
        place(hash, index: count - 1)
    }

    /// The indices of chunk `chunk` (`0 ..< startBounds.count`).
    func indices(ofChunk chunk: Int) -> Range<Int> {
        (chunk << Self.chunkShift) ..< Swift.min(count, (chunk + 1) << Self.chunkShift)
    }

    private static func widen(_ bounds: inout ClosedRange<Int64>, to time: Int64) {
        if time < bounds.lowerBound { bounds = time...bounds.upperBound }
        if time > bounds.upperBound { bounds = bounds.lowerBound...time }
    }

    func makeIterator() -> Iterator { Iterator(base: values.makeIterator()) }

    struct Iterator: IteratorProtocol {
        var base: FlattenSequence<[[Projection.Workflow]]>.Iterator
        mutating func next() -> (key: String, value: Projection.Workflow)? {
            base.next().map { (key: $0.summary.id, value: $0) }
        }
    }

    // MARK: Hashing and probing

    /// A hash of `bytes` in the manner of wyhash: 16 bytes at a time folded in by a 64 × 64 → 128-bit multiply.
    func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        @inline(__always) func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let (high, low) = a.multipliedFullWidth(by: b)
            return high ^ low
        }
        let p0: UInt64 = 0xA076_1D64_78BD_642F, p1: UInt64 = 0xE703_7ED1_A0B4_28DB, p2: UInt64 = 0x8EBC_6AF0_9C88_C6E3
        let n = bytes.count
        var h = seed ^ mix(seed ^ p0, UInt64(n) ^ p1)
        guard let base = bytes.baseAddress else { return mix(h ^ p1, p2) }
        var i = 0
        while i + 16 <= n {
            let a = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let b = base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
            h = mix(a ^ p1, b ^ h)
            i += 16
        }
        var a: UInt64 = 0, b: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            let byte = UInt64(base.load(fromByteOffset: i, as: UInt8.self))
            if shift < 64 { a |= byte << shift } else { b |= byte << (shift - 64) }
            shift += 8
            i += 1
        }
        h = mix(a ^ p1, b ^ h)
        return mix(h ^ p2, UInt64(n) ^ p0)
    }

    func hash(_ id: String) -> UInt64 {
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
                if slot.tag == tag, matches(self[at: index].summary.id) { return index }
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
        let last = count - 1
        let lastChunk = chunks.count - 1
        if index != last {
            let moved = slot(of: last)
            self[at: index] = chunks[lastChunk].removeLast()
            Self.widen(&startBounds[index >> Self.chunkShift], to: self[at: index].summary.startedAt)
            hashes[index] = hashes[last]
            slots[moved].index = UInt32(index + 1)
        } else {
            chunks[lastChunk].removeLast()
        }
        if chunks[lastChunk].isEmpty {
            chunks.removeLast()
            startBounds.removeLast()
        }
        hashes.removeLast()
    }
}
