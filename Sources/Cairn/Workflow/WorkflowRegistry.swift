/// The workflows one process can run, by name: the types given to
/// ``WorkflowEngine/open(directory:configuration:workflows:dependencies:)`` and, transitively, the children they declare
/// (``Workflow/children``).
///
/// The one place that decides what a list of workflow types registers and what is wrong with it: the engine's open
/// (and ``WorkflowEngine/replay(directory:workflows:dependencies:ids:mode:configuration:)``) and CairnTesting's
/// `verifyRegistration(_:)` all go through ``resolve(_:)``, so a test without an engine catches what `open` would
/// refuse in production, with the same error.
package struct WorkflowRegistry: Sendable {
    /// The registrations by workflow name.
    let registrations: [String: WorkflowRegistration]
    /// What keeps these types from running together, in the order the walk meets it (given types first, then
    /// their children, level by level; then error types, ``DurableErrorRegistry``): each a ``WorkflowError``
    /// `.idConflict` naming the name, both types and where each was found. Empty when they can.
    let problems: [WorkflowError]

    /// Walks `workflows` and the children they declare, breadth first. Each type is visited once (by identity), so
    /// a workflow that declares itself, or a cycle of them, ends the walk; the same type found twice is no problem.
    package init(_ workflows: [any Workflow.Type]) {
        var registrations: [String: WorkflowRegistration] = [:]
        var origins: [String: String] = [:]  // by name: where the registered type was found, for errors
        var problems: [WorkflowError] = []
        var visited: Set<ObjectIdentifier> = []
        var queue: [(type: any Workflow.Type, origin: String)] = workflows.map { ($0, "passed to WorkflowEngine.open(workflows:)") }
        var next = 0
        while next < queue.count {
            let (type, origin) = queue[next]
            next += 1
            guard visited.insert(ObjectIdentifier(type)).inserted else { continue }
            let registration = WorkflowRegistration(type)
            if let existing = registrations[registration.name] {
                problems.append(WorkflowError(
                    .idConflict,
                    "two workflow types have the name '\(registration.name)': \(existing.typeName) (\(origins[registration.name] ?? "")) and \(registration.typeName) (\(origin)); a history names the code that replays it, so a name must belong to one type — give one of them another name (static let name), or use the same type in both places"))
            } else {
                registrations[registration.name] = registration
                origins[registration.name] = origin
            }
            // A conflicting type's children are walked too: every problem shows at once.
            let declaredBy = "declared in \(registration.typeName).children"
            for child in type.children { queue.append((child, declaredBy)) }
        }
        self.registrations = registrations
        self.problems = problems + DurableErrorRegistry(registrations.values).problems
    }

    /// The registry of `workflows`.
    /// - Throws: the first of its ``problems``, whose message goes on with the others' when there are more: one
    ///   deploy fixes them all.
    package static func resolve(_ workflows: [any Workflow.Type]) throws(WorkflowError) -> WorkflowRegistry {
        let registry = WorkflowRegistry(workflows)
        guard var refusal = registry.problems.first else { return registry }
        let others = registry.problems.dropFirst()
        if !others.isEmpty {
            refusal.message += " — and \(others.count) more: " + others.map(\.message).joined(separator: " — ")
        }
        throw refusal
    }

    /// The registered workflow names, sorted.
    package var names: [String] { registrations.keys.sorted() }

    /// Checks `dependencies` against the keys these workflows declare, as `open` does.
    /// - Throws: ``WorkflowError`` `.missingDependency`, naming each declared key not given and who declares it.
    package func check(_ dependencies: WorkflowDependencies) throws(WorkflowError) {
        try dependencies.check(registrations)
    }
}
