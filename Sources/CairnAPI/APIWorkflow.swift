public import Cairn

public import Foundation

/// A workflow as the API shows it: ``WorkflowSummary`` with dates, its failure or why it is parked, and (for one
/// workflow, not in lists) its input, result and event values.
public struct APIWorkflow: Codable, Sendable, Hashable {
    /// Its ID.
    public var id: String
    /// Its registered workflow name.
    public var name: String
    /// Its status now.
    public var status: WorkflowStatus
    /// When it was started.
    public var startedAt: Date
    /// When its status last changed (when it finished, for a finished one).
    public var updatedAt: Date
    /// The workflow that started it as a child, if one did.
    public var parentID: String?
    /// Why it failed (failed), or why it was parked or diverged.
    public var failure: APIFailure?
    /// Why it is parked or diverged (the recorded message; for a divergence, the determinism report).
    public var parkReason: String?
    /// The kind of parking, a ``ParkReason`` raw value (`diverged`, `unknownWorkflow`, `recoveryExhausted`, …).
    public var parkedBecause: String?
    /// A diverged workflow's report, parsed from ``parkReason``: what the log recorded and what the code attempted.
    public var divergence: APIDivergence?
    /// How many of its recorded operations the engine keeps for replay (0 once it finished: a finished workflow
    /// keeps none in memory; its history is still read from the store).
    public var historyCount: Int
    /// The deadline it was started with, if any.
    public var deadline: Date?
    /// Cancelled because its deadline passed.
    public var timedOut: Bool
    /// Why an enqueued workflow has not started (its queue's limits, a delay).
    public var waitingFor: String?
    /// Its input (one workflow's summary only).
    public var input: APIPayload?
    /// Its result, once completed (one workflow's summary only).
    public var output: APIPayload?
    /// The current value of each event it set (one workflow's summary only).
    public var eventValues: [String: APIPayload]?

    /// The API's form of `summary`, with the parts a single workflow's answer adds.
    public init(
        _ summary: WorkflowSummary, waitingFor: String? = nil, input: APIPayload? = nil, output: APIPayload? = nil,
        eventValues: [String: APIPayload]? = nil
    ) {
        id = summary.id
        name = summary.name
        status = summary.status
        startedAt = Date(timeIntervalSince1970: Double(summary.startedAt) / 1e9)
        updatedAt = Date(timeIntervalSince1970: Double(summary.updatedAt) / 1e9)
        parentID = summary.parentID
        failure = summary.failure.map { APIFailure(errorType: $0.errorType, message: $0.message) }
        parkReason = summary.parkReason
        parkedBecause = summary.parkedBecause?.rawValue
        divergence = summary.status == .diverged ? summary.parkReason.flatMap(APIDivergence.init(report:)) : nil
        historyCount = summary.historyCount
        deadline = summary.deadline.map { Date(timeIntervalSince1970: Double($0) / 1e9) }
        timedOut = summary.timedOut
        self.waitingFor = waitingFor
        self.input = input
        self.output = output
        self.eventValues = eventValues
    }
}

/// A recorded error: its type and message.
public struct APIFailure: Codable, Sendable, Hashable {
    /// The error's type (a durable error's name, or the Swift type).
    public var errorType: String
    /// The error's message.
    public var message: String

    /// A failure of `errorType` saying `message`.
    public init(errorType: String, message: String) {
        self.errorType = errorType
        self.message = message
    }
}

/// A divergence report (``DeterminismError``) in parts: the position, what the log recorded there and what the
/// code attempted instead, each with its call site, and why they differ.
public struct APIDivergence: Codable, Sendable, Hashable {
    /// Where it diverged (`3`, `2.1`).
    public var position: String?
    /// The operation the log recorded there, with its call site.
    public var recorded: String
    /// The operation the code attempted instead, with its call site.
    public var attempted: String
    /// Why the two differ.
    public var reason: String

    /// Parses ``DeterminismError/description``: a first line naming the position, then `recorded:`, `attempted:`
    /// and the reason. Nil when `report` is not one.
    public init?(report: String) {
        let lines = report.split(separator: "\n", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
        func value(_ label: String) -> String? {
            lines.first { $0.hasPrefix(label) }.map { String($0.dropFirst(label.count)).trimmingCharacters(in: .whitespaces) }
        }
        guard let recorded = value("recorded:"), let attempted = value("attempted:") else { return nil }
        self.recorded = recorded
        self.attempted = attempted
        reason = lines.last { !$0.hasPrefix("recorded:") && !$0.hasPrefix("attempted:") && !$0.contains(" diverged at position ") } ?? ""
        if let first = lines.first, let range = first.range(of: " diverged at position ") {
            position = first[range.upperBound...].split(separator: " ").first.map(String.init)
        }
    }
}

/// A page of workflows, newest start first, and the cursor of the next page (nil when there is none).
public struct APIWorkflowPage: Codable, Sendable, Hashable {
    /// The workflows of this page.
    public var workflows: [APIWorkflow]
    /// The cursor of the next page (`cursor=`); nil when there is none.
    public var next: String?

    /// A page of `workflows`, continuing at `next`.
    public init(workflows: [APIWorkflow], next: String?) {
        self.workflows = workflows
        self.next = next
    }
}
