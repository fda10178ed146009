/// Fault injection for tests: the writer asks these closures before each `pwrite` and each `fdatasync`/`fsync` of a
/// segment file whether to fail the call, and with which `errno`.
///
/// A closure returning nil lets the call run; returning an `errno` (`EIO`, `ENOSPC`, ...) makes the writer behave
/// as if the system call had failed with it, without running it. Set through ``LogConfiguration/_faults``; never
/// used outside tests.
///
/// It predates the file-system seam and serves the tests that need to tell the writer's kinds of write apart on a
/// real disk. New fault tests use ``SimulatedFileSystem`` (``LogConfiguration/_fileSystem``), which fails any call
/// of any kind, anywhere in the log, and models what a power loss keeps.
package struct LogFaults: Sendable {
    /// What a write puts into a segment.
    package enum Write: Sendable, Hashable {
        /// Frames of appended records.
        case frames
        /// The zero fill ahead of the data (see ``LogConfiguration/preallocationStep``).
        case zeroFill
        /// The header of a segment the writer creates.
        case segmentHeader
    }

    /// Called before each `pwrite` with the file's path and what is written.
    package var beforeWrite: @Sendable (_ path: String, _ what: Write) -> Int32?
    /// Called before each `fdatasync` or `fsync` of a segment file, with its path.
    package var beforeSync: @Sendable (_ path: String) -> Int32?

    package init(
        beforeWrite: @escaping @Sendable (_ path: String, _ what: Write) -> Int32? = { _, _ in nil },
        beforeSync: @escaping @Sendable (_ path: String) -> Int32? = { _ in nil }
    ) {
        self.beforeWrite = beforeWrite
        self.beforeSync = beforeSync
    }
}

extension File {
    /// ``write(_:at:)`` unless `faults` says to fail it.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64, _ what: LogFaults.Write, faults: LogFaults?)
        throws(LogError)
    {
        if let code = faults?.beforeWrite(path, what) { throw .system("pwrite", path: path, offset: offset, errno: code) }
        try write(bytes, at: offset)
    }

    /// ``write(_:at:)`` unless `faults` says to fail it.
    func write(_ bytes: [UInt8], at offset: Int64, _ what: LogFaults.Write, faults: LogFaults?) throws(LogError) {
        if let code = faults?.beforeWrite(path, what) { throw .system("pwrite", path: path, offset: offset, errno: code) }
        try write(bytes, at: offset)
    }

    /// ``syncData()`` unless `faults` says to fail it.
    func syncData(faults: LogFaults?) throws(LogError) {
        if let code = faults?.beforeSync(path) { throw .system("fdatasync", path: path, errno: code) }
        try syncData()
    }

    /// ``sync()`` unless `faults` says to fail it.
    func sync(faults: LogFaults?) throws(LogError) {
        if let code = faults?.beforeSync(path) { throw .system("fsync", path: path, errno: code) }
        try sync()
    }
}
