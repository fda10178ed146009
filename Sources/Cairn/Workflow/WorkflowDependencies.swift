/// Names one dependency a workflow reaches through ``WorkflowContext/dependency(_:file:line:)``: the key's type is
/// the name, its ``Value`` the type of what is provided.
///
/// ```swift
/// protocol PaymentsClient: Sendable { func charge(_ cents: Int) async throws -> String }
/// enum Payments: WorkflowDependencyKey { typealias Value = any PaymentsClient }
/// ```
///
/// A key has no default value on purpose: a dependency the service forgot to provide must be a named error (and a
/// parked workflow, resumed once a deploy provides it), not a silent stand-in that charges no card. Two
/// dependencies of one type (two HTTP clients) are told apart by their keys. Sendable so that workflows can list
/// the keys they need (``Workflow/dependencies``): a key is a type, usually a caseless enum.
public protocol WorkflowDependencyKey: Sendable {
    /// The type of the value provided under this key.
    associatedtype Value: Sendable
}

/// The service's clients, pools and settings that workflow code reaches — the database pool, the HTTP client, a
/// payments API — given to ``WorkflowEngine/open(directory:configuration:workflows:dependencies:)`` and read by
/// ``WorkflowContext/dependency(_:file:line:)``, typed by ``WorkflowDependencyKey``.
///
/// ```swift
/// let dependencies = WorkflowDependencies()
///     .with(Payments.self, StripePayments(client: httpClient))
///     .with(Warehouse.self, warehouse)
/// let engine = try await WorkflowEngine.open(directory: path, workflows: [ProcessOrder.self], dependencies: dependencies)
/// ```
///
/// A test opens the engine with fakes under the same keys. Dependencies are not recorded: they are how steps reach
/// the world, and a step whose result is recorded returns it on replay without calling them. Workflows resumed
/// after a restart use the dependencies of the process that resumes them.
public struct WorkflowDependencies: Sendable {
    private struct Entry: Sendable {
        /// The key's type name, for errors that list what was provided.
        var key: String
        var value: any Sendable
    }

    private var entries: [ObjectIdentifier: Entry] = [:]

    /// No dependencies.
    public init() {}

    /// These dependencies and `value` under `key` (replacing what `key` held).
    public func with<Key: WorkflowDependencyKey>(_ key: Key.Type, _ value: Key.Value) -> WorkflowDependencies {
        var copy = self
        copy[key] = value
        return copy
    }

    /// The value provided under `key`, or nil. Setting nil removes it.
    public subscript<Key: WorkflowDependencyKey>(key: Key.Type) -> Key.Value? {
        get { entries[ObjectIdentifier(key)]?.value as? Key.Value }
        set { entries[ObjectIdentifier(key)] = newValue.map { Entry(key: String(reflecting: key), value: $0) } }
    }

    /// The names of the keys provided, sorted (for errors).
    var keyNames: [String] { entries.values.map(\.key).sorted() }

    /// Refuses what the registered workflows declare (``Workflow/dependencies``) and these do not provide: one
    /// error naming every missing key and the workflows that declare it, so that one deploy fixes them all.
    /// - Throws: ``WorkflowError`` `.missingDependency`.
    func check(_ registrations: [String: WorkflowRegistration]) throws(WorkflowError) {
        var missing: [String: Set<String>] = [:]  // key name → the workflow types that declare it
        for registration in registrations.values {
            for key in registration.dependencies where entries[ObjectIdentifier(key)] == nil {
                missing[String(reflecting: key), default: []].insert(registration.typeName)
            }
        }
        guard !missing.isEmpty else { return }
        let list = missing.keys.sorted().map { "\($0) (declared by \(missing[$0]!.sorted().joined(separator: ", ")))" }
        let given = keyNames.isEmpty ? "none" : keyNames.joined(separator: ", ")
        throw WorkflowError(
            .missingDependency,
            "the engine was not given \(list.count == 1 ? "a dependency" : "dependencies") that registered workflows declare: \(list.joined(separator: "; ")) (given: \(given)); pass \(list.count == 1 ? "it" : "them") to WorkflowEngine.open(dependencies:) (in a test: fakes); nothing was opened")
    }
}
