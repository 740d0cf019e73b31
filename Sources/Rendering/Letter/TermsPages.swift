import CCairo
import Letters

/// The terms and conditions that follow a document, each on pages of its own.
enum TermsPages {
    /// Draws every page of `pdf`, turned upright when it is landscape and scaled
    /// down to A4 when it is larger (US Letter is wider), centred. `leftBand`
    /// points at the left edge are kept free, for inserter marks.
    static func draw(_ pdf: PDFDocument, leftBand: Double, on canvas: PDFCanvas) throws(RenderError) {
        let context = canvas.context
        let pageWidth = PDFCanvas.a4Width - leftBand, pageHeight = PDFCanvas.a4Height
        for index in 0..<pdf.pageCount {
            let (width, height) = try pdf.pageSize(index)
            let landscape = width > height
            let (uprightWidth, uprightHeight) = landscape ? (height, width) : (width, height)
            let scale = min(1, pageWidth / uprightWidth, pageHeight / uprightHeight)
            cairo_save(context)
            cairo_translate(context, leftBand + (pageWidth - uprightWidth * scale) / 2,
                            (pageHeight - uprightHeight * scale) / 2)
            cairo_scale(context, scale, scale)
            if landscape {
                // A quarter turn clockwise: the page's left edge becomes the top.
                cairo_translate(context, height, 0)
                cairo_rotate(context, Double.pi / 2)
            }
            cairo_rectangle(context, 0, 0, width, height)
            cairo_clip(context)
            // The page as Poppler drew it once, painted as a source: Cairo's PDF
            // output writes one form for it, which every letter's page refers to.
            cairo_set_source_surface(context, try pdf.recording(ofPage: index), 0, 0)
            cairo_paint(context)
            cairo_restore(context)
            canvas.showPage()
        }
    }

    /// Text terms set under a title and split into pages before anything is
    /// drawn, so that the letter's page count is known first.
    struct TextLayout {
        private let heading: TextBlock
        private let body: TextBlock
        /// The first line of each page.
        private let pageStarts: [Int]
        private let lineCount: Int
        static let left = mm(20), width = mm(170), top = mm(20), bottom = mm(282)

        init(text: String, title: String, fonts: LetterFonts, context: OpaquePointer) {
            heading = TextBlock(title, font: fonts.total, context: context, width: Self.width)
            body = TextBlock(text, font: fonts.terms, context: context, width: Self.width, lineSpacing: 1.1)
            var starts = [0]
            var y = Self.top + heading.height + mm(4)
            var pageTop: Double?
            let bounds = body.lineBounds()
            for (index, line) in bounds.enumerated() {
                let lineTop = pageTop ?? line.top
                pageTop = lineTop
                if y + (line.bottom - lineTop) > Self.bottom {
                    starts.append(index)
                    pageTop = line.top
                    y = Self.top
                }
            }
            pageStarts = starts
            lineCount = bounds.count
        }

        var pageCount: Int { pageStarts.count }

        func draw(on canvas: PDFCanvas) {
            let context = canvas.context
            for (page, start) in pageStarts.enumerated() {
                cairo_set_source_rgb(context, 0.1, 0.1, 0.1)
                var y = Self.top
                if page == 0 {
                    heading.draw(at: Self.left, y, in: context)
                    y += heading.height + mm(4)
                }
                let end = page + 1 < pageStarts.count ? pageStarts[page + 1] : lineCount
                body.drawLines(start..<end, at: Self.left, y, in: context)
                canvas.showPage()
            }
        }
    }
}
