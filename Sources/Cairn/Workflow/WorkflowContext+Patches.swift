extension WorkflowContext {
    /// Lets workflow code change while histories recorded by the old code still replay.
    ///
    /// ```swift
    /// if try await context.patched("send-receipt-email") {
    ///     try await context.step("send-receipt") { try await mailer.sendReceipt(order) }
    /// }
    /// ```
    /// New runs record a marker here and get `true`. A history recorded before the patch has some other operation
    /// (or nothing) at this position: `patched` returns `false` there and takes no position, so the old path lines
    /// up with its record.
    public func patched(_ id: String, file: String = #fileID, line: Int = #line) async throws -> Bool {
        try await patchMarker(id, deprecated: false, callSite: CallSite(file: file, line: line))
    }

    /// Marks the end of a patch's life: once no history recorded before `patched(id)` existed can still replay,
    /// replace `if try await patched(id) { new } else { old }` by `try await deprecatePatch(id); new`. Histories
    /// with the marker replay; new ones record it too, so the code can later drop the call entirely only after
    /// those are gone as well.
    public func deprecatePatch(_ id: String, file: String = #fileID, line: Int = #line) async throws {
        _ = try await patchMarker(id, deprecated: true, callSite: CallSite(file: file, line: line))
    }

    private func patchMarker(_ id: String, deprecated: Bool, callSite: CallSite) async throws -> Bool {
        // Peek before taking a position: a history from before the patch has something else here.
        let position = peekPosition()
        if let entry = run.history[position], let recorded = entry.event ?? entry.waitStarted {
            guard recorded.kind == .patchMarker, recorded.name == id else {
                return false  // recorded by the code before the patch: the old path follows
            }
        }
        let (taken, recorded) = try await begin(AttemptedOperation(kind: .patch, name: id, callSite: callSite))
        defer { end() }
        if recorded == nil {
            enqueue(event(.patchMarker, at: taken, name: id, callSite: callSite, flags: deprecated ? .deprecated : []))
        }
        return true
    }
}
