public import Cairn

/// Checks, without an engine, the workflow types a service passes to
/// ``Cairn/WorkflowEngine/open(directory:configuration:workflows:dependencies:)``: registers them with the children they declare
/// (``Cairn/Workflow/children``), transitively, and throws the error `open` would throw for them.
///
/// One line in a test catches, before a deploy, two workflow types under one name — given, or found as children:
/// ```swift
/// @Test func workflowsRegister() throws {
///     let names = try verifyRegistration([ProcessOrder.self, Refund.self])
///     #expect(names.contains(ChargeCard.name))  // a child ProcessOrder declares
/// }
/// ```
/// A child a workflow starts but does not declare cannot be seen here (the check does not run code): declare every
/// child in ``Cairn/Workflow/children``, and a missing one shows in the returned names.
///
/// Given the service's `dependencies` too, it checks them against what the workflows declare
/// (``Cairn/Workflow/dependencies``), as `open` does: a key the service forgot to wire fails the test, not the deploy.
/// - Returns: the registered workflow names, sorted.
/// - Throws: ``Cairn/WorkflowError`` `.idConflict`, with the same message as `open`, naming the name, both types and
///   where each was found; `.missingDependency`, naming each declared key not given and who declares it.
@discardableResult
public func verifyRegistration(
    _ workflows: [any Workflow.Type], dependencies: WorkflowDependencies? = nil
) throws(WorkflowError) -> [String] {
    let registry = try WorkflowRegistry.resolve(workflows)
    if let dependencies { try registry.check(dependencies) }
    return registry.names
}
