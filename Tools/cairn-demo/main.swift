// The demo: a process appends to a Cairn log, is killed with SIGKILL without closing it, and a fresh open
// recovers every acknowledged record. (The engine's order-processing demo replaces this.)
import CairnLog
import Foundation

let arguments = CommandLine.arguments
let directory = arguments.count > 2 && arguments[1] == "--dir" ? arguments[2]
    : FileManager.default.temporaryDirectory.appendingPathComponent("cairn-demo").path

if arguments.count > 2 && arguments[1] == "--child" {
    // The child: append durably until killed, reporting each acknowledged LSN.
    let log = try await Log.open(at: arguments[2])
    var i = 0
    while true {
        let lsn = try await log.append(LogRecord(tag: 1, payload: Array("order-\(i) charged".utf8)))
        FileHandle.standardOutput.write(Data("\(lsn.rawValue)\n".utf8))
        i += 1
    }
}

try? FileManager.default.removeItem(atPath: directory)
print("cairn demo: log directory \(directory)")
let child = Process()
child.executableURL = URL(fileURLWithPath: arguments[0])
child.arguments = ["--child", directory]
let pipe = Pipe()
child.standardOutput = pipe
try child.run()
var acknowledged: [UInt64] = []
var buffer = Data()
while acknowledged.count < 500 {
    let chunk = pipe.fileHandleForReading.availableData
    if chunk.isEmpty { break }
    buffer.append(chunk)
    while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
        if let lsn = UInt64(String(decoding: buffer[..<newline], as: UTF8.self)) { acknowledged.append(lsn) }
        buffer.removeSubrange(...newline)
    }
}
kill(child.processIdentifier, SIGKILL)
child.waitUntilExit()
print("killed the writer with SIGKILL after \(acknowledged.count) acknowledged appends")

let log = try await Log.open(at: directory)
print("reopened: \(log.recovery)")
let entries = try await log.entries()
let present = Set(entries.map(\.lsn.rawValue))
let missing = acknowledged.filter { !present.contains($0) }
print("every acknowledged record present: \(missing.isEmpty ? "yes" : "NO, missing \(missing)")")
if let last = entries.last { print("last record: LSN \(last.lsn) \(String(decoding: last.payload, as: UTF8.self))") }
try await log.close()
exit(missing.isEmpty ? 0 : 1)
