/// An aligned table for people: a header row, then rows; columns padded to their widest cell.
struct Table {
    enum Alignment { case left, right }
    struct Column {
        var title: String
        var alignment: Alignment = .left
    }

    var columns: [Column]
    /// Cells, and the style of each (applied after padding, so escape codes never break alignment).
    var rows: [[(text: String, style: Style?)]] = []

    init(_ columns: [Column]) { self.columns = columns }

    /// Adds a row; cells are escaped (``TerminalText``) before they are measured, so escapes keep columns aligned.
    mutating func add(_ cells: [(text: String, style: Style?)]) {
        rows.append(cells.map { (TerminalText.escaped($0.text, keepingStyles: false), $0.style) })
    }

    func render(into out: inout Output) {
        for line in lines() { out.line(line) }
    }

    /// The rendered lines.
    func lines() -> [String] {
        var widths = columns.map { $0.title.count }
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.text.count) }
        }
        func pad(_ text: String, _ i: Int) -> String {
            let gap = String(repeating: " ", count: max(0, widths[i] - text.count))
            return columns[i].alignment == .left ? text + gap : gap + text
        }
        let last = columns.count - 1
        var lines: [String] = []
        lines.reserveCapacity(rows.count + 1)
        var header = ""
        for i in columns.indices {
            let cell = i == last && columns[i].alignment == .left ? columns[i].title : pad(columns[i].title, i)
            header += (i == 0 ? "" : "  ") + cell
        }
        lines.append(Style.bold.apply(header))
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() where i < columns.count {
                let text = i == last && columns[i].alignment == .left ? cell.text : pad(cell.text, i)
                line += (i == 0 ? "" : "  ") + (cell.style?.apply(text) ?? text)
            }
            lines.append(line)
        }
        return lines
    }
}
