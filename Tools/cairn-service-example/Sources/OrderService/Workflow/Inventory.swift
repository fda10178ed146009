public import Cairn

/// The warehouse, as the workflow's `reserve`, `release` and `ship` steps reach it.
public protocol InventoryClient: Sendable {
    /// Reserves the order's stock and returns the reservation's ID.
    func reserve(orderID: String) async throws -> String
    /// Gives a reservation's stock back (the payment was declined).
    func release(reservation: String) async throws
    /// Ships a reservation and returns the parcel's tracking number.
    func ship(reservation: String) async throws -> String
}

/// The key the engine's ``WorkflowDependencies`` holds the inventory client under.
public enum Inventory: WorkflowDependencyKey {
    public typealias Value = any InventoryClient
}

/// A stand-in for a warehouse that always has stock.
public struct SandboxInventory: InventoryClient {
    public init() {}

    public func reserve(orderID: String) async throws -> String { "res_\(orderID)" }
    public func release(reservation: String) async throws {}
    public func ship(reservation: String) async throws -> String { "trk_\(reservation.dropFirst(4))" }
}
