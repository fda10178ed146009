import Synchronization

extension WorkflowContext {
    /// Runs branches concurrently, each with a context of its own, and waits for all of them.
    ///
    /// ```swift
    /// let total = try await context.parallel { branches in
    ///     let price = branches.start { c in try await c.step("price") { try await pricing.quote(order) } }
    ///     let stock = branches.start { c in try await c.step("stock") { try await inventory.check(order) } }
    ///     // a later branch may depend on an earlier one (DAG-style):
    ///     let offer = branches.start { c in
    ///         let p = try await price.value
    ///         return try await c.step("discount", input: p) { discount(p) }
    ///     }
    ///     return try await (offer.value, stock.value)
    /// }
    /// ```
    /// The call takes one position `p`; branch `k` (numbered in the order the code starts them) records its
    /// operations at `p.k.0`, `p.k.1`, … So positions depend only on the code, never on which branch finishes
    /// first, and replay matches each branch with its own record. When the body or a branch throws, the other
    /// branches are cancelled and the error is rethrown after all of them have ended.
    public func parallel<R: Sendable>(
        _ label: String = "parallel", file: String = #fileID, line: Int = #line,
        _ body: (Branches) async throws -> R
    ) async throws -> R {
        let callSite = CallSite(file: file, line: line)
        let (position, recorded) = try await begin(AttemptedOperation(kind: .parallel, name: label, callSite: callSite))
        if recorded == nil { enqueue(event(.branchStarted, at: position, name: label, callSite: callSite)) }
        // Branch operations begin their own scopes; this context stays busy, so using it from a branch is refused.
        defer { end() }
        let branches = Branches(parent: self, prefix: position.path)
        // Waiting for its branches, this task counts as waiting (admission): the branches run for the workflow.
        let (result, branchError) = try await engine.waiting(self, .branches) { () async -> (Result<R, any Error>, (any Error)?) in
            let result: Result<R, any Error>
            do {
                result = .success(try await withTaskCancellationHandler {
                    try await body(branches)
                } onCancel: {
                    branches.cancelAll()
                })
            } catch {
                result = .failure(error)
                branches.cancelAll()
            }
            return (result, await branches.join())
        }
        if case .failure(let error) = result {
            // The body awaited a branch that was cancelled because another failed: report that failure.
            if error is CancellationError, let branchError { throw branchError }
            throw error
        }
        if let branchError { throw branchError }
        return try result.get()
    }

    /// Runs `body` for every element in a branch of its own and returns the results in the elements' order:
    /// fan-out/fan-in. Positions follow the elements' order, not completion order.
    public func map<T: Sendable, R: Sendable>(
        _ elements: [T], file: String = #fileID, line: Int = #line,
        _ body: @escaping @Sendable (WorkflowContext, T) async throws -> R
    ) async throws -> [R] {
        try await parallel("map", file: file, line: line) { branches in
            let started = elements.map { element in branches.start { context in try await body(context, element) } }
            var results: [R] = []
            results.reserveCapacity(started.count)
            for branch in started { results.append(try await branch.value) }
            return results
        }
    }
}

/// The branches of one ``WorkflowContext/parallel(_:file:line:_:)`` call. Start branches from the parallel body
/// (not from inside other branches), in an order that does not depend on timing.
public final class Branches: Sendable {
    private let parent: WorkflowContext
    private let prefix: [UInt32]
    private let state = Mutex<(next: UInt32, tasks: [Task<Void, Never>], firstError: (any Error)?)>((0, [], nil))

    init(parent: WorkflowContext, prefix: [UInt32]) {
        self.parent = parent
        self.prefix = prefix
    }

    /// Starts a branch with its own context; its value is available from the returned ``Branch``.
    public func start<R: Sendable>(_ body: @escaping @Sendable (WorkflowContext) async throws -> R) -> Branch<R> {
        let branch = Branch<R>(run: parent.run)
        parent.engine.branchStarted(parent.run)
        state.withLock { s in
            let context = WorkflowContext(run: parent.run, prefix: prefix + [s.next])
            s.next += 1
            let task = Task {
                context.adoptCurrentTask()
                let result: Result<R, any Error>
                do {
                    let value = try await body(context)
                    result = .success(value)
                } catch {
                    result = .failure(error)
                }
                // The branch's last outcomes are durable before anyone sees its result (the commit rule).
                var final = result
                do {
                    try await context.engine.commit(context.takePending())
                } catch {
                    final = .failure(error)
                }
                if case .failure(let error) = final { self.failed(error) }
                branch.complete(final)
                await context.engine.branchEnded(context.run)
            }
            s.tasks.append(task)
        }
        return branch
    }

    private func failed(_ error: any Error) {
        let first = state.withLock { s -> Bool in
            guard s.firstError == nil else { return false }
            s.firstError = error
            return true
        }
        if first { cancelAll() }
    }

    func cancelAll() {
        for task in state.withLock({ $0.tasks }) { task.cancel() }
    }

    /// Waits for every branch; returns the first branch error.
    func join() async -> (any Error)? {
        // Suspended on its branches, the body runs no code: the run may now wait as a whole (see
        // `WorkflowRun.recovering`). Unblocked by itself at the end, when no branch is left to run either.
        let run = parent.run
        if run.blockOnBranch() { await run.engine.recoverySucceeded(run) }
        defer { run.unblock(1) }
        var i = 0
        while true {
            let task = state.withLock { s -> Task<Void, Never>? in i < s.tasks.count ? s.tasks[i] : nil }
            guard let task else { break }
            await task.value
            i += 1
        }
        return state.withLock { $0.firstError }
    }
}

/// A running branch; `value` waits for its result.
public final class Branch<R: Sendable>: Sendable {
    private struct State {
        var result: Result<R, any Error>?
        var waiters: [CheckedContinuation<Result<R, any Error>, Never>] = []
        /// Tasks of the run counted as suspended on this branch (``WorkflowRun/blockOnBranch()``); the result's
        /// arrival uncounts them at once, under this lock, so the run never looks idle while one is about to run.
        var blocked = 0
    }

    private let run: WorkflowRun
    private let state = Mutex(State())

    init(run: WorkflowRun) {
        self.run = run
    }

    func complete(_ result: Result<R, any Error>) {
        let waiters = state.withLock { s -> [CheckedContinuation<Result<R, any Error>, Never>] in
            s.result = result
            run.unblock(s.blocked)
            s.blocked = 0
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    /// The branch's result; rethrows its error.
    public var value: R {
        get async throws {
            // Not there yet: this task is about to suspend on the branch, running no code (the run may now wait as
            // a whole: see `WorkflowRun.recovering`).
            let settles = state.withLock { s -> Bool? in
                guard s.result == nil else { return nil }
                s.blocked += 1
                return run.blockOnBranch()
            }
            if settles == true { await run.engine.recoverySucceeded(run) }
            let result = await withCheckedContinuation { (c: CheckedContinuation<Result<R, any Error>, Never>) in
                let ready = state.withLock { s -> Result<R, any Error>? in
                    if let result = s.result { return result }
                    s.waiters.append(c)
                    return nil
                }
                if let ready { c.resume(returning: ready) }
            }
            return try result.get()
        }
    }
}
