import Cairn
import CairnLog
import Foundation
import Testing

/// Step "s0", a wait for a message on "go", then steps "s1", "s2". Notes the error the receive throws.
struct Cancellable: Workflow {
    static let name = "test-cancellable"
    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> [Int] {
        let probe = Probe.get(input.probe)
        let s0 = try await context.step("s0", countedStep(probe, "s0"))
        let message: String?
        do {
            message = try await context.receive(String.self, topic: "go")
        } catch let error as WorkflowError {
            probe.note("receive error", "\(error.code)")
            // Operations after the cancellation are refused too.
            do {
                _ = try await context.step("after-cancel") { probe.hit("after-cancel") }
            } catch let error as WorkflowError {
                probe.note("later error", "\(error.code)")
            }
            throw error
        }
        let s1 = try await context.step("s1") {
            probe.hit("s1")
            if input.label == "stubborn" {
                await probe.passIgnoringCancellation("s1")
            } else {
                try await probe.pass("s1")
            }
            return Int.random(in: 0..<1_000_000_000)
        }
        let s2 = try await context.step("s2", countedStep(probe, "s2"))
        return [s0, s1, s2, message == nil ? 0 : 1]
    }
}

/// Sends to "<label>", sets an event, records a value, then steps "s1", "s2", "s3".
struct Forkable: Workflow {
    static let name = "test-forkable"

    struct Output: Codable, Sendable, Equatable {
        var steps: [Int]
        var uuid: UUID
    }

    static func run(_ context: WorkflowContext, input: ProbeInput) async throws -> Output {
        let probe = Probe.get(input.probe)
        let s0 = try await context.step("s0", countedStep(probe, "s0"))              // 0
        try await context.send("from \(context.workflowID)", to: input.label, topic: "m")  // 1
        let uuid = try await context.uuid()                                          // 2
        let s1 = try await context.step("s1", countedStep(probe, "s1"))              // 3
        try await context.setEvent("s1", s1)                                         // 4
        let s2 = try await context.step("s2", countedStep(probe, "s2"))              // 5
        return Output(steps: [s0, s1, s2], uuid: uuid)
    }
}

@Suite("Cancel, resume, fork")
struct ManagementTests {
    @Test("cancel stops a waiting workflow; its later operations are refused; resume goes on where it stopped")
    func cancelAndResume() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Cancellable.self]) { engine in
                let handle = try await engine.start(Cancellable.self, input: ProbeInput(probe: probe.key), id: "c")
                try await eventually("s0 recorded and the receive waiting") { engine.summary(of: "c")?.historyCount == 2 }
                try await engine.cancel("c")
                #expect(engine.summary(of: "c")?.status == .cancelled)
                let error = await caught { _ = try await within { try await handle.result() } }
                #expect(code(error) == .cancelled)
                try await eventually("the receive to see the cancellation") { !probe.notes("later error").isEmpty }
                #expect(probe.notes("receive error") == ["cancelled"])
                #expect(probe.notes("later error") == ["cancelled"])
                #expect(probe.count("after-cancel") == 0)
                // Cancelling again, or a cancelled workflow, does nothing.
                try await engine.cancel("c")
                #expect(engine.summary(of: "c")?.status == .cancelled)
                // A message sent while it is cancelled is kept for it.
                try await engine.send("go", to: "c", topic: "go")
                try await engine.resume("c")
                let output = try await result(handle)
                #expect(output[3] == 1)
                #expect(probe.counts == ["s0": 1, "s1": 1, "s2": 1])
                let kinds = try await engine.history(of: "c").collect().map(\.event.kind)
                #expect(kinds.contains(.workflowCancelled) && kinds.contains(.workflowResumed))
                // A finished workflow cannot be resumed; cancelling it does nothing.
                #expect(code(await caught { try await engine.resume("c") }) == .invalidState)
                try await engine.cancel("c")
                #expect(engine.summary(of: "c")?.status == .completed)
            }
        }
    }

    @Test("a cancelled workflow stays cancelled across a restart and can be resumed then")
    func cancelSurvivesRestart() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Cancellable.self]) { engine in
                _ = try await engine.start(Cancellable.self, input: ProbeInput(probe: probe.key), id: "c")
                try await eventually("s0 recorded and the receive waiting") { engine.summary(of: "c")?.historyCount == 2 }
                try await engine.cancel("c")
            }
            try await withEngine(dir, [Cancellable.self]) { engine in
                #expect(engine.summary(of: "c")?.status == .cancelled)
                try await engine.send("go", to: "c", topic: "go")
                try await engine.resume("c")
                _ = try await result(engine.handle(for: "c", of: Cancellable.self))
            }
            #expect(probe.counts == ["s0": 1, "s1": 1, "s2": 1])
        }
    }

    @Test("a step that finishes after its workflow was cancelled keeps its outcome: resume does not run it again")
    func cancelDuringStep() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            defer { probe.openAll() }
            probe.close("s1")
            try await withEngine(dir, [Cancellable.self]) { engine in
                let handle = try await engine.start(Cancellable.self, input: ProbeInput(probe: probe.key, label: "stubborn"), id: "c")
                try await engine.send("go", to: "c", topic: "go")
                try await probe.waitForArrival("s1")
                try await engine.cancel("c")
                // The body goes on regardless of the cancellation (it ignores it) and returns a value.
                probe.open("s1")
                #expect(code(await caught { _ = try await within { try await handle.result() } }) == .cancelled)
                try await eventually("s1 recorded") { engine.summary(of: "c")?.historyCount == 3 }
                try await engine.resume("c")
                _ = try await result(handle)
                #expect(probe.counts == ["s0": 1, "s1": 1, "s2": 1])
            }
        }
    }

    @Test("two concurrent resumes run the workflow once")
    func concurrentResumes() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Cancellable.self]) { engine in
                let handle = try await engine.start(Cancellable.self, input: ProbeInput(probe: probe.key), id: "c")
                try await eventually("s0 recorded and the receive waiting") { engine.summary(of: "c")?.historyCount == 2 }
                try await engine.cancel("c")
                try await engine.send("go", to: "c", topic: "go")
                let failures = await withTaskGroup(of: (any Error)?.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            do { try await engine.resume("c") } catch { return error }
                            return nil
                        }
                    }
                    return await group.reduce(into: [any Error]()) { if let e = $1 { $0.append(e) } }
                }
                for failure in failures { #expect(code(failure) == .invalidState) }
                _ = try await result(handle)
                #expect(probe.counts == ["s0": 1, "s1": 1, "s2": 1])
            }
        }
    }

    @Test("cancel, resume and fork of an unknown workflow say notFound; resuming a running one says invalidState")
    func unknownAndInvalid() async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Cancellable.self]) { engine in
                #expect(code(await caught { try await engine.cancel("nobody") }) == .notFound)
                #expect(code(await caught { try await engine.resume("nobody") }) == .notFound)
                #expect(code(await caught { _ = try await engine.fork("nobody", before: 0) }) == .notFound)
                #expect(code(await caught { _ = try await engine.handle(for: "nobody", of: Cancellable.self).result() }) == .notFound)
                #expect(code(await caught { _ = try await engine.history(of: "nobody").collect() }) == .notFound)
                _ = try await engine.start(Cancellable.self, input: ProbeInput(probe: probe.key), id: "c")
                try await eventually("waiting") { engine.summary(of: "c")?.historyCount == 2 }
                #expect(code(await caught { try await engine.resume("c") }) == .invalidState)
                try await engine.send("go", to: "c", topic: "go")
                _ = try await result(engine.handle(for: "c", of: Cancellable.self))
            }
        }
    }

    @Test("fork reuses the history before a position and runs the rest live", arguments: [0, 3, 5, 6])
    func fork(_ position: UInt32) async throws {
        try await withDirectory { dir in
            let probe = Probe()
            try await withEngine(dir, [Forkable.self, Consumer.self]) { engine in
                let original = try await result(try await engine.start(Forkable.self, input: ProbeInput(probe: probe.key, label: "inbox"), id: "orig"))
                let countsBefore = probe.counts
                let forkID = try await engine.fork("orig", before: position, newID: "orig-fork")
                #expect(forkID == "orig-fork")
                let forked = try await result(engine.handle(for: forkID, of: Forkable.self))
                #expect(engine.summary(of: forkID)?.status == .completed)
                // Operations before `position` keep the original's outcomes; the others ran again.
                let stepPositions: [(String, UInt32, Int)] = [("s0", 0, 0), ("s1", 3, 1), ("s2", 5, 2)]
                for (name, at, index) in stepPositions {
                    if at < position {
                        #expect(forked.steps[index] == original.steps[index], "\(name) reused")
                        #expect(probe.count(name) == countsBefore[name], "\(name) not run again")
                    } else {
                        #expect(probe.count(name) == (countsBefore[name] ?? 0) + 1, "\(name) run live")
                    }
                }
                #expect((forked.uuid == original.uuid) == (position > 2))
                #expect(try await engine.event(Int.self, key: "s1", of: forkID) == forked.steps[1])
                #expect(try await engine.event(Int.self, key: "s1", of: "orig") == original.steps[1])
                let history = try await engine.history(of: forkID).collect().map(\.event)
                #expect(history.first?.kind == .workflowStarted)
                #expect(history.contains { $0.kind == .workflowForked && $0.target == "orig" && $0.number == UInt64(position) })

                // The original's message was delivered once; a fork before the send sends its own.
                let inbox = try await result(try await engine.start(Consumer.self, input: ProbeInput(probe: probe.key, n: position > 1 ? 1 : 2), id: "inbox"))
                #expect(inbox.received.filter { $0 == "from orig" }.count == 1)
                #expect(inbox.received.filter { $0 == "from orig-fork" }.count == (position > 1 ? 0 : 1))
                #expect(inbox.leftOver == nil, "a fork does not deliver the original's messages again")

                // The new ID must be free.
                #expect(code(await caught { _ = try await engine.fork("orig", before: 1, newID: "orig-fork") }) == .idConflict)
                let random = try await engine.fork("orig", before: 6)
                #expect(random != "orig-fork")
                #expect(try await result(engine.handle(for: random, of: Forkable.self)) == original)
            }
        }
    }
}
