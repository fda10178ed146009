/// What the engine's timed-start loop (``WorkflowEngine/timedStartLoop()``), the schedule calls and the debounce
/// calls share, behind the engine's lock.
struct TimedStartsState {
    /// A debounce call being recorded: the debounce it adds to, and how many calls for its key are being recorded.
    struct DebounceClaim {
        var id: String
        var workflow: String
        var latest: Int64?
        var calls: Int
    }

    /// What the loop sleeps on: fired when a schedule changes or a debounce is recorded.
    var signal: Signal?
    /// Schedules changed since the loop last looked.
    var changed: Set<String> = []
    /// Pending debounces (by workflow ID) a call recorded since the loop last looked.
    var changedDebounces: Set<String> = []
    /// Each armed schedule's next tick, as the loop last computed it (what ``WorkflowEngine/schedules()`` shows).
    var nextTicks: [String: Int64] = [:]
    /// Schedules being changed (a change reads the schedule, then records it: one at a time per name), and who
    /// waits for each.
    var changing: [String: [Signal]] = [:]
    /// Debounce calls being recorded, by key. A debounce with a call in flight does not fire until it is recorded;
    /// concurrent first calls for a key share one ID.
    var claims: [String: DebounceClaim] = [:]
    /// Debounces (by workflow ID) whose start is being written: a call for their key starts a new debounce.
    var firing: Set<String> = []
}
