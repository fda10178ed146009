#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A durable workflow: ordinary async Swift code whose every operation on its ``WorkflowContext`` is recorded, so
/// that after a crash it resumes where it stopped.
///
/// ```swift
/// struct ProcessOrder: Workflow {
///     static let name = "process-order"
///     static var dependencies: [any WorkflowDependencyKey.Type] { [Inventory.self, Payments.self] }
///
///     static func run(_ context: WorkflowContext, input order: Order) async throws -> Receipt {
///         let reservation = try await context.step("reserve-inventory") {
///             try await context.dependency(Inventory.self).reserve(order)
///         }
///         let charge = try await context.step("charge-card", retry: .exponential(maxAttempts: 5)) {
///             try await context.dependency(Payments.self).charge(order.total, card: order.card)
///         }
///         try await context.sleep(for: .seconds(30))
///         return Receipt(reservation: reservation, charge: charge)
///     }
/// }
/// ```
///
/// The body must be deterministic: given the same recorded history it must make the same operations in the same
/// order. Anything that varies between runs (time, randomness, I/O, other services) goes through the context:
/// inside a ``WorkflowContext/step(_:retry:timeout:file:line:_:)`` or as ``WorkflowContext/now(file:line:)``,
/// ``WorkflowContext/uuid(file:line:)``, ``WorkflowContext/random(in:file:line:)``. See <doc:VerifyingDeterminism>.
///
/// `run` is static: the service's clients reach it as injected dependencies (<doc:Dependencies>), not as state of
/// a workflow value or a global.
public protocol Workflow: Sendable {
    /// The workflow's input.
    associatedtype Input: Codable & Sendable
    /// The workflow's result.
    associatedtype Output: Codable & Sendable

    /// The name under which histories record this workflow. Keep it stable: recovery finds the code by it.
    static var name: String { get }

    /// The workflow types this workflow may start as children (``WorkflowContext/startChild(_:input:id:file:line:)``,
    /// ``WorkflowContext/runChild(_:input:id:file:line:)``); none by default.
    ///
    /// ``WorkflowEngine/open(directory:configuration:workflows:dependencies:)`` registers them, and theirs, transitively: a
    /// service passes only its top-level workflows, and a child missing from the list cannot be forgotten. A
    /// workflow may declare itself (recursion). Two types found under one name are refused at open.
    /// ```swift
    /// static var children: [any Workflow.Type] { [ReserveStock.self, ChargeCard.self] }
    /// ```
    static var children: [any Workflow.Type] { get }

    /// The dependencies this workflow reaches with ``WorkflowContext/dependency(_:file:line:)``; none by default.
    ///
    /// ``WorkflowEngine/open(directory:configuration:workflows:dependencies:)`` refuses to open when a registered
    /// workflow (a child too) declares one the engine was not given: a deploy that forgot it fails at start, not in
    /// a workflow hours later. Declaring is optional: a lookup of an undeclared key works, and parks the workflow
    /// when the key is missing. A replay does not check: it runs no step, and needs only the dependencies its
    /// workflows' bodies look up.
    /// ```swift
    /// static var dependencies: [any WorkflowDependencyKey.Type] { [Payments.self, Warehouse.self] }
    /// ```
    static var dependencies: [any WorkflowDependencyKey.Type] { get }

    /// The error types this workflow's steps and body throw that callers catch by type (``DurableError``); none by
    /// default. Registered at open with the workflow, as ``children`` are.
    static var errors: [any DurableError.Type] { get }

    /// The workflow's body.
    static func run(_ context: WorkflowContext, input: Input) async throws -> Output
}

extension Workflow {
    /// No children: a workflow that starts none need not say so.
    public static var children: [any Workflow.Type] { [] }

    /// No dependencies declared.
    public static var dependencies: [any WorkflowDependencyKey.Type] { [] }
}

/// A workflow registered with the engine, with its types erased: decodes the input, runs, encodes the output.
struct WorkflowRegistration: Sendable {
    let name: String
    /// The registered type, to tell it from another type of the same name, and to name it in errors.
    let typeID: ObjectIdentifier
    let typeName: String
    /// The dependencies the workflow declares (``Workflow/dependencies``), checked at open.
    let dependencies: [any WorkflowDependencyKey.Type]
    /// The error types the workflow declares (``Workflow/errors``).
    let errors: [any DurableError.Type]
    let run: @Sendable (WorkflowContext, [UInt8], any PayloadCodec) async throws -> [UInt8]
    /// Starts the workflow from a JSON input decoded as its input type, by ``WorkflowEngine/start(_:input:id:)``
    /// (what ``WorkflowEngine/start(workflowNamed:jsonInput:id:)`` calls): returns the workflow's ID.
    let startFromJSON: @Sendable (WorkflowEngine, [UInt8], String?) async throws -> String

    init<W: Workflow>(_ type: W.Type) {
        name = W.name
        typeID = ObjectIdentifier(W.self)
        typeName = String(reflecting: W.self)
        dependencies = W.dependencies
        errors = W.errors
        run = { context, input, codec in
            context.adoptCurrentTask()
            let decoded = try Self.decodeInput(W.Input.self, from: input, codec: codec, context: context)
            let output = try await W.run(context, input: decoded)
            return try context.run.engine.encode(output, what: "the workflow's result", workflowID: context.workflowID)
        }
        startFromJSON = { engine, json, id in
            let input = try WorkflowRegistration.decodeJSONInput(W.Input.self, from: json, workflow: W.name)
            return try await engine.start(W.self, input: input, id: id).id
        }
    }

    /// A JSON input (from the HTTP API or a remote `cairn start`) as the workflow's input type.
    /// - Throws: ``WorkflowError`` `.invalidArgument`, saying where the JSON does not fit the type.
    @inline(never)
    private static func decodeJSONInput<Input: Decodable>(
        _ type: Input.Type, from json: [UInt8], workflow name: String
    ) throws(WorkflowError) -> Input {
        do {
            return try JSONDecoder().decode(Input.self, from: Data(json))
        } catch {
            throw WorkflowError(
                .invalidArgument,
                "the input is not a valid \(String(reflecting: Input.self)), the input of workflow '\(name)': \(JSONProblem(error)); nothing was started")
        }
    }

    /// Kept out of the closure above, whose frame the workflow's task holds for the whole run.
    @inline(never)
    private static func decodeInput<Input: Decodable>(
        _ type: Input.Type, from input: [UInt8], codec: any PayloadCodec, context: WorkflowContext
    ) throws -> Input {
        do {
            return try codec.decode(Input.self, from: input)
        } catch {
            throw context.run.undecodable(WorkflowError(
                .undecodablePayload,
                "the workflow's recorded input does not decode as \(Input.self) (\(error)); did the input type change?",
                workflowID: context.workflowID, underlying: SendableError(error)))
        }
    }
}
