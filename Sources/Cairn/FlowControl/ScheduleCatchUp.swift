/// What a schedule does about the ticks it missed while the engine was not running (down, crashed, or not yet
/// running its ``WorkflowEngine/run()``).
///
/// It applies once, when ``WorkflowEngine/run()`` begins, to the ticks between the schedule's last tick (or its
/// add, replacement or resume, if later) and that moment. A tick that comes while the engine runs is never
/// missed: if the engine gets to it late (a busy machine), it fires late. The ticks of a paused schedule are not
/// missed either: they are skipped, and resuming it does not catch up on them.
public enum ScheduleCatchUp: Sendable, Hashable, CustomStringConvertible {
    /// Fire none of the missed ticks; the schedule goes on with its next tick.
    case none
    /// Fire the most recent missed tick only.
    case latest
    /// Fire the most recent `max` missed ticks (oldest first); `max` must be at least 1.
    case all(max: Int)

    public var description: String {
        switch self {
        case .none: "none"
        case .latest: "latest"
        case .all(let max): "all(max: \(max))"
        }
    }

    /// How many of the most recent missed ticks to fire.
    var limit: Int {
        switch self {
        case .none: 0
        case .latest: 1
        case .all(let max): Swift.max(0, max)
        }
    }
}
