import CCairo
import Letters

/// The terms and conditions that follow a document, each on pages of its own.
enum TermsPages {
    /// Draws every page of `pdf`, turned upright when it is landscape and scaled
    /// down to A4 when it is larger (US Letter is wider), centred.
    static func draw(_ pdf: PDFDocument, on canvas: PDFCanvas) {
        let context = canvas.context
        let pageWidth = PDFCanvas.a4Width, pageHeight = PDFCanvas.a4Height
        for index in 0..<pdf.pageCount {
            let (width, height) = pdf.pageSize(index)
            let landscape = width > height
            let (uprightWidth, uprightHeight) = landscape ? (height, width) : (width, height)
            let scale = min(1, pageWidth / uprightWidth, pageHeight / uprightHeight)
            cairo_save(context)
            cairo_translate(context, (pageWidth - uprightWidth * scale) / 2, (pageHeight - uprightHeight * scale) / 2)
            cairo_scale(context, scale, scale)
            if landscape {
                // A quarter turn clockwise: the page's left edge becomes the top.
                cairo_translate(context, height, 0)
                cairo_rotate(context, Double.pi / 2)
            }
            cairo_rectangle(context, 0, 0, width, height)
            cairo_clip(context)
            pdf.render(page: index, into: context)
            cairo_restore(context)
            canvas.showPage()
        }
    }

    /// Lays out text terms under a title, flowing over as many pages as they need.
    static func draw(text: String, title: String, fonts: LetterFonts, on canvas: PDFCanvas) {
        let context = canvas.context
        let left = mm(20), width = mm(170), top = mm(20), bottom = mm(282)
        let heading = TextBlock(title, font: fonts.total, context: context, width: width)
        let body = TextBlock(text, font: fonts.terms, context: context, width: width, lineSpacing: 1.1)
        cairo_set_source_rgb(context, 0.1, 0.1, 0.1)
        heading.draw(at: left, top, in: context)
        var y = top + heading.height + mm(4)
        var pageStart = 0
        var pageTop: Double? = nil
        let bounds = body.lineBounds()
        for (index, line) in bounds.enumerated() {
            let lineTop = pageTop ?? line.top
            pageTop = lineTop
            if y + (line.bottom - lineTop) > bottom {
                body.drawLines(pageStart..<index, at: left, y, in: context)
                canvas.showPage()
                cairo_set_source_rgb(context, 0.1, 0.1, 0.1)
                pageStart = index
                pageTop = line.top
                y = top
            }
        }
        body.drawLines(pageStart..<bounds.count, at: left, y, in: context)
        canvas.showPage()
    }
}
