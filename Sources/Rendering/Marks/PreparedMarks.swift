import CCairo

/// Marks encoded and ready to draw: whatever can fail has failed before the
/// letter's first stroke.
struct PreparedMarks {
    let omr: [Bool]?
    let dataMatrix: [[Bool]]?

    init(_ marks: SheetMarks) throws(RenderError) {
        omr = marks.omr?.pattern
        dataMatrix = try marks.dataMatrix.map { identity throws(RenderError) in try DataMatrixSymbol(identity.description).modules }
    }
}

extension PDFCanvas {
    /// Draws `marks` on the current page, in black whatever the stream's colour.
    func draw(_ marks: PreparedMarks) {
        cairo_save(context)
        cairo_set_source_rgb(context, 0, 0, 0)
        if let omr = marks.omr {
            for (track, on) in omr.enumerated() where on {
                let centre = MarkLayout.omrFirstY + Double(track) * MarkLayout.omrPitch
                cairo_rectangle(context, MarkLayout.omrX, centre - MarkLayout.omrThickness / 2,
                                MarkLayout.omrLength, MarkLayout.omrThickness)
            }
            cairo_fill(context)
        }
        if let modules = marks.dataMatrix {
            let side = MarkLayout.dataMatrixModule
            for (row, line) in modules.enumerated() {
                for (column, on) in line.enumerated() where on {
                    cairo_rectangle(context, MarkLayout.dataMatrixX + Double(column) * side,
                                    MarkLayout.dataMatrixY + Double(row) * side, side, side)
                }
            }
            cairo_fill(context)
        }
        cairo_restore(context)
    }
}
