import Foundation

/// A request's query parameters as a form sends them: `+` is a space, then percent-decoding.
struct DashboardQuery {
    private var items: [(name: String, value: String)] = []

    /// The parameters of a raw query string (`a=1&b=x+y`); ones that do not decode are kept as sent.
    init(_ query: String) {
        for item in query.split(separator: "&") where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            items.append((decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
        }
    }

    /// Every value of parameter `name`, in order.
    func all(_ name: String) -> [String] { items.filter { $0.name == name }.map(\.value) }

    /// The first value of parameter `name`.
    func first(_ name: String) -> String? { items.first { $0.name == name }?.value }
}
