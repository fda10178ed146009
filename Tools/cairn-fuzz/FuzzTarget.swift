/// One fuzz target: a name (the directory of its seed corpus under `Fixtures/fuzz/`) and a function that takes any
/// bytes and must neither crash, hang, nor allocate out of proportion to them.
///
/// A target states its properties with ``expect(_:_:)``: a broken one stops the process, which is how libFuzzer
/// learns that an input is a finding (it saves the input as a crash artifact).
struct FuzzTarget: Sendable {
    var name: String
    /// What the target drives, for `cairn-fuzz list`.
    var summary: String
    var run: @Sendable (UnsafeRawBufferPointer) -> Void

    /// Every target, in the order `Tools/fuzz.sh` runs them.
    static let all: [FuzzTarget] = [
        .segment, .recovery, .frame, .recordBlock, .envelope, .arguments,
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// Stops the process when a property of a target does not hold. A harness must stop on a broken property (that is
/// the finding); the code under test never does this on bad input.
func expect(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz property broken: \(message())") }
}
