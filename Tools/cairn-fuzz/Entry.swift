#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if CAIRN_LIBFUZZER
// Built by Tools/fuzz.sh (`--sanitize=fuzzer -Xswiftc -DCAIRN_LIBFUZZER`): libFuzzer's `main` runs, and calls this
// for every input with the target named by CAIRN_FUZZ_TARGET.

/// The target this process fuzzes.
let selectedTarget: FuzzTarget = {
    let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
    guard let name = getenv("CAIRN_FUZZ_TARGET").map({ String(cString: $0) }) else {
        fatalError("cairn-fuzz: set CAIRN_FUZZ_TARGET to one of: \(names)")
    }
    guard let target = FuzzTarget.named(name) else { fatalError("cairn-fuzz: no target \(name); the targets: \(names)") }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selectedTarget.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}
#else
/// The plain build's entry: runs the committed corpus once through every target (a regression check that needs no
/// fuzzer), replays chosen inputs, or writes the seed corpus with the real writer.
@main
enum CairnFuzz {
    static let usage = """
        usage: cairn-fuzz [replay] [--corpus DIR] [TARGET...]   run every input under DIR/TARGET (default Fixtures/fuzz)
               cairn-fuzz run TARGET FILE...                     run these inputs
               cairn-fuzz seeds [DIR]                            write the seed corpus (default Fixtures/fuzz)
               cairn-fuzz list                                   the targets
        Fuzzing itself: Tools/fuzz.sh (a libFuzzer build of this executable).
        """

    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let command = arguments.first.flatMap { ["replay", "run", "seeds", "list"].contains($0) ? $0 : nil } ?? "replay"
        if arguments.first == command { arguments.removeFirst() }
        switch command {
        case "list":
            for target in FuzzTarget.all { print("\(target.name): \(target.summary)") }
        case "seeds":
            let root = arguments.first ?? "Fixtures/fuzz"
            do {
                let counts = try await Seeds.write(to: root)
                for (name, count) in counts { print("\(name): \(count) seeds") }
            } catch {
                fail("cannot write the seeds: \(error)")
            }
        case "run":
            guard arguments.count >= 2, let target = FuzzTarget.named(arguments[0]) else { fail(usage) }
            for file in arguments.dropFirst() { run(target, file: file) }
            print("\(target.name): \(arguments.count - 1) inputs passed")
        default:
            var root = "Fixtures/fuzz"
            if let i = arguments.firstIndex(of: "--corpus") {
                guard i + 1 < arguments.count else { fail(usage) }
                root = arguments[i + 1]
                arguments.removeSubrange(i...i + 1)
            }
            var targets: [FuzzTarget] = []
            for name in arguments {
                guard let target = FuzzTarget.named(name) else { fail("no target \(name)\n\(usage)") }
                targets.append(target)
            }
            var total = 0
            for target in targets.isEmpty ? FuzzTarget.all : targets {
                let files = Corpus.files(in: root + "/" + target.name)
                guard !files.isEmpty else { fail("no inputs in \(root)/\(target.name): run from the package root, or pass --corpus") }
                for file in files { run(target, file: file) }
                print("\(target.name): \(files.count) inputs passed")
                total += files.count
            }
            print("all \(total) inputs passed")
        }
    }

    static func run(_ target: FuzzTarget, file: String) {
        guard let bytes = Corpus.contents(of: file) else { fail("cannot read \(file)") }
        bytes.withUnsafeBytes { target.run($0) }
    }

    static func fail(_ message: String) -> Never {
        var stderr = message + "\n"
        stderr.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        exit(2)
    }
}
#endif
