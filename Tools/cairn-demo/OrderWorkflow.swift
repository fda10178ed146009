import Cairn
import Foundation

/// An order as the demo's shop receives it.
struct Order: Codable, Sendable {
    var id: String
    var item: String
    var quantity: Int
    var cents: Int
}

/// What the workflow returns once the order has shipped.
struct Receipt: Codable, Sendable {
    var order: String
    var reservation: String
    var charge: String
    var tracking: String
}

/// The demo's side effects: one line per step body that ran, appended to a file outside the log directory, so
/// the demo can show that no completed step ran twice across the crash.
struct SideEffects: Sendable {
    let path: String

    func record(_ order: String, _ step: String) {
        let line = Data("\(order) \(step)\n".utf8)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            _ = FileManager.default.createFile(atPath: path, contents: line)
            return
        }
        handle.seekToEndOfFile()
        handle.write(line)
        try? handle.close()
    }

    func lines() -> [String] {
        (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    }
}

/// The workflow's one dependency: where the running process writes its side effects. Each process gives its own to
/// `WorkflowEngine.open(dependencies:)`; a test would give a fake.
enum SideEffectsKey: WorkflowDependencyKey {
    typealias Value = SideEffects
}

/// Reserve stock, charge the card, wait for the warehouse's cooling-off period, wait for the carrier's pickup
/// message, ship.
enum ProcessOrder: Workflow {
    static let name = "process-order"
    /// Declared, so that an engine opened without it refuses to open rather than park orders.
    static var dependencies: [any WorkflowDependencyKey.Type] { [SideEffectsKey.self] }

    static func run(_ context: WorkflowContext, input order: Order) async throws -> Receipt {
        // Each step's body looks its dependency up: a step replayed from the log runs no body and needs none.
        let reservation = try await context.step("reserve-inventory", input: order.item) {
            try await Task.sleep(for: .milliseconds(40 * order.quantity))  // the warehouse API is slow
            try context.dependency(SideEffectsKey.self).record(order.id, "reserve-inventory")
            return "R-\(order.id.suffix(3))-\(order.item)"
        }
        let charge = try await context.step("charge-card", input: order.cents, retry: .exponential(maxAttempts: 3)) {
            try await Task.sleep(for: .milliseconds(30))
            try context.dependency(SideEffectsKey.self).record(order.id, "charge-card")
            return "CH-\(order.cents)"
        }
        try await context.sleep(for: .milliseconds(400))  // durable: survives the crash, only the rest is slept
        let pickup = try await context.receive(String.self, topic: "pickup") ?? "none"
        let tracking = try await context.step("ship", input: pickup) {
            try context.dependency(SideEffectsKey.self).record(order.id, "ship")
            return "TRACK-\(pickup)-\(order.id.suffix(3))"
        }
        return Receipt(order: order.id, reservation: reservation, charge: charge, tracking: tracking)
    }
}
