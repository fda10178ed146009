import Cairn
import CairnLog

/// A generated log of n workflows for the CLI's workloads (`verify`, `list`, `compact`), shaped like a service's:
/// `ThreeSteps`-like runs (start, three step outcomes, completion), 1 in 10 unfinished (parked in a receive after
/// its first step), and a message sent from outside to 1 in 8 (before or while it runs). 256 workflows are
/// interleaved at a time per writer; two tasks write disjoint workflows through `Log` with durability `.never`
/// (so each workflow's events stay in order), in the engine's own envelopes (`Event.record()`).
enum WorkflowLog {
    /// What was written.
    struct Written {
        var workflows = 0
        var unfinished = 0
        var events = 0
        var seconds = 0.0
    }

    /// Writes a log of `workflows` workflows into `directory`.
    static func fill(_ directory: String, workflows n: Int) async throws -> Written {
        let writers = 2
        let start = Stopwatch.now()
        let log = try await Log.open(at: directory, configuration: LogConfiguration(durability: .never))
        var written = try await withThrowingTaskGroup(of: Written.self) { group in
            for writer in 0..<writers {
                let share = n / writers + (writer < n % writers ? 1 : 0)
                group.addTask {
                    var generator = Generator(writer: writer, workflows: share)
                    var batch: [LogRecord] = []
                    batch.reserveCapacity(1_000)
                    while let event = generator.next() {
                        batch.append(event.record())
                        if batch.count == 1_000 {
                            _ = try await log.append(contentsOf: batch)
                            batch.removeAll(keepingCapacity: true)
                        }
                    }
                    if !batch.isEmpty { _ = try await log.append(contentsOf: batch) }
                    return Written(
                        workflows: generator.begun, unfinished: generator.begun - generator.finished,
                        events: generator.events)
                }
            }
            var total = Written()
            for try await part in group {
                total.workflows += part.workflows
                total.unfinished += part.unfinished
                total.events += part.events
            }
            return total
        }
        try await log.close()
        written.seconds = Stopwatch.now() - start
        return written
    }

    /// The interleaved histories of one writer's share of the workflows, as the engine would write them (also the
    /// `projection-rebuild` workload's, without sends).
    struct Generator {
        struct Run {
            var id: String
            var input: Int
            var parks: Bool
            var sends: Bool
            var next = 0
            /// Events this run writes: start, steps (1 if it parks, else 3), the receive or the completion, a send.
            var length: Int { (parks ? 3 : 5) + (sends ? 1 : 0) }
        }

        static let file = "cairn-bench/BenchWorkflows.swift"
        static let steps = ["add-one", "double", "minus-three"]

        let writer: Int
        let total: Int
        var random: SplitMix64
        var runs: [Run] = []
        var slot = -1
        var time: Int64 = 1_790_000_000_000_000_000
        var begun = 0
        var finished = 0
        var events = 0

        /// Whether 1 in 8 workflows is sent a message from outside.
        let sendsToSome: Bool

        /// A generator of `workflows` workflows (`Int.max`: as many as `next()` is asked for).
        init(writer: Int, workflows: Int, sends: Bool = true) {
            self.writer = writer
            total = workflows
            sendsToSome = sends
            random = SplitMix64(seed: 0x5EED_C11 &+ UInt64(writer))
        }

        private mutating func newRun() -> Run {
            defer { begun += 1 }
            return Run(
                id: "order-\(writer)-\(uuid(random.next(), random.next()))", input: begun,
                parks: begun % 10 == 9, sends: sendsToSome && begun % 8 == 3)
        }

        /// The next event, nil when every workflow has written all of its.
        mutating func next() -> Event? {
            // Round-robin over up to 256 runs; a run that is done is replaced while workflows remain, else dropped.
            while true {
                if runs.count < 256 && begun < total {
                    runs.append(newRun())
                    slot = runs.count - 1
                } else if runs.isEmpty {
                    return nil
                } else {
                    slot = (slot + 1) % runs.count
                }
                if runs[slot].next < runs[slot].length { break }
                if begun < total {
                    runs[slot] = newRun()
                    break
                }
                runs.remove(at: slot)
                slot -= 1
            }
            time += Int64.random(in: 1_000...50_000, using: &random)
            events += 1
            defer { runs[slot].next += 1 }
            let run = runs[slot]
            // A send comes first for odd inputs (before the receiver starts), last for even ones.
            let sendFirst = run.input % 2 == 1
            let step = run.sends && sendFirst ? run.next - 1 : run.next
            if run.sends && (sendFirst ? run.next == 0 : run.next == run.length - 1) {
                return Event(
                    kind: .messageSent, workflowID: "", name: "go", time: time, target: run.id,
                    payload: Array("{\"ok\":true}".utf8))
            }
            let name = ThreeSteps.name
            switch (step, run.parks) {
            case (0, _):
                return Event(
                    kind: .workflowStarted, workflowID: run.id, name: name, time: time,
                    payload: Array(String(run.input).utf8))
            case (1, _), (2, false), (3, false):
                let k = step - 1
                let values = [run.input + 1, (run.input + 1) * 2, ThreeSteps.expected(run.input)]
                return Event(
                    kind: .stepCompleted, workflowID: run.id, position: Position([UInt32(k)]), name: Self.steps[k],
                    callSite: CallSite(file: Self.file, line: 18 + k), time: time,
                    payload: Array(String(values[k]).utf8))
            case (2, true):
                let timeout: Int64 = 600_000_000_000
                return Event(
                    kind: .receiveStarted, workflowID: run.id, position: Position([1]), name: "go",
                    callSite: CallSite(file: Self.file, line: 54), time: time, deadline: time + timeout,
                    number: UInt64(timeout))
            default:
                finished += 1
                return Event(
                    kind: .workflowCompleted, workflowID: run.id, name: name, time: time,
                    payload: Array(String(ThreeSteps.expected(run.input)).utf8))
            }
        }

        private func uuid(_ high: UInt64, _ low: UInt64) -> String {
            func hex(_ v: UInt64, _ digits: Int) -> String {
                let s = String(v, radix: 16)
                return String(repeating: "0", count: max(0, digits - s.count)) + s
            }
            return "\(hex(high >> 32, 8))-\(hex((high >> 16) & 0xFFFF, 4))-\(hex(low & 0xFFFF_FFFF_FFFF, 12))"
        }
    }
}
