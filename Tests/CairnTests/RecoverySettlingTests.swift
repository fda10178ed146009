@testable import Cairn
import Testing

/// When a workflow resumed after an unclean stop has reached a wait, so that its recovery attempt is settled
/// (`WorkflowRun.recovering`, ``EventKind/recoverySucceeded``): only when none of its tasks runs code. The
/// engine-level behaviour (a workflow whose parallel branches all wait is never parked by unclean restarts; one
/// whose branch runs a step still is) is in ``RecoveryAttemptTests``; these pin the moments a test through the
/// engine cannot make happen on purpose.
@Suite("A recovering run settles at its first moment of running no code")
struct RecoverySettlingTests {
    static func run(recovering: Bool = true) -> WorkflowRun {
        let engine = WorkflowEngine(
            directory: "", configuration: EngineConfiguration(), store: nil, registry: [:],
            dependencies: WorkflowDependencies(), projection: Projection())
        return WorkflowRun(engine: engine, id: "w", name: "n", history: [:], recovering: recovering)
    }

    static func sleep(_ deadline: Int64) -> Wait { .durable(WakeUp(deadline: deadline)) }

    @Test("a parallel body counts as waiting while it starts branches, but it runs code: no settling until it blocks on one")
    func bodyStartingBranches() {
        let run = Self.run()
        #expect(!run.enterWait(.branches).settles)  // the body begins: it starts branches from inside this wait
        _ = run.branchStarted()
        #expect(!run.enterWait(Self.sleep(10)).settles)  // branch 0 sleeps while the body goes on
        _ = run.branchStarted()
        #expect(!run.enterWait(Self.sleep(20)).settles)  // so does branch 1
        #expect(run.blockOnBranch())  // the body awaits a branch's value: nothing runs
        #expect(!run.blockOnBranch())  // reported once
    }

    @Test("a branch that ends hands its waiter back to running: the run settles only once that waiter blocks again")
    func branchEnding() {
        let run = Self.run()
        _ = run.enterWait(.branches)
        _ = run.branchStarted()  // A
        _ = run.branchStarted()  // B
        #expect(!run.enterWait(Self.sleep(10)).settles)  // A sleeps; B runs
        #expect(!run.blockOnBranch())  // the body awaits B
        run.unblock(1)  // B's result arrives: the body runs again (Branch.complete)
        #expect(!run.branchEnded().settles)  // B's task ends; the body is about to run
        #expect(run.blockOnBranch())  // the body awaits A, which sleeps
    }

    @Test("a top-level wait settles a recovering run; a pause does too; a run that is not recovering never settles")
    func topLevel() {
        #expect(Self.run().enterWait(Self.sleep(10)).settles)
        #expect(Self.run().enterWait(.pause).settles)
        let fresh = Self.run(recovering: false)
        #expect(!fresh.enterWait(Self.sleep(10)).settles)
        #expect(!fresh.blockOnBranch())
    }
}
