/// An error from the log: what happened, to which file, at which byte offset or LSN, and what to do about it.
///
/// Errors carry a ``Code`` (an extensible set of named cases, compare with `==`), a message written for a person,
/// and the location they concern. They never crash the process: bad bytes on disk, a busy lock, a full disk or a
/// failed `fdatasync` each surface as one of these.
///
/// ```swift
/// do {
///     let log = try await Log.open(at: "/var/lib/orders/log")
/// } catch let error as LogError where error.code == .locked {
///     print(error)  // says which directory is locked and by which process
/// }
/// ```
public struct LogError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added in later versions; switch with a `default` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The log directory is held by another process or another ``Log`` in this process.
        public static let locked = Code("locked")
        /// The path exists but is not a directory.
        public static let notADirectory = Code("notADirectory")
        /// The directory or a file in it could not be read, written or created for lack of permission.
        public static let permissionDenied = Code("permissionDenied")
        /// A file in the log directory is not one the log writes.
        public static let foreignFile = Code("foreignFile")
        /// A segment was written by a newer format version than this code understands.
        public static let unsupportedFormatVersion = Code("unsupportedFormatVersion")
        /// Bytes on disk failed their checksum or structural check where no torn write can explain them.
        public static let corruptSegment = Code("corruptSegment")
        /// A segment file is missing (or two overlap): the segments do not cover one unbroken LSN range, or the
        /// last one says another followed it. The error names the missing LSNs and file.
        public static let missingSegment = Code("missingSegment")
        /// A record with no bytes was offered to ``Log/append(_:)``.
        public static let emptyRecord = Code("emptyRecord")
        /// A record larger than ``LogConfiguration/maxRecordSize`` was offered.
        public static let recordTooLarge = Code("recordTooLarge")
        /// A write or sync failed earlier; this instance acknowledges nothing more. Reopen the log.
        public static let poisoned = Code("poisoned")
        /// The disk is full; the batch was not written.
        public static let diskFull = Code("diskFull")
        /// A system call failed for a reason not covered by a more specific code (see ``LogError/errno``).
        public static let ioFailed = Code("ioFailed")
        /// The log was closed.
        public static let closed = Code("closed")
        /// An argument was out of range (a configuration value, an LSN range, ...).
        public static let invalidArgument = Code("invalidArgument")
        /// The directory does not exist (read-only opening never creates it).
        public static let notFound = Code("notFound")
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened, where, and what to do, in a sentence or two.
    public var message: String
    /// The file or directory concerned, when there is one.
    public var path: String?
    /// The byte offset in ``path`` where the problem was found, when it is about bytes in a file.
    public var offset: Int64?
    /// The record sequence number concerned, when there is one.
    public var lsn: LSN?
    /// The `errno` of the failed system call, when one failed.
    public var errno: Int32?
    /// The source location that raised the error (for bug reports, not for users).
    public var location: SourceLocation

    /// Where in Cairn's source an error was raised.
    public struct SourceLocation: Sendable, CustomStringConvertible {
        /// The `#fileID` of the raising code.
        public var file: String
        /// The `#line` of the raising code.
        public var line: Int
        /// `file:line`.
        public var description: String { "\(file):\(line)" }
    }

    /// Creates an error; Cairn's own modules raise these, users match on ``code``.
    public init(
        _ code: Code,
        _ message: String,
        path: String? = nil,
        offset: Int64? = nil,
        lsn: LSN? = nil,
        errno: Int32? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.offset = offset
        self.lsn = lsn
        self.errno = errno
        self.location = SourceLocation(file: file, line: line)
    }

    public var description: String {
        var parts = ["\(code): \(message)"]
        if let path { parts.append("path: \(path)") }
        if let offset { parts.append("offset: \(offset)") }
        if let lsn { parts.append("lsn: \(lsn)") }
        if let errno { parts.append("errno: \(errno) (\(String(cString: strerror(errno))))") }
        return parts.joined(separator: "; ")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
