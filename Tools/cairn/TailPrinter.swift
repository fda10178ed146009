/// The lines `tail` prints for people: the first events as a table with a header, each later one as a line
/// lined up with that table's columns as far as it fits (a log's events and an engine's alike).
struct TailPrinter {
    private var widths: [Int]?

    /// Prints `rows` (cells of ``EventFormat/tableColumns(workflowColumn:)`` with the workflow column).
    mutating func print(_ rows: [[(text: String, style: Style?)]], into out: inout Output) {
        guard let widths else {
            var table = Table(EventFormat.tableColumns(workflowColumn: true))
            for row in rows { table.add(row) }
            widths = table.columns.indices.map { i in
                table.rows.reduce(table.columns[i].title.count) { Swift.max($0, i < $1.count ? $1[i].text.count : 0) }
            }
            table.render(into: &out)
            return
        }
        for cells in rows {
            var line = ""
            for (i, cell) in cells.enumerated() {
                let text = TerminalText.escaped(cell.text, keepingStyles: false)
                let width = i < widths.count ? widths[i] : 0
                let padded = i == cells.count - 1 ? text
                    : i == 0 ? String(repeating: " ", count: Swift.max(0, width - text.count)) + text
                    : text.padding(width)
                line += (i == 0 ? "" : "  ") + (cell.style?.apply(padded) ?? padded)
            }
            out.line(line)
        }
    }
}
