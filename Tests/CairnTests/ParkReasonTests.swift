import Cairn
import CairnLog
import CairnTestSupport
import Foundation
import Testing

/// A park's reason is a typed value decided from the event's flags; recovery decides on it, never on the text.
@Suite struct ParkReasonTests {
    @Test(arguments: [
        (Event.Flags(), ParkReason.undecodableValue, WorkflowStatus.parked),
        (.diverged, .diverged, .diverged),
        (.unknownWorkflow, .unknownWorkflow, .parked),
        (.recoveryExhausted, .recoveryExhausted, .parked),
    ])
    func theFlagsDecideTheReason(flags: Event.Flags, reason: ParkReason, status: WorkflowStatus) async throws {
        #expect(ParkReason(flags: flags) == reason)
        #expect(reason.flags == flags)
        #expect(reason.status == status)
        // The same text under each flag: the projection and the index type the park from the flag alone.
        try await withDirectory("park") { directory in
            let log = try await Log.open(at: directory)
            _ = try await log.append(contentsOf: [
                Event(kind: .workflowStarted, workflowID: "w", name: "n", time: 1).record(),
                Event(kind: .workflowParked, workflowID: "w", name: "n", time: 2, flags: flags, payload: Array("some words".utf8)).record(),
            ])
            try await log.close()
            var projection = LogProjection()
            var index = WorkflowIndex()
            _ = try LogReader(directory: directory).scan { record in
                try projection.apply(record)
                try index.apply(record)
                return true
            }
            let summary = try #require(projection.summary(of: "w"))
            #expect(summary.parkedBecause == reason)
            #expect(summary.status == status)
            #expect(summary.parkReason == "some words")
            var indexed: [WorkflowSummary] = []
            index.forEach { indexed.append($0) }
            #expect(indexed.map(\.parkedBecause) == [reason])
        }
    }

    /// A log with a workflow of `Doubler` parked with these flags and this text, not yet resumed.
    static func parkedLog(_ directory: String, probe: Probe, flags: Event.Flags, text: String) async throws {
        let input = try JSONEncoder().encode(ProbeInput(probe: probe.key, n: 21))
        let log = try await Log.open(at: directory)
        _ = try await log.append(contentsOf: [
            Event(kind: .workflowStarted, workflowID: "parked", name: Doubler.name, time: 1, payload: Array(input)).record(),
            Event(kind: .workflowParked, workflowID: "parked", name: Doubler.name, time: 2, flags: flags, payload: Array(text.utf8)).record(),
        ])
        try await log.close()
    }

    @Test("recovery resumes a workflow parked as unknown once its name is registered, whatever the text says")
    func recoveryUnparksByTheTypedReason() async throws {
        try await withDirectory { directory in
            let probe = Probe()
            try await Self.parkedLog(directory, probe: probe, flags: .unknownWorkflow, text: "reworded: nothing here to match on")
            try await withEngine(directory, [Doubler.self]) { engine in
                // Waited for by status: until recovery resumes it, its handle's result reports the park.
                try await waitForStatus(engine, "parked", .completed)
                let output = try await result(engine.handle(for: "parked", of: Doubler.self))
                #expect(output == 42)
                #expect(engine.summary(of: "parked")?.parkedBecause == nil, "a resume clears the reason")
                #expect(engine.summary(of: "parked")?.parkReason == nil)
            }
            #expect(probe.count("double") == 1)
        }
    }

    @Test("recovery leaves a workflow parked for another reason parked, even when the text says 'is not registered'")
    func recoveryKeepsOtherParksParked() async throws {
        try await withDirectory { directory in
            let probe = Probe()
            try await Self.parkedLog(
                directory, probe: probe, flags: .recoveryExhausted,
                text: "workflow 'test-double' is not registered in this process")
            try await withEngine(directory, [Doubler.self, CountedSteps.self]) { engine in
                // Recovery is done once a workflow started after it has run.
                let other = try await engine.start(CountedSteps.self, input: ProbeInput(probe: probe.key, n: 1))
                #expect(try await result(other).count == 1)
                let summary = try #require(engine.summary(of: "parked"))
                #expect(summary.status == .parked)
                #expect(summary.parkedBecause == .recoveryExhausted)
            }
            #expect(probe.count("double") == 0)
        }
    }
}
