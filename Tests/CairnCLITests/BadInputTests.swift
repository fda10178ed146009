import Cairn
import CairnLog
import Foundation
import Testing

/// Missing, foreign, empty, corrupt and locked logs: each a one-line error and a non-zero exit, never a trace.
@Suite struct BadInputTests {
    static let readCommands: [[String]] = [["inspect"], ["list"], ["show", "X", "ID"], ["tail"], ["verify"], ["export"], ["compact"], ["compact", "X", "--dry-run"]]

    /// `command` with `directory` in place of the first argument after the subcommand.
    func arguments(_ command: [String], _ directory: String) -> [String] {
        var args = [command[0], directory]
        args += command.dropFirst(2)
        return args
    }

    @Test(arguments: readCommands)
    func missingDirectory(_ command: [String]) throws {
        let path = temporaryDirectory() + "-missing"
        expectOneLineError(try cairn(arguments(command, path)), status: 3, containing: "no log directory")
        #expect(!FileManager.default.fileExists(atPath: path), "no command creates the directory")
    }

    @Test(arguments: readCommands)
    func directoryThatIsNotALog(_ command: [String]) throws {
        let path = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { removeDirectory(path) }
        expectOneLineError(try cairn(arguments(command, path)), status: 4, containing: "not a Cairn log")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path + "/notes.txt"))
        expectOneLineError(try cairn(arguments(command, path)), status: 4, containing: "notes.txt")
        expectOneLineError(try cairn(arguments(command, path + "/notes.txt")), status: 4, containing: "not a directory")
    }

    @Test func emptyLog() async throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        let log = try await Log.open(at: path)
        try await log.close()
        #expect(try cairn(["inspect", path]).status == 0)
        let inspect = try #require(try cairn(["inspect", path, "--json"]).json() as? [String: Any])
        #expect(inspect["records"] as? Int == 0)
        let list = try cairn(["list", path])
        #expect(list.status == 0)
        #expect(list.stdout.contains("no workflows"))
        #expect((try cairn(["list", path, "--json"]).json() as? [Any])?.isEmpty == true)
        expectOneLineError(try cairn(["show", path, "x"]), status: 3, containing: "no workflow")
        #expect(try cairn(["tail", path]).status == 0)
        let export = try cairn(["export", path])
        #expect(export.status == 0 && export.stdout.isEmpty)
        #expect(try cairn(["verify", path]).status == 0)
        let compact = try cairn(["compact", path])
        #expect(compact.status == 0, "\(compact.stderr)")
        #expect(compact.stdout.contains("nothing to compact"))
        #expect(try cairn(["compact", path, "--dry-run", "--json"]).json() is [String: Any])
    }

    @Test func corruptSealedSegment() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let segments = try segmentFiles(log.directory)
        try #require(segments.count >= 3)
        let damaged = segments[1]
        try flipByte(damaged, at: fileSize(damaged) / 2)
        for command in [["inspect"], ["list"], ["export"], ["compact"], ["compact", "--dry-run"]] {
            let result = try cairn([command[0], log.directory] + command.dropFirst())
            expectOneLineError(result, status: 5, containing: "corrupt")
        }
        let name = (damaged as NSString).lastPathComponent
        expectOneLineError(try cairn(["show", log.directory, "greet-1"]), status: 5, containing: name)
        let verify = try cairn(["verify", log.directory])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains(name))
        let json = try #require(try cairn(["verify", log.directory, "--json"]).json() as? [String: Any])
        #expect(json["ok"] as? Bool == false)
        let problems = try #require(json["problems"] as? [[String: Any]])
        try #require(problems.count == 1)
        #expect(problems[0]["file"] as? String == name)
        #expect((problems[0]["offset"] as? Int ?? 0) > 40)
        // Damage in a sealed segment is never "repaired".
        let repair = try cairn(["verify", log.directory, "--repair"])
        #expect(repair.status == 1)
        #expect(repair.stderr.contains("not repaired"))
    }

    @Test func eachDamagedSegmentIsReported() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let segments = try segmentFiles(log.directory)
        try #require(segments.count >= 3)
        try flipByte(segments[0], at: fileSize(segments[0]) / 2)
        try flipByte(segments[2], at: fileSize(segments[2]) / 3)
        let json = try #require(try cairn(["verify", log.directory, "--json"]).json() as? [String: Any])
        let files = (json["problems"] as? [[String: Any]] ?? []).compactMap { $0["file"] as? String }
        #expect(files == [segments[0], segments[2]].map { ($0 as NSString).lastPathComponent })
    }

    @Test func verifyChecksProjectionInvariants() async throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        let log = try await Log.open(at: path)
        let events = [
            Event(kind: .workflowStarted, workflowID: "a", name: "greet", time: 1, payload: Array("1".utf8)),
            Event(kind: .stepCompleted, workflowID: "a", position: Position([0]), name: "s", time: 2, payload: Array("2".utf8)),
            Event(kind: .stepCompleted, workflowID: "ghost", position: Position([0]), name: "s", time: 3, payload: Array("3".utf8)),
            Event(kind: .workflowStarted, workflowID: "a", name: "greet", time: 4, payload: Array("1".utf8)),
            Event(kind: .workflowSummary, workflowID: "b", name: "greet", time: 5, number: 1, payload: [9, 9]),
        ]
        _ = try await log.append(contentsOf: events.map { $0.record() } + [LogRecord(tag: 200, payload: [1, 2, 3])])
        try await log.close()
        let result = try cairn(["verify", path, "--json"])
        #expect(result.status == 1)
        let problems = try #require((try result.json() as? [String: Any])?["problems"] as? [[String: Any]])
        let messages = problems.compactMap { $0["message"] as? String }
        #expect(messages.count == 4, "\(messages)")
        #expect(messages.contains { $0.contains("'ghost'") && $0.contains("never started") })
        #expect(messages.contains { $0.contains("'a'") && $0.contains("second time") })
        #expect(messages.contains { $0.contains("summary record of workflow 'b' is malformed") })
        #expect(messages.contains { $0.contains("unknown event kind 200") })
        #expect(problems.allSatisfy { ($0["offset"] as? Int ?? 0) >= 40 && $0["lsn"] as? Int != nil })
    }

    @Test func tornTailIsReportedAndRepaired() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let last = try #require(try segmentFiles(log.directory).last)
        let size = fileSize(last)
        let handle = try #require(FileHandle(forWritingAtPath: last))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0x43, 0x46, 0x52, 0x4D, 1, 0, 0, 0, 9, 9]))  // a frame header cut short
        try handle.close()
        let verify = try cairn(["verify", log.directory, "--json"])
        #expect(verify.status == 1)
        let problems = try #require((try verify.json() as? [String: Any])?["problems"] as? [[String: Any]])
        #expect(problems.count == 1)
        #expect(problems.first?["repairable"] as? Bool == true)
        #expect(problems.first?["offset"] as? Int == size)
        // Read commands read around it.
        #expect(try cairn(["list", log.directory]).status == 0)
        let repair = try cairn(["verify", log.directory, "--repair"])
        #expect(repair.status == 0, "\(repair.stdout)\(repair.stderr)")
        #expect(repair.stdout.contains("repaired"))
        #expect(fileSize(last) == size)
        #expect(try cairn(["verify", log.directory]).status == 0)
    }

    @Test func lockedLog() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        let held = try await Log.open(at: log.directory)
        let before = try segmentFiles(log.directory).map { fileSize($0) }
        let compact = try cairn(["compact", log.directory, "--keep-last", "0"])
        expectOneLineError(compact, status: 6, containing: "locked")
        #expect(compact.stderr.contains("process \(getpid())"))
        #expect(try segmentFiles(log.directory).map { fileSize($0) } == before, "nothing was written")
        // Reading needs no lock.
        for command in [["inspect"], ["list"], ["show", "greet-1"], ["tail"], ["verify"], ["export"], ["compact", "--dry-run"]] {
            let result = try cairn([command[0], log.directory] + command.dropFirst())
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
        let inspect = try #require(try cairn(["inspect", log.directory, "--json"]).json() as? [String: Any])
        #expect(inspect["lockedBy"] as? Int == Int(getpid()))
        try await held.close()
    }

    @Test func colourOnlyOnATerminalAndNeverWithNoColor() async throws {
        let log = try await Fixture.copy()
        defer { removeDirectory(log.directory) }
        // Pipes are not terminals: plain text, with NO_COLOR or without.
        for env in [[:], ["NO_COLOR": "1"]] {
            let result = try cairn(["list", log.directory], environment: env)
            #expect(result.status == 0)
            #expect(!result.stdout.contains("\u{1B}["))
        }
        // On a terminal: colour, unless NO_COLOR is set (and not empty).
        #expect(try onATerminal(["list", log.directory], environment: [:]).contains("\u{1B}["))
        #expect(!(try onATerminal(["list", log.directory], environment: ["NO_COLOR": "1"]).contains("\u{1B}[")))
        #expect(try onATerminal(["list", log.directory], environment: ["NO_COLOR": ""]).contains("\u{1B}["))
    }
}

/// Runs `cairn` with its standard output on a pseudo-terminal; returns what it wrote there.
func onATerminal(_ arguments: [String], environment: [String: String]) throws -> String {
    #if canImport(Glibc)
    // A Linux pseudo-terminal pair: unlock the master, then open the slave it names (what posix_openpt,
    // unlockpt and ptsname do, which Glibc does not show Swift).
    let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
    try #require(master >= 0)
    defer { close(master) }
    var unlock: CInt = 0
    var number: CUnsignedInt = 0
    // TIOCSPTLCK and TIOCGPTN (asm-generic/ioctls.h: _IOW('T', 0x31, int), _IOR('T', 0x30, unsigned int)),
    // macros Swift cannot import.
    let setLock: UInt = 0x4004_5431
    let getNumber: UInt = 0x8004_5430
    try #require(ioctl(master, setLock, &unlock) == 0 && ioctl(master, getNumber, &number) == 0)
    let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
    #elseif canImport(Darwin)
    let master = posix_openpt(O_RDWR | O_NOCTTY)
    try #require(master >= 0)
    defer { close(master) }
    try #require(grantpt(master) == 0 && unlockpt(master) == 0)
    let slaveName = try #require(ptsname(master))
    let slave = open(String(cString: slaveName), O_RDWR | O_NOCTTY)
    #endif
    try #require(slave >= 0)
    let process = Process()
    process.executableURL = cairnBinary
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "NO_COLOR" }.merging(environment) { $1 }
    // Closed below, once: a handle closing it again on release could close a descriptor another test has reused.
    process.standardOutput = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
    process.standardError = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        close(slave)
        throw error
    }
    close(slave)  // the child has its own; reading ends with EIO once it exits
    // Read while it runs, so that output larger than the terminal's buffer cannot block it.
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(master, &buffer, buffer.count)
        if n <= 0 { break }
        output += buffer[0..<n]
    }
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    return String(decoding: output, as: UTF8.self)
}
