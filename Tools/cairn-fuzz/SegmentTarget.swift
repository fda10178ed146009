import CairnLog

extension FuzzTarget {
    /// `SegmentReader` over a whole segment file: header, frames, checksums, decompression in stream order, record
    /// blocks, and (after bad bytes) the search for a later commit that recovery decides by.
    static let segment = FuzzTarget(
        name: "segment",
        summary: "SegmentReader over a fuzzed segment file (option bit 0: fix checksums; bit 1: a committed-end limit)"
    ) { input in
        let image = SegmentImage(input)
        let path = image.bytes.withUnsafeBytes { ScratchDirectory.store($0, as: "segment") }
        let reader: SegmentReader
        do {
            reader = try SegmentReader(path: path)
        } catch {
            return  // a LogError naming the header's fault: what a bad header must get
        }
        let limit: Int64? = image.options & 2 != 0 ? Int64(image.bytes.count / 2) : nil
        var seen = 0
        var previous: LSN?
        var end: SegmentReader.End?
        do {
            while end == nil {
                let offsetBefore = reader.offset
                let step = try reader.next(limit: limit) { lsn, _, bytes in
                    expect(previous.map { lsn > $0 } ?? true, "record LSN \(lsn) does not follow \(String(describing: previous))")
                    expect(lsn >= reader.header.baseLSN, "record LSN \(lsn) below the base \(reader.header.baseLSN)")
                    expect(bytes.count <= SegmentReader.maxRawLength, "a record larger than any frame")
                    previous = lsn
                    seen += 1
                }
                switch step {
                case .frame(let frame):
                    expect(reader.offset == offsetBefore + Int64(frame.frameLength), "the offset did not advance by the frame")
                    expect(reader.offset <= Int64(image.bytes.count), "the offset ran past the file")
                    if let limit { expect(reader.offset <= limit, "a frame crossed the committed end") }
                case .end(let why):
                    // The frames end where the offset stays, or just past a seal (the segment's last frame: what
                    // follows it, if anything, is where they end).
                    if reader.sealedNextBase != nil && reader.offset != offsetBefore {
                        expect(reader.offset > offsetBefore + Int64(FrameHeader.size), "a seal shorter than a frame header")
                        expect(reader.offset <= Int64(image.bytes.count), "the offset ran past the file at a seal")
                    } else {
                        expect(reader.offset == offsetBefore, "the offset moved at the end")
                    }
                    end = why
                }
            }
        } catch {
            expect(false, "next() threw on a readable file: \(error)")
        }
        expect(seen == reader.recordCount, "the body saw \(seen) records, the reader counted \(reader.recordCount)")
        expect(previous == reader.lastLSN, "the last LSN seen differs from the reader's")
        expect(reader.history.count <= 64 << 10, "the decoder's history exceeds the LZ4 window")
        if case .invalid = end {
            do {
                if let commit = try reader.findCommitStart(after: reader.offset) {
                    expect(commit > reader.offset && commit < Int64(image.bytes.count), "a commit start outside the file")
                }
            } catch {
                expect(false, "findCommitStart threw on a readable file: \(error)")
            }
        }
    }
}
