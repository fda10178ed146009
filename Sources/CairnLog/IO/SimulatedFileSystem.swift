import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An in-memory disk with a page cache, for power-loss and failing-I/O tests (SQLite's crash VFS, LazyFS and
/// CrashMonkey do the same for their systems).
///
/// Every file has *current* content (what reads see: the page cache) and *durable* content (what survives a power
/// loss). A write changes the current content; `fsync`/`fdatasync` of the file copies the bytes written since the
/// last sync, and the size, to the durable content. Every directory likewise has current and durable entries:
/// creating, renaming and removing change the current ones; an `fsync` of the directory makes them durable. A
/// failed sync marks the written pages clean without making them durable, as Linux does ("fsyncgate"): a later sync
/// succeeds without them, while reads in the same boot still see them.
///
/// Every change is recorded as an ``Event``. ``crash(after:tear:)`` builds the disk a power loss after any prefix of
/// the trace would leave: durable content and entries only, plus — optionally — some 512-byte sectors of the last
/// unsynced write (a torn write). ``failCall(_:number:with:)`` makes the Nth call of a kind fail, return short or be
/// interrupted. Everything is deterministic given the trace and the tear's seed.
///
/// It lives in CairnLog with `package` access, beside the seam it implements, so that both the log's and the
/// engine's tests (and tools) can run on it; nothing public refers to it.
package final class SimulatedFileSystem: FileSystem {
    /// The kinds of calls a test can count and fail.
    package enum Call: String, Hashable, Sendable, CaseIterable {
        case open, read, write, syncData, sync, directorySync, truncate, status, rename, unlink, makeDirectory, list,
            lock
    }

    /// What an injected fault does instead of the call.
    package enum Injection: Hashable, Sendable {
        /// The call fails with this `errno` and does nothing — except a failed sync, which loses the unsynced
        /// writes as a kernel that marks the pages clean would.
        case fail(Int32)
        /// The call fails with `EINTR` and does nothing: it must be retried.
        case interrupt
        /// A read or write does only part of the work (half, at least one byte); other calls run normally.
        case short
    }

    /// What survives a power loss of the last unsynced write (see ``crash(after:tear:)``).
    package enum Tear: Hashable, Sendable {
        /// None of it.
        case none
        /// All of its sectors.
        case all
        /// A subset of its 512-byte sectors chosen by `seed`.
        case sectors(seed: UInt64)
    }

    /// One change of the disk's state, in the order they happened.
    package enum Event: Sendable {
        case create(directory: String, name: String, inode: Int)
        case makeDirectory(path: String)
        case write(inode: Int, offset: Int, bytes: [UInt8])
        case truncate(inode: Int, length: Int)
        case sync(inode: Int, failed: Bool)
        case directorySync(path: String, failed: Bool)
        case rename(fromDirectory: String, fromName: String, toDirectory: String, toName: String)
        case unlink(directory: String, name: String)
    }

    package static let sectorSize = 512

    // MARK: State

    enum Node: Hashable, Sendable {
        case file(Int)
        case directory
    }

    struct Inode: Sendable {
        var current: [UInt8] = []
        var durable: [UInt8] = []
        /// Byte ranges written since the last sync (the dirty pages).
        var dirty: [Range<Int>] = []
    }

    struct DirectoryState: Sendable {
        var current: [String: Node] = [:]
        var durable: [String: Node] = [:]
    }

    /// The whole disk: files by inode number, directories by path.
    struct World: Sendable {
        var inodes: [Inode] = []
        var directories: [String: DirectoryState] = ["/": DirectoryState()]
    }

    struct Handle {
        enum Target { case file(Int), directory(String) }
        var target: Target
        var writable: Bool
    }

    struct State: ~Copyable {
        var world: World
        var initial: World
        var events: [Event] = []
        var handles: [Int32: Handle] = [:]
        var nextHandle: Int32 = 3
        var locked: [Int: Int32] = [:]
        var calls: [Call: Int] = [:]
        var planned: [Call: (number: Int, injection: Injection)] = [:]
        var injected: [(call: Call, path: String, injection: Injection)] = []
    }

    private let state: Mutex<State>

    /// An empty disk: only the root directory, durable.
    package convenience init() { self.init(world: World()) }

    init(world: World) { state = Mutex(State(world: world, initial: world)) }

    // MARK: Test controls

    /// How many events the trace holds: the cut points of ``crash(after:tear:)`` are `0...traceLength`.
    package var traceLength: Int { state.withLock { $0.events.count } }

    /// The recorded events (for a test's diagnostics).
    package var trace: [Event] { state.withLock { $0.events } }

    /// How many calls of each kind were made so far.
    package var callCounts: [Call: Int] { state.withLock { $0.calls } }

    /// The faults injected so far.
    package var injectedFaults: [(call: Call, path: String, injection: Injection)] { state.withLock { $0.injected } }

    /// Makes the `number`th call of `kind` (counting from 1, from the start of this disk's life) do `injection`.
    package func failCall(_ kind: Call, number: Int, with injection: Injection) {
        state.withLock { $0.planned[kind] = (number, injection) }
    }

    /// The disk a power loss would leave after the first `cut` events of the trace: durable contents and entries
    /// only, with the last unsynced write before the cut torn as `tear` says. Nothing is open or locked on it.
    package func crash(after cut: Int, tear: Tear = .none) -> SimulatedFileSystem {
        let (initial, events) = state.withLock { ($0.initial, Array($0.events.prefix(cut))) }
        var world = initial
        for event in events { world.apply(event) }
        return SimulatedFileSystem(world: world.crashed(tearing: Self.lastUnsyncedWrite(in: events), tear))
    }

    /// The disk a *process* crash after the first `cut` events leaves: everything written is still in the page
    /// cache (current contents and entries as they were), nothing more became durable, nothing is open or locked.
    /// Its own trace starts there, so a later ``crash(after:tear:)`` of it models a power loss after the restart.
    package func restart(after cut: Int) -> SimulatedFileSystem {
        let (initial, events) = state.withLock { ($0.initial, Array($0.events.prefix(cut))) }
        var world = initial
        for event in events { world.apply(event) }
        return SimulatedFileSystem(world: world)
    }

    /// A power loss now.
    package func crash(tear: Tear = .none) -> SimulatedFileSystem { crash(after: traceLength, tear: tear) }

    /// Crashes at every cut point in `cuts` in order, replaying the trace once: `body` gets each cut and the disk it
    /// leaves.
    package func forEachCrash(
        at cuts: [Int], tear: (Int) -> Tear, _ body: (Int, SimulatedFileSystem) async throws -> Void
    ) async rethrows {
        let (initial, events) = state.withLock { ($0.initial, $0.events) }
        var world = initial
        var applied = 0
        for cut in cuts.sorted() {
            while applied < cut {
                world.apply(events[applied])
                applied += 1
            }
            let torn = Self.lastUnsyncedWrite(in: events[..<cut])
            try await body(cut, SimulatedFileSystem(world: world.crashed(tearing: torn, tear(cut))))
        }
    }

    /// Whether a tear at `cut` has a write to tear (else every ``Tear`` gives the same disk).
    package func hasUnsyncedWrite(before cut: Int) -> Bool {
        let events = state.withLock { Array($0.events.prefix(cut)) }
        return Self.lastUnsyncedWrite(in: events[...]) != nil
    }

    /// The last write not followed by a sync of its file, if any.
    static func lastUnsyncedWrite(in events: ArraySlice<Event>) -> (inode: Int, offset: Int, bytes: [UInt8])? {
        var synced: Set<Int> = []
        for event in events.reversed() {
            switch event {
            case .sync(let inode, _): synced.insert(inode)
            case .write(let inode, let offset, let bytes):
                if !synced.contains(inode) { return (inode, offset, bytes) }
            default: continue
            }
        }
        return nil
    }

    static func lastUnsyncedWrite(in events: [Event]) -> (inode: Int, offset: Int, bytes: [UInt8])? {
        lastUnsyncedWrite(in: events[...])
    }

    /// The current bytes of the file at `path` (what a read sees), or nil if there is none.
    package func contents(of path: String) -> [UInt8]? {
        state.withLock { s in
            guard case .file(let inode)? = s.world.lookup(path) else { return nil }
            return s.world.inodes[inode].current
        }
    }

    /// Replaces the current bytes of the file at `path` (durable at once): for tests that damage a file.
    package func overwrite(_ path: String, with bytes: [UInt8]) {
        state.withLock { s in
            guard case .file(let inode)? = s.world.lookup(path) else { return }
            s.world.inodes[inode].current = bytes
            s.world.inodes[inode].durable = bytes
            s.world.inodes[inode].dirty = []
        }
    }

    // MARK: Faults

    /// Counts a call and returns the fault planned for it, if any.
    private func intercept(_ call: Call, _ path: String, _ s: inout State) -> Injection? {
        let n = s.calls[call, default: 0] + 1
        s.calls[call] = n
        guard let plan = s.planned[call], plan.number == n else { return nil }
        s.planned[call] = nil
        s.injected.append((call, path, plan.injection))
        return plan.injection
    }

    private func record(_ event: Event, _ s: inout State) {
        s.world.apply(event)
        s.events.append(event)
    }

    private func path(of handle: Handle, _ s: borrowing State) -> String {
        switch handle.target {
        case .directory(let path): return path
        case .file(let inode): return s.world.path(ofInode: inode) ?? "inode \(inode)"
        }
    }

    // MARK: FileSystem

    package func open(_ path: String, flags: Int32, mode: UInt32) throws(Errno) -> Int32 {
        try state.withLock { s throws(Errno) -> Int32 in
            switch intercept(.open, path, &s) {
            case .fail(let code): throw Errno(code)
            case .interrupt: throw Errno(EINTR)
            case .short, nil: break
            }
            let access = flags & O_ACCMODE
            let writable = access == O_RDWR || access == O_WRONLY
            let (parent, name) = World.split(path)
            let target: Handle.Target
            switch s.world.lookup(path) {
            case .directory?:
                if writable { throw Errno(EISDIR) }
                target = .directory(World.normalize(path))
            case .file(let inode)?:
                if flags & O_CREAT != 0 && flags & O_EXCL != 0 { throw Errno(EEXIST) }
                if flags & O_DIRECTORY != 0 { throw Errno(ENOTDIR) }
                if flags & O_TRUNC != 0 && writable && !s.world.inodes[inode].current.isEmpty {
                    record(.truncate(inode: inode, length: 0), &s)
                }
                target = .file(inode)
            case nil:
                guard flags & O_CREAT != 0 else { throw Errno(ENOENT) }
                guard s.world.directories[parent] != nil else {
                    throw Errno(s.world.lookup(parent) == nil ? ENOENT : ENOTDIR)
                }
                let inode = s.world.inodes.count
                record(.create(directory: parent, name: name, inode: inode), &s)
                target = .file(inode)
            }
            let handle = s.nextHandle
            s.nextHandle += 1
            s.handles[handle] = Handle(target: target, writable: writable)
            return handle
        }
    }

    package func close(_ handle: Int32) {
        state.withLock { s in
            if case .file(let inode)? = s.handles[handle]?.target, s.locked[inode] == handle { s.locked[inode] = nil }
            s.handles[handle] = nil
        }
    }

    package func read(_ handle: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try state.withLock { s throws(Errno) -> Int in
            guard let h = s.handles[handle] else { throw Errno(EBADF) }
            guard case .file(let inode) = h.target else { throw Errno(EISDIR) }
            var count = buffer.count
            switch intercept(.read, path(of: h, s), &s) {
            case .fail(let code): throw Errno(code)
            case .interrupt: throw Errno(EINTR)
            case .short: count = max(1, count / 2)
            case nil: break
            }
            let content = s.world.inodes[inode].current
            let start = Int(offset)
            guard start < content.count, count > 0 else { return 0 }
            let n = min(count, content.count - start)
            content.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: n)
            }
            return n
        }
    }

    package func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try state.withLock { s throws(Errno) -> Int in
            guard let h = s.handles[handle] else { throw Errno(EBADF) }
            guard case .file(let inode) = h.target, h.writable else { throw Errno(EBADF) }
            var count = bytes.count
            switch intercept(.write, path(of: h, s), &s) {
            case .fail(let code): throw Errno(code)
            case .interrupt: throw Errno(EINTR)
            case .short: count = max(1, count / 2)
            case nil: break
            }
            guard count > 0 else { return 0 }
            record(.write(inode: inode, offset: Int(offset), bytes: Array(UnsafeRawBufferPointer(rebasing: bytes[..<count]))), &s)
            return count
        }
    }

    package func syncData(_ handle: Int32) throws(Errno) { try sync(handle, as: .syncData) }

    package func sync(_ handle: Int32) throws(Errno) { try sync(handle, as: .sync) }

    private func sync(_ handle: Int32, as call: Call) throws(Errno) {
        try state.withLock { s throws(Errno) in
            guard let h = s.handles[handle] else { throw Errno(EBADF) }
            switch h.target {
            case .file(let inode):
                switch intercept(call, path(of: h, s), &s) {
                case .fail(let code):
                    record(.sync(inode: inode, failed: true), &s)
                    throw Errno(code)
                case .interrupt: throw Errno(EINTR)
                case .short, nil: record(.sync(inode: inode, failed: false), &s)
                }
            case .directory(let path):
                switch intercept(.directorySync, path, &s) {
                case .fail(let code):
                    record(.directorySync(path: path, failed: true), &s)
                    throw Errno(code)
                case .interrupt: throw Errno(EINTR)
                case .short, nil: record(.directorySync(path: path, failed: false), &s)
                }
            }
        }
    }

    package func truncate(_ handle: Int32, to length: Int64) throws(Errno) {
        try state.withLock { s throws(Errno) in
            guard let h = s.handles[handle] else { throw Errno(EBADF) }
            guard case .file(let inode) = h.target, h.writable else { throw Errno(EINVAL) }
            switch intercept(.truncate, path(of: h, s), &s) {
            case .fail(let code): throw Errno(code)
            case .interrupt: throw Errno(EINTR)
            case .short, nil: break
            }
            record(.truncate(inode: inode, length: Int(length)), &s)
        }
    }

    package func status(_ handle: Int32) throws(Errno) -> FileStatus {
        try state.withLock { s throws(Errno) -> FileStatus in
            guard let h = s.handles[handle] else { throw Errno(EBADF) }
            switch intercept(.status, path(of: h, s), &s) {
            case .fail(let code): throw Errno(code)
            case .interrupt: throw Errno(EINTR)
            case .short, nil: break
            }
            switch h.target {
            case .file(let inode): return s.world.status(of: .file(inode))
            case .directory: return s.world.status(of: .directory)
            }
        }
    }

    package func status(atPath path: String) throws(Errno) -> FileStatus {
        try state.withLock { s throws(Errno) -> FileStatus in
            switch intercept(.status, path, &s) {
            case .fail(let code): throw Errno(code)
            case .interrupt: throw Errno(EINTR)
            case .short, nil: break
            }
            guard let node = s.world.lookup(path) else { throw Errno(ENOENT) }
            return s.world.status(of: node)
        }
    }

    package func linkStatus(atPath path: String) throws(Errno) -> FileStatus {
        // The simulated disk has no links: lstat is stat.
        try status(atPath: path)
    }

    package func clearNonBlocking(_ handle: Int32) {}

    package func rename(_ from: String, to: String) throws(Errno) {
        try state.withLock { s throws(Errno) in
            switch intercept(.rename, from, &s) {
            case .fail(let code): throw Errno(code)
            case .interrupt: throw Errno(EINTR)
            case .short, nil: break
            }
            guard case .file? = s.world.lookup(from) else { throw Errno(s.world.lookup(from) == nil ? ENOENT : EISDIR) }
            let (fromDirectory, fromName) = World.split(from)
            let (toDirectory, toName) = World.split(to)
            guard s.world.directories[toDirectory] != nil else { throw Errno(ENOENT) }
            if case .directory? = s.world.lookup(to) { throw Errno(EISDIR) }
            record(.rename(fromDirectory: fromDirectory, fromName: fromName, toDirectory: toDirectory, toName: toName), &s)
        }
    }

    package func unlink(_ path: String) throws(Errno) {
        try state.withLock { s throws(Errno) in
            switch intercept(.unlink, path, &s) {
            case .fail(let code): throw Errno(code)
            case .interrupt: throw Errno(EINTR)
            case .short, nil: break
            }
            switch s.world.lookup(path) {
            case nil: throw Errno(ENOENT)
            case .directory?: throw Errno(EISDIR)
            case .file?:
                let (directory, name) = World.split(path)
                record(.unlink(directory: directory, name: name), &s)
            }
        }
    }

    package func makeDirectory(_ path: String, mode: UInt32) throws(Errno) {
        try state.withLock { s throws(Errno) in
            switch intercept(.makeDirectory, path, &s) {
            case .fail(let code): throw Errno(code)
            case .interrupt: throw Errno(EINTR)
            case .short, nil: break
            }
            if s.world.lookup(path) != nil { throw Errno(EEXIST) }
            guard s.world.directories[World.split(path).directory] != nil else { throw Errno(ENOENT) }
            record(.makeDirectory(path: World.normalize(path)), &s)
        }
    }

    package func list(_ path: String) throws(Errno) -> [String] {
        try state.withLock { s throws(Errno) -> [String] in
            switch intercept(.list, path, &s) {
            case .fail(let code): throw Errno(code)
            case .interrupt: throw Errno(EINTR)
            case .short, nil: break
            }
            guard let directory = s.world.directories[World.normalize(path)] else {
                throw Errno(s.world.lookup(path) == nil ? ENOENT : ENOTDIR)
            }
            return Array(directory.current.keys)
        }
    }

    package func lockExclusive(_ handle: Int32) throws(Errno) {
        try state.withLock { s throws(Errno) in
            guard let h = s.handles[handle], case .file(let inode) = h.target else { throw Errno(EBADF) }
            switch intercept(.lock, path(of: h, s), &s) {
            case .fail(let code): throw Errno(code)
            case .interrupt: throw Errno(EINTR)
            case .short, nil: break
            }
            if let holder = s.locked[inode], holder != handle { throw Errno(EWOULDBLOCK) }
            s.locked[inode] = handle
        }
    }

    package func unlock(_ handle: Int32) {
        state.withLock { s in
            if case .file(let inode)? = s.handles[handle]?.target, s.locked[inode] == handle { s.locked[inode] = nil }
        }
    }

    package func checkAccess(_ path: String, write: Bool) -> Errno? {
        state.withLock { s in s.world.lookup(path) == nil ? Errno(ENOENT) : nil }
    }
}

// MARK: The disk's state

extension SimulatedFileSystem.World {
    typealias Node = SimulatedFileSystem.Node

    static func normalize(_ path: String) -> String {
        let components = path.split(separator: "/")
        return "/" + components.joined(separator: "/")
    }

    /// The directory holding `path` and the name in it.
    static func split(_ path: String) -> (directory: String, name: String) {
        var components = path.split(separator: "/").map(String.init)
        let name = components.popLast() ?? ""
        return ("/" + components.joined(separator: "/"), name)
    }

    func lookup(_ path: String) -> Node? {
        let normalized = Self.normalize(path)
        if normalized == "/" { return .directory }
        let (directory, name) = Self.split(normalized)
        return directories[directory]?.current[name]
    }

    func path(ofInode inode: Int) -> String? {
        for (directory, state) in directories {
            if let name = state.current.first(where: { $0.value == .file(inode) })?.key {
                return directory == "/" ? "/" + name : directory + "/" + name
            }
        }
        return nil
    }

    func status(of node: Node) -> FileStatus {
        switch node {
        case .directory: FileStatus(kind: .directory, size: 0, device: 1, inode: 0)
        case .file(let inode): FileStatus(kind: .regular, size: Int64(inodes[inode].current.count), device: 1, inode: UInt64(inode + 1))
        }
    }

    /// Applies one event: the single definition of what each change does, for the live disk and for replays.
    mutating func apply(_ event: SimulatedFileSystem.Event) {
        switch event {
        case .create(let directory, let name, let inode):
            precondition(inode == inodes.count, "simulated inodes are numbered in creation order")
            inodes.append(SimulatedFileSystem.Inode())
            directories[directory]!.current[name] = .file(inode)
        case .makeDirectory(let path):
            let (parent, name) = Self.split(path)
            directories[parent]!.current[name] = .directory
            directories[path] = SimulatedFileSystem.DirectoryState()
        case .write(let inode, let offset, let bytes):
            inodes[inode].current.store(bytes[...], at: offset)
            inodes[inode].dirty.append(offset..<offset + bytes.count)
        case .truncate(let inode, let length):
            inodes[inode].current.resize(to: length)
            inodes[inode].dirty = inodes[inode].dirty.compactMap { r in
                r.lowerBound < length ? r.lowerBound..<min(r.upperBound, length) : nil
            }
        case .sync(let inode, let failed):
            var file = inodes[inode]
            if !failed {
                // The size is durable with the data (fdatasync includes what is needed to read it back).
                file.durable.resize(to: file.current.count)
                for range in file.dirty { file.durable.store(file.current[range], at: range.lowerBound) }
            }
            // A failed sync marks the pages clean too: what it did not write is lost to later syncs.
            file.dirty = []
            inodes[inode] = file
        case .directorySync(let path, let failed):
            if !failed { directories[path]!.durable = directories[path]!.current }
        case .rename(let fromDirectory, let fromName, let toDirectory, let toName):
            let node = directories[fromDirectory]!.current.removeValue(forKey: fromName)
            directories[toDirectory]!.current[toName] = node
        case .unlink(let directory, let name):
            directories[directory]!.current[name] = nil
        }
    }

    /// What a power loss leaves: durable contents, durable entries of directories whose own entry is durable, and
    /// the chosen sectors of `torn`.
    func crashed(
        tearing torn: (inode: Int, offset: Int, bytes: [UInt8])?, _ tear: SimulatedFileSystem.Tear
    ) -> SimulatedFileSystem.World {
        var world = SimulatedFileSystem.World(inodes: [], directories: [:])
        world.inodes = inodes.map { SimulatedFileSystem.Inode(current: $0.durable, durable: $0.durable, dirty: []) }
        if let torn {
            let sectorSize = SimulatedFileSystem.sectorSize
            var rng = SplitMix64(seed: { if case .sectors(let seed) = tear { seed } else { 0 } }())
            let first = torn.offset / sectorSize
            let last = (torn.offset + torn.bytes.count - 1) / sectorSize
            var file = world.inodes[torn.inode].durable
            for sector in first...last {
                let keep: Bool
                switch tear {
                case .none: keep = false
                case .all: keep = true
                case .sectors: keep = rng.next() & 1 == 1
                }
                guard keep else { continue }
                let start = max(sector * sectorSize, torn.offset)
                let end = min((sector + 1) * sectorSize, torn.offset + torn.bytes.count)
                file.store(torn.bytes[(start - torn.offset)..<(end - torn.offset)], at: start)
            }
            world.inodes[torn.inode] = SimulatedFileSystem.Inode(current: file, durable: file, dirty: [])
        }
        var pending = ["/"]
        while let path = pending.popLast() {
            let entries = directories[path]?.durable ?? [:]
            world.directories[path] = SimulatedFileSystem.DirectoryState(current: entries, durable: entries)
            for (name, node) in entries where node == .directory {
                pending.append(path == "/" ? "/" + name : path + "/" + name)
            }
        }
        return world
    }
}

extension [UInt8] {
    // With memcpy and memset rather than the generic collection methods: tests run unoptimized builds, where those
    // cost a call per byte and made a replay of a trace take seconds.

    /// Grows with zeros or shrinks to `count` bytes.
    mutating func resize(to count: Int) {
        guard count != self.count else { return }
        let old = self
        self = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let kept = Swift.min(old.count, count)
            old.withUnsafeBytes { source in
                if kept > 0 { memcpy(buffer.baseAddress!, source.baseAddress!, kept) }
            }
            if count > kept { memset(buffer.baseAddress! + kept, 0, count - kept) }
            initialized = count
        }
    }

    /// Writes `bytes` at `offset`, growing (with zeros) as needed.
    mutating func store(_ bytes: ArraySlice<UInt8>, at offset: Int) {
        if count < offset + bytes.count { resize(to: offset + bytes.count) }
        guard !bytes.isEmpty else { return }
        withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                _ = memcpy(target.baseAddress! + offset, source.baseAddress!, bytes.count)
            }
        }
    }
}

/// A small seeded generator (SplitMix64): a tear is the same every run for the same seed, and the benchmarks' data
/// the same every run.
package struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
