import CairnLog
import CLZ4

/// `lz4`: liblz4's block API on workflow events cut into 64 KiB batches, each compressed on its own — what a group
/// commit of a busy engine hands the compressor, without the log around it.
///
/// n is the megabytes (10^6 bytes) of events compressed; per_sec is compression MB/s; `decompress_mb_s` and
/// `ratio` (event bytes / compressed bytes) are extra keys.
enum LZ4Bench {
    static let batchSize = 64 << 10

    static func run(_ context: BenchContext) throws {
        let (input, batchEnds) = batches(of: context.n * 1_000_000)
        let bound = Int(LZ4_compressBound(Int32(batchSize)))
        var compressed = [UInt8](repeating: 0, count: batchEnds.count * bound)
        var compressedSizes = [Int32](repeating: 0, count: batchEnds.count)
        var output = [UInt8](repeating: 0, count: input.count)

        let compressStart = Stopwatch.now()
        input.withUnsafeBytes { src in
            compressed.withUnsafeMutableBytes { dst in
                var start = 0
                for (i, end) in batchEnds.enumerated() {
                    compressedSizes[i] = LZ4_compress_default(
                        pointer(src, start), pointer(dst, i * bound), Int32(end - start), Int32(bound))
                    start = end
                }
            }
        }
        let compressSeconds = Stopwatch.now() - compressStart

        let decompressStart = Stopwatch.now()
        var failures = 0
        compressed.withUnsafeBytes { src in
            output.withUnsafeMutableBytes { dst in
                var start = 0
                for (i, end) in batchEnds.enumerated() {
                    let n = LZ4_decompress_safe(
                        pointer(src, i * bound), pointer(dst, start), compressedSizes[i], Int32(end - start))
                    if n != Int32(end - start) { failures += 1 }
                    start = end
                }
            }
        }
        let decompressSeconds = Stopwatch.now() - decompressStart
        guard failures == 0, output == input, compressedSizes.allSatisfy({ $0 > 0 }) else {
            throw BenchError("lz4: \(failures) batches did not round-trip")
        }

        let megabytes = Double(input.count) / 1e6
        var line = context.line("lz4", seconds: compressSeconds)
        line["per_sec"] = .number(megabytes / compressSeconds, places: 2)
        line["unit"] = "MB/s"
        line["decompress_mb_s"] = .number(megabytes / decompressSeconds, places: 2)
        line["ratio"] = .number(Double(input.count) / Double(compressedSizes.reduce(0) { $0 + Int($1) }))
        line["batch_bytes"] = .int(batchSize)
        line["record_bytes"] = .number(WorkflowEvents.meanSize)
        context.emit(line)
    }

    /// At least `byteCount` bytes of events laid out as in a record block (tag, varint length, bytes), cut at
    /// record boundaries into batches of at most 64 KiB; returns the bytes and where each batch ends.
    private static func batches(of byteCount: Int) -> (bytes: [UInt8], ends: [Int]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount + batchSize)
        var ends: [Int] = []
        var batchStart = 0
        var i = 0
        while bytes.count < byteCount {
            let record = WorkflowEvents.pool[i % WorkflowEvents.pool.count]
            i += 1
            if bytes.count + record.payload.count + 3 - batchStart > batchSize {
                ends.append(bytes.count)
                batchStart = bytes.count
            }
            bytes.append(record.tag)
            bytes.appendVarint(UInt64(record.payload.count))
            bytes.append(contentsOf: record.payload)
        }
        ends.append(bytes.count)
        return (bytes, ends)
    }

    private static func pointer(_ buffer: UnsafeRawBufferPointer, _ offset: Int) -> UnsafePointer<CChar> {
        (buffer.baseAddress! + offset).assumingMemoryBound(to: CChar.self)
    }

    private static func pointer(_ buffer: UnsafeMutableRawBufferPointer, _ offset: Int) -> UnsafeMutablePointer<CChar> {
        (buffer.baseAddress! + offset).assumingMemoryBound(to: CChar.self)
    }
}
