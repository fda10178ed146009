import CairnLog

extension FuzzTarget {
    /// A run of frames as a segment lays them out after its header, through `FrameHeader.decode`, one
    /// `FrameDecoder` (the LZ4 stream with its 64 KiB history) and `RecordBlock.forEach`. Checksums are not checked:
    /// every mutation reaches the decoders.
    static let frame = FuzzTarget(
        name: "frame",
        summary: "FrameHeader.decode, FrameDecoder (LZ4 stream) and RecordBlock.forEach over a run of frames, checksums ignored"
    ) { input in
        guard let base = input.baseAddress else { return }
        let decoder = FrameDecoder(initialCapacity: 0)
        var offset = 0
        while input.count - offset >= FrameHeader.size {
            guard case .success(let header) = FrameHeader.decode(base + offset, maxRawLength: SegmentReader.maxRawLength)
            else { return }
            if header.isSeal {
                // The end of a sealed segment: no payload, no records; nothing to decode.
                expect(header.storedLength == 0 && header.rawLength == 0 && header.recordCount == 0, "a seal with contents")
                offset += header.frameLength
                continue
            }
            expect(header.recordCount >= 1 && header.firstLSN.rawValue >= 1, "a decoded header with impossible fields")
            guard input.count - offset >= FrameHeader.size + Int(header.storedLength) else { return }
            do {
                let block = try decoder.decode(header, payload: base + offset + FrameHeader.size)
                expect(block.count == Int(header.rawLength), "a block of \(block.count) bytes, \(header.rawLength) declared")
                var count: UInt32 = 0
                do {
                    let last = try RecordBlock.forEach(in: block, firstLSN: header.firstLSN, count: header.recordCount) { _, _, _ in
                        count += 1
                    }
                    expect(count == header.recordCount, "\(count) records walked, \(header.recordCount) declared")
                    expect(last >= header.firstLSN, "the last LSN is below the first")
                } catch {
                    decoder.discardLastBlock()
                }
            } catch {
                // An LZ4 block that does not decode: FrameDecoder.Failure, what the reader reports as invalid.
            }
            expect(decoder.history.count <= 64 << 10, "the decoder's history exceeds the LZ4 window")
            offset += header.frameLength
        }
    }

    /// `RecordBlock.forEach` alone: 8 bytes of first LSN, 4 of record count, then the block.
    static let recordBlock = FuzzTarget(
        name: "record-block",
        summary: "RecordBlock.forEach: u64 first LSN, u32 record count, then the block"
    ) { input in
        guard input.count >= 12, let base = input.baseAddress else { return }
        let first = LSN(loadLE64(base))
        let count = loadLE32(base + 8)
        let block = UnsafeRawBufferPointer(rebasing: input[12...])
        var walked: UInt32 = 0
        var previous: LSN?
        var end = 0
        do {
            let last = try RecordBlock.forEach(in: block, firstLSN: first, count: count) { lsn, _, bytes in
                expect(walked > 0 || lsn == first, "the first record is not at the first LSN")
                expect(previous.map { lsn > $0 } ?? true, "LSNs do not increase")
                if let start = bytes.baseAddress, let blockStart = block.baseAddress {
                    expect(start >= blockStart && start + bytes.count <= blockStart + block.count, "a record outside the block")
                    end = start + bytes.count - blockStart
                }
                previous = lsn
                walked += 1
            }
            expect(walked == count, "\(walked) records walked, \(count) declared")
            expect(last == (previous ?? first), "the returned last LSN is not the last record's")
            expect(count == 0 || end <= block.count, "records end past the block")
        } catch {
            expect(error is RecordBlock.Malformed, "RecordBlock threw \(error)")
        }
    }
}
