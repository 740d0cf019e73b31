import CCairo
import Letters

/// What follows the document in the envelope: the sender's terms and conditions.
public enum LetterTerms {
    /// A PDF's pages, each drawn on a page of its own, scaled to A4.
    case pdf(PDFDocument)
    /// Text laid out on pages of its own.
    case text(String)

    /// Opens the terms a document carries: `pdfBytes` when they are a PDF,
    /// Courrier's normalised copy (`AttachmentNormalizer`) from the store or
    /// from intake. One opener, whoever draws the letter.
    public static func open(_ source: TermsSource?, pdfBytes: [UInt8]?, name: String) throws(RenderError) -> LetterTerms? {
        switch source {
        case nil: return nil
        case .text(let text)?: return .text(text)
        case .pdfFile?, .pdfData?:
            guard let pdfBytes else {
                throw RenderError(.unreadableTerms, "\(name) is missing")
            }
            let pdf = try PDFDocument(bytes: pdfBytes, name: name)
            guard pdf.allowsPrinting else {
                throw RenderError(.unreadableTerms, "\(name) is encrypted and its owner forbids printing it; upload it without restrictions")
            }
            return .pdf(pdf)
        }
    }
}

/// One letter rendered on its own: the PDF and its page count.
public struct RenderedLetter: Sendable {
    public var pdf: [UInt8]
    public var pages: Int
}

/// Draws documents as A4 letters with Cairo and Pango.
///
/// A renderer keeps its fonts between letters; it is not `Sendable`, and each
/// thread that renders has its own.
public final class LetterRenderer {
    let fonts: LetterFonts
    private let coverage = GlyphCoverage()
    /// A context that draws nowhere, for laying letters out to count their pages.
    private let measuringContext = MeasuringContext()

    /// The most processor time laying out one letter may take, in seconds.
    let layoutBudget: Double

    /// Laying out the largest letter the document limits allow, in any script
    /// the fonts cover, takes well under a second; a letter over this budget
    /// is one whose text finds a slow path in the shaper.
    public static let layoutBudget: Double = 5

    /// `fontFamily` is a Pango family list; the first that the machine has wins.
    /// `layoutBudget` is counted in processor time of the calling thread, so
    /// a loaded machine does not fail a letter that an idle one would take.
    public init(fontFamily: String = "Liberation Sans, DejaVu Sans", layoutBudget: Double = LetterRenderer.layoutBudget) {
        fonts = LetterFonts(family: fontFamily)
        self.layoutBudget = layoutBudget
    }

    /// Renders `document`, with the sender's logo when it has one, and its
    /// terms as a PDF of its own.
    public func render(_ document: Document, terms: LetterTerms?, logo: LetterLogo? = nil) throws(RenderError) -> RenderedLetter {
        let canvas = try PDFCanvas(metadata: Self.metadata(for: document))
        try draw(document, terms: terms, logo: logo, on: canvas)
        let bytes = try canvas.finish()
        return RenderedLetter(pdf: bytes, pages: canvas.pageCount)
    }

    /// The pages `draw` would print for `document` and its terms, counted
    /// from the layout alone: nothing is drawn and no PDF is written, which is
    /// what preparing a letter needs before it prices it.
    ///
    /// The layout is the one `draw` makes (the same fonts, unhinted, at 72
    /// units an inch, on a context without transform), so the count is the
    /// printed count; the cut checks it again with Poppler before a bundle is
    /// published. The logo sits in the fixed head of page 1 and cannot move a
    /// page break, so it is not decoded for counting.
    public func pageCount(_ document: Document, terms: LetterTerms?) throws(RenderError) -> Int {
        var withoutLogo = document
        withoutLogo.sender.logo = nil
        return try layout(withoutLogo, terms: terms, logo: nil, context: measuringContext.context, measuring: true).pages
    }

    /// What a letter will take, measured before the first stroke.
    private struct Layout {
        var composition: LetterComposition
        var textTerms: TermsPages.TextLayout?
        var pages: Int
    }

    private func layout(_ document: Document, terms: LetterTerms?, logo: LetterLogo?,
                        context: OpaquePointer, measuring: Bool = false) throws(RenderError) -> Layout {
        let started = ProcessorTime.ofThisThread()
        func checkBudget(_ part: String) throws(RenderError) {
            let spent = ProcessorTime.ofThisThread() - started
            guard spent <= layoutBudget else {
                throw RenderError(.layoutTooSlow, "laying out \(part) took \(String(format: "%.1f", spent)) s of processor time; "
                                  + "a letter may take \(String(format: "%g", layoutBudget)) s: shorten its text or split it into words")
            }
        }
        try coverage.check(document, font: fonts.regular)
        if let source = document.sender.logo, logo == nil {
            throw RenderError(.unreadableLogo, "\(source.name) is missing")
        }
        let composition = try LetterComposition(document: document, logo: logo, fonts: fonts, context: context,
                                                measuring: measuring)
        try checkBudget("the letter")
        var textTerms: TermsPages.TextLayout?
        var termsPages = 0
        switch terms {
        case .pdf(let pdf)?: termsPages = pdf.pageCount
        case .text(let text)?:
            let layout = TermsPages.TextLayout(text: text, title: composition.labels.terms, fonts: fonts, context: context)
            try checkBudget("the letter and its terms")
            textTerms = layout
            termsPages = layout.pageCount
        case nil: break
        }
        return Layout(composition: composition, textTerms: textTerms, pages: composition.pageCount + termsPages)
    }

    /// Draws `document` and its terms on the following pages of `canvas`, a
    /// letter among others in a print stream. Returns the pages drawn.
    ///
    /// `marks`, when given, is asked for the inserter marks of each page of
    /// the letter (page from 0, pages in all); terms PDFs are then scaled to
    /// leave the marks' band free.
    ///
    /// Everything that can fail is measured before the first stroke, so a letter
    /// that fails leaves `canvas` as it was.
    @discardableResult
    public func draw(_ document: Document, terms: LetterTerms?, logo: LetterLogo? = nil,
                     marks: ((_ page: Int, _ pages: Int) -> SheetMarks?)? = nil,
                     on canvas: PDFCanvas) throws(RenderError) -> Int {
        let first = canvas.pageCount
        let layout = try layout(document, terms: terms, logo: logo, context: canvas.context)
        let pages = layout.pages
        if let marks {
            var prepared: [Int: PreparedMarks] = [:]
            for page in 0..<pages {
                if let sheetMarks = marks(page, pages) { prepared[page] = try PreparedMarks(sheetMarks) }
            }
            canvas.beforeShowingPage = { [unowned canvas] in
                if let pageMarks = prepared[canvas.pageCount - first] { canvas.draw(pageMarks) }
            }
        }
        defer { canvas.beforeShowingPage = nil }
        layout.composition.draw(on: canvas)
        switch terms {
        case .pdf(let pdf)?: try TermsPages.draw(pdf, leftBand: marks == nil ? 0 : MarkLayout.bandWidth, on: canvas)
        case .text?: layout.textTerms?.draw(on: canvas)
        case nil: break
        }
        assert(canvas.pageCount - first == pages, "the letter drew the pages it measured")
        return canvas.pageCount - first
    }

    /// The PDF's title and dates: fixed by the document, so that rendering the
    /// same document twice gives the same bytes.
    public static func metadata(for document: Document) -> PDFMetadata {
        let labels = Labels.forLanguage(document.language)
        let title = [labels.title[document.kind] ?? "", document.number ?? document.id]
            .filter { !$0.isEmpty }.joined(separator: " ")
        return PDFMetadata(title: "\(title) – \(document.sender.address.name)",
                           date: "\(document.issueDate)T00:00:00Z")
    }
}

/// Processor time, which a busy machine does not make longer.
enum ProcessorTime {
    /// Seconds of processor time the calling thread has used.
    static func ofThisThread() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// The fonts of a letter, made once per renderer.
final class LetterFonts {
    let regular: Font
    let bold: Font
    let small: Font
    let smallBold: Font
    let title: Font
    let senderName: Font
    let total: Font
    let terms: Font
    /// The recipient's address, from the preferred size down to the smallest
    /// that bpost's machines and people still read comfortably.
    let addressSizes: [(points: Double, font: Font)]

    init(family: String) {
        regular = Font("\(family) 9.5")
        bold = Font("\(family) Bold 9.5")
        small = Font("\(family) 7.5")
        smallBold = Font("\(family) Bold 7.5")
        title = Font("\(family) Bold 18")
        senderName = Font("\(family) Bold 15")
        total = Font("\(family) Bold 11")
        terms = Font("\(family) 8.5")
        addressSizes = stride(from: 11.0, through: 7.0, by: -0.5).map { ($0, Font("\(family) \($0)")) }
    }
}
