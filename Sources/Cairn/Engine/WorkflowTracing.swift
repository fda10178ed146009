import Foundation
import Logging
import Tracing

/// The spans an engine makes through swift-distributed-tracing, in one place (see <doc:Tracing>):
///
/// - **start `<Name>`** (producer): a workflow's start, a child's start included, a child of the caller's span (the
///   request handler's, the parent workflow's run). Its context is *recorded* in the workflow's start event
///   (``EnvelopeField/traceContext``, as the tracer injects it), so every later run of the workflow, in this process
///   or after a restart, continues that trace.
/// - **workflow `<Name>`** (consumer): one run of the workflow's code, from its replay to its end, its eviction or the
///   engine's shutdown; a child of the recorded start. A workflow resumed after a restart or a wake-up gets a new run
///   span in the same trace, so the runs of one workflow line up under its start.
/// - **step `<name>`** (internal): one attempt of a step, around its body, so the body's own spans (an HTTP client's,
///   a database's) nest under it. A blocking step's thread gets the span's context too.
///
/// Nothing is traced when the tracer is a `NoOpTracer` (swift-distributed-tracing's default when nothing was
/// bootstrapped): the engine keeps no ``WorkflowTracing`` then, and every operation pays one `nil` check.
///
/// Why record the start's context rather than the caller's: a workflow started outside any span would otherwise make
/// each of its runs the root of a trace of its own, and a crash would split its story into unrelated traces.
///
/// A class, so that the engine's `tracing` is one word: the hot paths (a step, a run, a start) test it for nil and
/// call a separate, never-inlined function when it is set, holding nothing of it across their own suspension points.
/// An existential and a logger held there would enlarge frames the task allocates for every step (measured: the
/// first version, a struct bound with `if let` in those frames, cost `concurrent` about a quarter of its speed).
final class WorkflowTracing: Sendable {
    let tracer: any Tracer
    let logger: Logger

    init(tracer: any Tracer, logger: Logger) {
        self.tracer = tracer
        self.logger = logger
    }

    /// The tracing an engine does with its configuration's tracer, or the one bootstrapped in `InstrumentationSystem`
    /// when it has none; nil when that one traces nothing.
    static func resolve(_ configured: (any Tracer)?, logger: Logger) -> WorkflowTracing? {
        let tracer = configured ?? InstrumentationSystem.tracer
        if tracer is NoOpTracer { return nil }
        return WorkflowTracing(tracer: tracer, logger: logger)
    }

    /// The most a recorded trace context may take in the log (W3C's `traceparent` and `tracestate` need well under
    /// 1 KiB); a larger one is not recorded (with a warning), and the workflow's runs start traces of their own.
    static let maxRecordedContext = 4096

    // MARK: Spans

    /// Runs `body` (which writes a workflow's start event, given the context to record in it) inside a start span.
    func start<T>(_ name: String, _ body: (_ recorded: String?) async throws -> T) async throws -> T {
        let span = tracer.startSpan("start \(name)", context: ServiceContext.current ?? .topLevel, ofKind: .producer)
        defer { span.end() }
        span.attributes["cairn.workflow.name"] = name
        do {
            return try await body(record(span.context))
        } catch {
            span.recordError(error)
            throw error
        }
    }

    /// Starts the span of one run of workflow `id`, a child of the context its start recorded.
    func startRun(_ id: String, name: String, recorded: String?, replaying operations: Int) -> any Span {
        let span = tracer.startSpan("workflow \(name)", context: context(recorded, of: id), ofKind: .consumer)
        span.attributes["cairn.workflow.id"] = id
        span.attributes["cairn.workflow.name"] = name
        span.attributes["cairn.run.recorded_operations"] = operations
        return span
    }

    /// Ends a run's span with how the run ended (``WorkflowRun/Stop``, or the code's result).
    func endRun(_ span: any Span, stop: WorkflowRun.Stop?, result: Result<[UInt8], any Error>) {
        let outcome: String
        switch stop {
        case .diverged: outcome = "diverged"
        case .parked: outcome = "parked"
        case .cancelled: outcome = "cancelled"
        case .suspended: outcome = "suspended"
        case .evicted: outcome = "evicted"
        case .frontier: outcome = "replayed"
        case nil:
            switch result {
            case .success: outcome = "completed"
            case .failure(let error):
                outcome = "failed"
                span.recordError(error)
                span.setStatus(SpanStatus(code: .error))
            }
        }
        span.attributes["cairn.run.outcome"] = outcome
        span.end()
    }

    /// Runs one attempt of step `name` inside its span; the body sees the span's context as `ServiceContext.current`.
    func attempt<T>(
        _ name: String, attempt: Int, workflowID: String, _ body: () async throws -> T
    ) async throws -> T {
        let span = tracer.startSpan("step \(name)", context: ServiceContext.current ?? .topLevel, ofKind: .internal)
        defer { span.end() }
        span.attributes["cairn.workflow.id"] = workflowID
        span.attributes["cairn.step.attempt"] = attempt
        do {
            return try await ServiceContext.$current.withValue(span.context) { try await body() }
        } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            throw error
        }
    }

    // MARK: The recorded context

    /// What a start records of `context`: the tracer's carrier, as a JSON object of strings with sorted keys; nil
    /// when the tracer injects nothing.
    func record(_ context: ServiceContext) -> String? {
        var carrier: [String: String] = [:]
        tracer.inject(context, into: &carrier, using: CarrierInjector())
        guard !carrier.isEmpty else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let data = try? encoder.encode(carrier), data.count <= Self.maxRecordedContext else {
            logger.warning(
                "the trace context is not recorded: its carrier is over \(Self.maxRecordedContext) bytes; the workflow's runs start traces of their own",
                metadata: ["carrier keys": "\(carrier.keys.sorted())"])
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The context a run's span continues: extracted from what workflow `id`'s start recorded (top level when it
    /// recorded none, or when the record does not read as a carrier — with a warning).
    func context(_ recorded: String?, of id: String) -> ServiceContext {
        var context = ServiceContext.topLevel
        guard let recorded else { return context }
        guard let carrier = try? JSONDecoder().decode([String: String].self, from: Data(recorded.utf8)) else {
            logger.warning(
                "the recorded trace context of a workflow is not a JSON object of strings; its run starts a trace of its own",
                metadata: ["workflow": "\(id)", "recorded": "\(recorded.prefix(200))"])
            return context
        }
        tracer.extract(carrier, into: &context, using: CarrierExtractor())
        return context
    }
}

/// Writes a tracer's context into a dictionary (swift-distributed-tracing's `Injector`).
private struct CarrierInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

/// Reads a tracer's context from a dictionary (swift-distributed-tracing's `Extractor`).
private struct CarrierExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
