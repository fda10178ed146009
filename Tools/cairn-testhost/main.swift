// A second process for CairnLog's tests: something to lock against, to refuse, and to SIGKILL mid-append.
//
//   cairn-testhost log-hold DIR          open the log, print "ready", wait until killed
//   cairn-testhost log-open DIR          try to open: print "opened" and exit 0, or print the LogError code, exit 3
//   cairn-testhost log-append DIR N [W]  append N records from W concurrent tasks (default 4) with durability
//                                        .always; print "LSN INDEX" for each acknowledged one, then "done"; wait
//                                        until killed
//
// Record INDEX has tag INDEX % 256 and payload `testhostPayload(INDEX)`, which the tests recompute.
//
// Engine commands (engine-run, engine-soak, engine-retry) are in EngineModes.swift; the HTTP API's (http-serve)
// in HTTPMode.swift.
import CairnLog
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The payload of record `index`: its number, then a pattern derived from it (30 to 400 bytes).
func testhostPayload(_ index: Int) -> [UInt8] {
    var bytes = Array("testhost record \(index) ".utf8)
    let extra = 16 + (index * 37) % 360
    for k in 0..<extra { bytes.append(UInt8(truncatingIfNeeded: index &* 31 &+ k &* 7)) }
    return bytes
}

/// One `write(2)` per line, so lines from concurrent tasks never interleave and a SIGKILL leaves no half line
/// that looks whole.
func emit(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    bytes.withUnsafeBytes { b in
        var done = 0
        while done < b.count {
            let n = write(1, b.baseAddress! + done, b.count - done)
            if n <= 0 { exit(4) }
            done += n
        }
    }
}

func waitForever() -> Never {
    while true { pause() }
}

let arguments = CommandLine.arguments
func usage() -> Never {
    FileHandle.standardError.write(
        Data("usage: cairn-testhost log-hold DIR | log-open DIR | log-append DIR N [W] | engine-... | http-serve DIR PORTFILE\n".utf8))
    exit(2)
}
guard arguments.count >= 3 else { usage() }
let directory = arguments[2]

switch arguments[1] {
case "log-hold":
    do {
        let log = try await Log.open(at: directory)
        emit("ready")
        withExtendedLifetime(log) { waitForever() }
    } catch {
        emit("error \(error)")
        exit(1)
    }

case "log-open":
    do {
        let log = try await Log.open(at: directory)
        try await log.close()
        emit("opened")
        exit(0)
    } catch let error as LogError {
        emit("\(error.code)")
        exit(3)
    } catch {
        emit("error \(error)")
        exit(1)
    }

case "log-append":
    guard arguments.count >= 4, let count = Int(arguments[3]), count >= 0 else { usage() }
    let workers = arguments.count >= 5 ? max(1, Int(arguments[4]) ?? 4) : 4
    do {
        let log = try await Log.open(at: directory, configuration: LogConfiguration(durability: .always))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    for index in stride(from: worker, to: count, by: workers) {
                        let lsn = try await log.append(
                            LogRecord(tag: UInt8(truncatingIfNeeded: index), payload: testhostPayload(index)))
                        emit("\(lsn) \(index)")
                    }
                }
            }
            try await group.waitForAll()
        }
        emit("done")
        withExtendedLifetime(log) { waitForever() }
    } catch {
        emit("error \(error)")
        exit(1)
    }

case let command where command.hasPrefix("engine-"):
    await engineMain(arguments)  // EngineModes.swift

case "http-serve":
    await httpServeMain(arguments)  // HTTPMode.swift

default:
    usage()
}
