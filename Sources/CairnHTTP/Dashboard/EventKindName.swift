import Cairn

/// Event kinds by the text an API event carries (``EventKind``'s case name, `stepCompleted`, or its display name,
/// `step completed`): the timeline and the page's script decide by the case name and show the display name.
enum EventKindName {
    /// Each kind by its case name and by its display name.
    static let byText: [String: EventKind] = {
        var table: [String: EventKind] = [:]
        for kind in EventKind.allCases {
            table[kind.declaration.caseName] = kind
            table[kind.displayName] = kind
        }
        return table
    }()

    /// The case name of an API event's `kind` (the text unchanged when it names no kind).
    static func of(text: String) -> String { byText[text]?.declaration.caseName ?? text }

    /// What the timeline shows for `text`: the kind's display name (the text unchanged when it names no kind).
    static func label(text: String) -> String { byText[text]?.displayName ?? text }
}
