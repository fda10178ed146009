import ArgumentParser
import CairnCLIArguments

extension FuzzTarget {
    /// The CLI's argument parsers (`cairn list --since/--until`, `cairn compact --keep-finished`, `--status`), called
    /// directly and through ArgumentParser as the command line reaches them. Input: the argument as UTF-8.
    static let arguments = FuzzTarget(
        name: "arguments",
        summary: "DurationArgument, TimeArgument, StatusArgument, StopArgument, directly and through ArgumentParser"
    ) { input in
        let text = String(decoding: input, as: UTF8.self)
        if let duration = DurationArgument(argument: text) {
            expect(duration.nanoseconds >= 0, "a negative duration from \(text.debugDescription)")
            _ = duration.duration
        }
        _ = TimeArgument(argument: text)
        _ = StatusArgument(argument: text)
        _ = StopArgument(argument: text)
        // One command line per input, chosen by its length (ArgumentParser builds the command's argument set on
        // every parse, half of this target's time): both reach every inserted type across the corpus.
        _ = try? ArgumentsProbe.parse(input.count % 2 == 0 ? ["--since", text] : ["--keep", text, "--status", text])
    }
}

/// A command with the CLI's argument types, so ArgumentParser's path to them (`ExpressibleByArgument`) is fuzzed
/// too, without building the real command tree (which lives in the `cairn` executable).
private struct ArgumentsProbe: ParsableCommand {
    @Option var since: TimeArgument?
    @Option var keep: DurationArgument?
    @Option var status: [StatusArgument] = []
}
