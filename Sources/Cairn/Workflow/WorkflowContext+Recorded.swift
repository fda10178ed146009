#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension WorkflowContext {
    /// The current time, recorded: replay returns the time of the first run. Use it instead of `Date()`.
    public func now(file: String = #fileID, line: Int = #line) async throws -> Date {
        let nanos: Int64 = try await recordValue("now", file: file, line: line) { engine.clock.now() }
        return Date(timeIntervalSince1970: Double(nanos) / 1e9)
    }

    /// A random UUID, recorded: replay returns the same one. Use it instead of `UUID()`.
    public func uuid(file: String = #fileID, line: Int = #line) async throws -> UUID {
        let text: String = try await recordValue("uuid", file: file, line: line) { randomUUIDString() }
        guard let uuid = UUID(uuidString: text) else {
            throw run.undecodable(WorkflowError(
                .undecodablePayload, "the recorded uuid '\(text.prefix(64))' is not a UUID", workflowID: workflowID))
        }
        return uuid
    }

    /// A random integer in `range`, recorded: replay returns the same one. Use it instead of `Int.random(in:)`.
    /// - Throws: ``WorkflowError`` `.invalidArgument` for an empty range (where `Int.random(in:)` would trap, and
    ///   trap again at every restart), before anything is recorded.
    public func random(in range: Range<Int>, file: String = #fileID, line: Int = #line) async throws -> Int {
        guard !range.isEmpty else {
            throw WorkflowError(
                .invalidArgument, "random(in:) at \(CallSite(file: file, line: line)) was given the empty range \(range); nothing was recorded",
                workflowID: workflowID)
        }
        return try await recordValue("random", file: file, line: line) { Int.random(in: range) }
    }

    /// Records any value computed outside the workflow's determinism (an environment variable, a configuration
    /// read) so that replay sees the value of the first run.
    public func record<T: Codable & Sendable>(
        _ name: String, file: String = #fileID, line: Int = #line, _ compute: @Sendable () throws -> T
    ) async throws -> T {
        try await recordValue(name, file: file, line: line, compute)
    }

    func recordValue<T: Codable & Sendable>(
        _ name: String, file: String, line: Int, _ compute: () throws -> T
    ) async throws -> T {
        let callSite = CallSite(file: file, line: line)
        let (position, recorded) = try await begin(AttemptedOperation(kind: .recordValue, name: name, callSite: callSite))
        defer { end() }
        if let recorded = recorded?.event {
            return try decode(T.self, recorded.payload, what: "the recorded \(name)", at: position)
        }
        let value = try compute()
        enqueue(event(.valueRecorded, at: position, name: name, callSite: callSite, payload: try encode(value, what: "the recorded \(name)", at: position)))
        return value
    }
}
