/// The error types one process decodes recorded failures into, by ``DurableError/errorType``: every type the
/// registered workflows declare (``Workflow/errors``), children included.
///
/// One table for the whole engine rather than one per workflow: a child's error reaches its parent, and a step's
/// error the workflow that rethrows it, so whoever reads a failure must find what any registered workflow declared.
struct DurableErrorRegistry: Sendable {
    /// The types by their recorded name.
    private let types: [String: any DurableError.Type]
    /// Names claimed by two types, in name order: each an ``WorkflowError`` `.idConflict`. Empty when none is.
    let problems: [WorkflowError]

    /// The table of what `registrations` declare. The same type declared by several workflows is one entry.
    init(_ registrations: some Sequence<WorkflowRegistration>) {
        var types: [String: any DurableError.Type] = [:]
        var declaredBy: [String: String] = [:]
        var problems: [WorkflowError] = []
        // In name order, so that the problems (and which of two conflicting types is kept) do not depend on hashing.
        for registration in registrations.sorted(by: { $0.name < $1.name }) {
            for type in registration.errors {
                let name = type.errorType
                guard let existing = types[name] else {
                    types[name] = type
                    declaredBy[name] = registration.typeName
                    continue
                }
                guard ObjectIdentifier(existing) != ObjectIdentifier(type) else { continue }
                problems.append(WorkflowError(
                    .idConflict,
                    "two error types have the errorType '\(name)': \(String(reflecting: existing)) (declared in \(declaredBy[name] ?? "")) and \(String(reflecting: type)) (declared in \(registration.typeName)); a recorded failure names the type that decodes it, so a name must belong to one type — give one of them another errorType"))
            }
        }
        self.types = types
        self.problems = problems
    }

    /// The type recorded under `errorType`, if one is registered.
    subscript(errorType: String) -> (any DurableError.Type)? { types[errorType] }
}
