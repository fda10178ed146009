/// A record to append: opaque bytes and a one-byte type tag that readers can filter on without decoding.
public struct LogRecord: Sendable, Hashable {
    /// A small type tag chosen by the layer above (the engine uses it for its event kinds).
    public var tag: UInt8
    /// The record's bytes. Must not be empty, and at most ``LogConfiguration/maxRecordSize`` long.
    public var payload: [UInt8]

    /// Creates a record.
    public init(tag: UInt8, payload: [UInt8]) {
        self.tag = tag
        self.payload = payload
    }
}

/// A record read back from the log, with the LSN it was given.
public struct LogEntry: Sendable, Hashable {
    /// The record's sequence number.
    public var lsn: LSN
    /// The record's type tag.
    public var tag: UInt8
    /// The record's bytes.
    public var payload: [UInt8]

    /// Creates an entry (readers produce these; tests may build them).
    public init(lsn: LSN, tag: UInt8, payload: [UInt8]) {
        self.lsn = lsn
        self.tag = tag
        self.payload = payload
    }
}

/// A borrowed view of one record during a scan: valid only inside the scan's closure, copied by nothing.
///
/// Scans hand out views so that rebuilding state from millions of records allocates nothing per record; call
/// ``entry`` to keep one. Do not let ``bytes`` escape the closure: the buffer is reused for the next frame.
public struct LogRecordView {
    /// The record's sequence number.
    public let lsn: LSN
    /// The record's type tag.
    public let tag: UInt8
    /// The record's bytes, valid only during the callback.
    public let bytes: UnsafeRawBufferPointer

    @usableFromInline package init(lsn: LSN, tag: UInt8, bytes: UnsafeRawBufferPointer) {
        self.lsn = lsn
        self.tag = tag
        self.bytes = bytes
    }

    /// An owned copy of the record.
    public var entry: LogEntry { LogEntry(lsn: lsn, tag: tag, payload: Array(bytes)) }
}
