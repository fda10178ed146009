@testable import Cairn
import CairnLog
import InMemoryTracing
import Testing
import Tracing

/// Returns the span ID its step bodies see as the current context, so a test can tell which span they ran in.
private func currentSpanID() -> String { ServiceContext.current?.inMemorySpanContext?.spanID ?? "none" }

private struct TracedChild: Workflow {
    static let name = "traced-child"
    static func run(_ context: WorkflowContext, input: String) async throws -> String {
        try await context.step("child-step") { currentSpanID() }
    }
}

private final class FailOnce: Sendable {
    let failed = LockedBox(false)
    func call() throws -> String {
        if failed.get() { return currentSpanID() }
        failed.set(true)
        throw Declined()
    }
    struct Declined: Error {}
    static let shared = LockedBox<[String: FailOnce]>([:])
}

/// A step, a blocking step, a step that fails once and is retried, and a child.
private struct TracedOrder: Workflow {
    static let name = "traced-order"
    static var children: [any Workflow.Type] { [TracedChild.self] }

    struct Output: Codable, Sendable {
        var reserve: String
        var blocking: String
        var charge: String
        var child: String
    }

    static func run(_ context: WorkflowContext, input: String) async throws -> Output {
        let reserve = try await context.step("reserve") { currentSpanID() }
        let blocking = try await context.blockingStep("blocking") { currentSpanID() }
        let once = FailOnce.shared[input] ?? FailOnce()
        FailOnce.shared.set(input, once)
        let charge = try await context.step("charge", retry: RetryPolicy(maxAttempts: 2, initialInterval: .milliseconds(1))) {
            try once.call()
        }
        let child = try await context.runChild(TracedChild.self, input: input)
        return Output(reserve: reserve, blocking: blocking, charge: charge, child: child)
    }
}

/// A step, a wait for a message, then a step: a crash in the wait resumes the workflow in a new run.
private struct TracedWait: Workflow {
    static let name = "traced-wait"
    static func run(_ context: WorkflowContext, input: String) async throws -> [String] {
        let before = try await context.step("before") { currentSpanID() }
        _ = try await context.receive(String.self, topic: "go")
        let after = try await context.step("after") { currentSpanID() }
        return [before, after]
    }
}

@Suite("Tracing: spans per start, run and step attempt, continued after a restart")
struct TracingTests {
    private func configuration(_ tracer: (any Tracer)?, logs: LogCapture = LogCapture()) -> EngineConfiguration {
        var configuration = testConfiguration(logs: logs)
        configuration.tracer = tracer
        return configuration
    }

    private func spans(_ tracer: InMemoryTracer, named name: String) -> [FinishedInMemorySpan] {
        tracer.finishedSpans.filter { $0.operationName == name }
    }

    private func only(_ tracer: InMemoryTracer, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> FinishedInMemorySpan {
        let found = spans(tracer, named: name)
        try #require(found.count == 1, "one span '\(name)', found \(found.count): \(tracer.finishedSpans.map(\.operationName))", sourceLocation: sourceLocation)
        return found[0]
    }

    @Test("the caller's span is the start's parent; the run, the step attempts and the child nest under it; bodies run in their step's span")
    func spansNest() async throws {
        let tracer = InMemoryTracer()
        let output = try await withDirectory { dir in
            try await withEngine(dir, [TracedOrder.self], configuration: configuration(tracer)) { engine in
                let request = tracer.startSpan("request", context: .topLevel)
                let handle = try await ServiceContext.$current.withValue(request.context) {
                    try await engine.start(TracedOrder.self, input: "nest", id: "order-nest")
                }
                request.end()
                return try await result(handle)
            }
        }
        let request = try only(tracer, "request")
        let start = try only(tracer, "start traced-order")
        let run = try only(tracer, "workflow traced-order")
        let trace = request.traceID
        #expect(start.parentSpanID == request.spanID && start.kind == .producer)
        #expect(run.parentSpanID == start.spanID && run.kind == .consumer)
        #expect(run.attributes.get("cairn.workflow.id") == .string("order-nest"))
        #expect(run.attributes.get("cairn.run.outcome") == .string("completed"))

        let reserve = try only(tracer, "step reserve")
        let blocking = try only(tracer, "step blocking")
        #expect(reserve.parentSpanID == run.spanID && blocking.parentSpanID == run.spanID)
        #expect(output.reserve == reserve.spanID, "the body ran in its step's span")
        #expect(output.blocking == blocking.spanID, "the blocking body's thread has its step's span")

        let charges = spans(tracer, named: "step charge")
        #expect(charges.map { $0.attributes.get("cairn.step.attempt") } == [.int64(1), .int64(2)], "a span per attempt")
        #expect(charges.first?.errors.count == 1 && charges.last?.errors.isEmpty == true)
        #expect(output.charge == charges.last?.spanID)

        let childStart = try only(tracer, "start traced-child")
        let childRun = try only(tracer, "workflow traced-child")
        let childStep = try only(tracer, "step child-step")
        #expect(childStart.parentSpanID == run.spanID, "the parent's run starts the child")
        #expect(childRun.parentSpanID == childStart.spanID && childStep.parentSpanID == childRun.spanID)
        #expect(output.child == childStep.spanID)
        #expect(tracer.finishedSpans.allSatisfy { $0.traceID == trace }, "one trace: \(tracer.finishedSpans.map { ($0.operationName, $0.traceID) })")
    }

    @Test("after a crash, the resumed run continues the trace its start recorded, in another process's tracer")
    func traceContinuesAfterRestart() async throws {
        try await withDirectory { dir in
            let first = InMemoryTracer()
            let running = try await RunningEngine.start(dir, [TracedWait.self], configuration: configuration(first))
            let request = first.startSpan("request", context: .topLevel)
            _ = try await ServiceContext.$current.withValue(request.context) {
                try await running.engine.start(TracedWait.self, input: "w", id: "wait")
            }
            request.end()
            try await eventually("the workflow to wait for its message") {
                running.engine.summary(of: "wait")?.historyCount == 2
            }
            try await running.crash()
            let start = try only(first, "start traced-wait")
            #expect(start.parentSpanID == request.spanID)

            // A new tracer, as a new process has: only the recorded context links the runs.
            let second = InMemoryTracer(idGenerator: .init(nextTraceID: { "fresh-trace" }, nextSpanID: { "s\(Int.random(in: 0..<1_000_000_000))" }))
            let output = try await withEngine(dir, [TracedWait.self], configuration: configuration(second)) { engine in
                try await engine.send("now", to: "wait", topic: "go")
                return try await result(engine.handle(for: "wait", of: TracedWait.self))
            }
            let resumed = try only(second, "workflow traced-wait")
            #expect(resumed.traceID == request.traceID, "the resumed run is in the caller's trace")
            #expect(resumed.parentSpanID == start.spanID, "under the recorded start")
            #expect(resumed.attributes.get("cairn.run.recorded_operations") == .int64(2))
            let after = try only(second, "step after")
            #expect(after.parentSpanID == resumed.spanID && output[1] == after.spanID)
            #expect(spans(second, named: "step before").isEmpty, "a replayed step is not attempted again")
        }
    }

    @Test("a workflow started outside any span: its start is the root, and its runs are in that trace")
    func startWithoutCaller() async throws {
        let tracer = InMemoryTracer()
        try await withDirectory { dir in
            try await withEngine(dir, [TracedChild.self], configuration: configuration(tracer)) { engine in
                _ = try await result(try await engine.start(TracedChild.self, input: "x", id: "rootless"))
                let start = try #require(try await engine.history(of: "rootless").collect().first { $0.event.kind == .workflowStarted })
                #expect(start.event.traceContext?.contains(InMemoryTracer.traceIDKey) == true, "the start's context is recorded")
            }
        }
        let start = try only(tracer, "start traced-child")
        let run = try only(tracer, "workflow traced-child")
        #expect(start.parentSpanID == nil && run.parentSpanID == start.spanID && run.traceID == start.traceID)
    }

    @Test("a fork is traced as a start: the forked workflow's run continues the trace of the code that forked it")
    func forkContinuesTheCallersTrace() async throws {
        let tracer = InMemoryTracer()
        try await withDirectory { dir in
            try await withEngine(dir, [TracedChild.self], configuration: configuration(tracer)) { engine in
                _ = try await result(try await engine.start(TracedChild.self, input: "x", id: "original"))
                let request = tracer.startSpan("fork request", context: .topLevel)
                let forked = try await ServiceContext.$current.withValue(request.context) {
                    try await engine.fork("original", before: 0, newID: "forked")
                }
                request.end()
                _ = try await result(engine.handle(for: forked, of: TracedChild.self))
            }
        }
        let request = try only(tracer, "fork request")
        let starts = spans(tracer, named: "start traced-child")
        let forkStart = try #require(starts.first { $0.parentSpanID == request.spanID }, "\(starts.map(\.parentSpanID))")
        let runs = spans(tracer, named: "workflow traced-child")
        let forkRun = try #require(runs.first { $0.attributes.get("cairn.workflow.id") == .string("forked") })
        #expect(forkRun.parentSpanID == forkStart.spanID && forkRun.traceID == request.traceID)
    }

    @Test("no tracer: nothing is recorded in the start, and a step body sees no span", arguments: [false, true])
    func noTracer(explicitNoOp: Bool) async throws {
        try await withDirectory { dir in
            try await withEngine(dir, [TracedChild.self], configuration: configuration(explicitNoOp ? NoOpTracer() : nil)) { engine in
                #expect(engine.tracing == nil)
                #expect(try await result(try await engine.start(TracedChild.self, input: "x", id: "untraced")) == "none")
                let start = try #require(try await engine.history(of: "untraced").collect().first { $0.event.kind == .workflowStarted })
                #expect(start.event.traceContext == nil)
            }
        }
    }

    @Test("a recorded context that is not a carrier: the run starts a trace of its own, with a warning naming the workflow")
    func unreadableRecordedContext() async throws {
        try await withDirectory { dir in
            let log = try await Log.open(at: dir, configuration: testConfiguration().log)
            let start = Event(
                kind: .workflowStarted, workflowID: "odd", name: TracedChild.name, time: 1, traceContext: "not a carrier",
                payload: try JSONPayloadCodec().encode("x"))
            _ = try await log.append(start.record())
            try await log.close()

            let tracer = InMemoryTracer()
            let logs = LogCapture()
            let output = try await withEngine(dir, [TracedChild.self], configuration: configuration(tracer, logs: logs)) { engine in
                try await result(engine.handle(for: "odd", of: TracedChild.self))
            }
            let run = try only(tracer, "workflow traced-child")
            #expect(run.parentSpanID == nil)
            #expect(output == (try only(tracer, "step child-step")).spanID)
            #expect(logs.all.contains { $0.message.contains("recorded trace context") && $0.metadata["workflow"] == "odd" })
        }
    }
}
