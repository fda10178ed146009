import CairnLog

extension EventEnvelope {
    /// The envelope of a record whose bytes `peek` has already checked (a reader that peeks every record first,
    /// as compaction's planner and the CLI's index do), without walking them again.
    init(lsn: LSN, bytes: UnsafeRawBufferPointer, checked peek: EnvelopePeek) {
        self.lsn = lsn
        self.bytes = bytes
        self.peek = peek
    }
}
