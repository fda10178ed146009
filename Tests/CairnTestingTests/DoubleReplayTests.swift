import Cairn
import CairnTesting
import Foundation
import Synchronization
import Testing

/// Decides its steps by iterating a Dictionary: the order differs between dictionaries.
///
/// Swift seeds a dictionary's order with its storage's address, so a run whose dictionary takes the address the
/// previous run's dictionary freed iterates in the same order (the test failed about one run in four that way): every
/// run's dictionary is kept alive, and each run's has an address of its own.
enum DictionaryOrder: Workflow {
    static let name = "dictionary-order"
    static let keptAlive = Mutex<[[String: Int]]>([])

    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        var warehouses: [String: Int] = [:]
        for name in ["amsterdam", "berlin", "copenhagen", "dublin", "edinburgh", "frankfurt", "geneva", "helsinki"] {
            warehouses[name] = input
        }
        keptAlive.withLock { $0.append(warehouses) }
        var total = 0
        for (name, stock) in warehouses {
            total += try await context.step("reserve-\(name)") { stock }
        }
        return total
    }
}

/// Uses Date() directly as a step's input.
enum DirectDate: Workflow {
    static let name = "direct-date"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let deadline = Date().addingTimeInterval(3600)
        return try await context.step("schedule", input: deadline) { input }
    }
}

/// The same, done right: the time is recorded.
enum RecordedDate: Workflow {
    static let name = "recorded-date"
    static func run(_ context: WorkflowContext, input: Int) async throws -> Int {
        let deadline = try await context.now().addingTimeInterval(3600)
        return try await context.step("schedule", input: deadline) { input }
    }
}

@Suite struct DoubleReplayTests {
    @Test func dictionaryOrderIsExposed() async throws {
        let report = try await DoubleReplay.check(DictionaryOrder.self, input: 1)
        #expect(!report.isClean, "iteration order of a fresh Dictionary should differ between runs")
        #expect(report.divergences.first?.reason.contains("name changed") == true)
    }

    @Test func directDateIsExposedInStrictMode() async throws {
        let strict = try await DoubleReplay.check(DirectDate.self, input: 1)
        #expect(strict.divergences.first?.reason == "the step's input changed")
        let structure = try await DoubleReplay.check(DirectDate.self, input: 1, mode: .structure)
        #expect(structure.isClean, "structure mode does not compare inputs")
    }

    @Test func recordedHelpersReplayClean() async throws {
        #expect(try await DoubleReplay.check(RecordedDate.self, input: 1).isClean)
        #expect(try await DoubleReplay.check(FxRecorded.self, input: 1).isClean)
        #expect(try await DoubleReplay.check(FxParallel.self, input: 8).isClean)
    }
}
