import CCairo
import Letters

/// Turns a file a customer gave (a terms PDF, a logo PNG) into a copy that
/// Courrier wrote itself: the only form in which such a file is stored and
/// drawn afterwards.
///
/// This is the code that touches the customer's bytes, and it is meant to run
/// in a child process under limits on time and memory (`courrier
/// open-untrusted`), where a crash or a runaway costs nothing but that letter.
public enum AttachmentNormalizer {
    /// A terms PDF drawn again by Cairo from Poppler's rendering of it.
    public struct Terms: Sendable {
        public var pdf: [UInt8]
        public var pages: Int

        public init(pdf: [UInt8], pages: Int) {
            self.pdf = pdf
            self.pages = pages
        }
    }

    /// The largest page accepted, in points: PDF's own limit, 200 inches.
    static let maximumPageSide = 14_400.0

    /// Opens `bytes` with Poppler and checks what printing it needs: readable,
    /// not encrypted, printing allowed, at most `maximumPages` pages, every
    /// page drawable. Then draws each page into a new PDF with Cairo, and
    /// reads that copy back to check its page count.
    public static func terms(_ bytes: [UInt8], name: String, maximumPages: Int) throws(RenderError) -> Terms {
        let source = try PDFDocument(bytes: bytes, name: name)
        guard source.allowsPrinting else {
            throw RenderError(.unreadableTerms, "\(name) is encrypted and its owner forbids printing it; upload it without restrictions")
        }
        guard source.pageCount <= maximumPages else {
            throw RenderError(.unreadableTerms, "\(name) has \(source.pageCount) pages; a letter may have at most \(maximumPages)")
        }
        // A fixed date: the same upload gives the same copy, stored once.
        let canvas = try PDFCanvas(metadata: PDFMetadata(title: "Terms", date: "2000-01-01T00:00:00Z"))
        for index in 0..<source.pageCount {
            let (width, height) = try source.pageSize(index)
            guard width.isFinite, height.isFinite, (1...maximumPageSide).contains(width), (1...maximumPageSide).contains(height) else {
                throw RenderError(.unreadableTerms, "\(name): page \(index + 1) is \(width) x \(height) points, not a page that can be printed")
            }
            canvas.setPageSize(width: width, height: height)
            try source.render(page: index, into: canvas.context)
            canvas.showPage()
        }
        let pdf: [UInt8]
        do { pdf = try canvas.finish() } catch {
            throw RenderError(.unreadableTerms, error.message.contains("out of memory")
                ? "\(name) needs more memory to draw than Courrier allows (COURRIER_OPEN_MEMORY)"
                : "\(name) could not be drawn again: \(error.message)")
        }
        let copy = try PDFDocument(bytes: pdf, name: "the copy of \(name)")
        guard copy.pageCount == source.pageCount else {
            throw RenderError(.unreadableTerms, "\(name) has \(source.pageCount) pages, but only \(copy.pageCount) could be drawn")
        }
        return Terms(pdf: pdf, pages: copy.pageCount)
    }

    /// Draws every page of a copy into a throwaway PDF, as a cut draws terms
    /// into a print stream; returns the seconds of processor time it took,
    /// which a loaded machine does not make longer.
    public static func timeToDraw(_ copy: [UInt8], name: String) throws(RenderError) -> Double {
        let pdf = try PDFDocument(bytes: copy, name: name)
        let canvas = try PDFCanvas(metadata: PDFMetadata(title: "Terms", date: "2000-01-01T00:00:00Z"))
        let start = ProcessorTime.ofThisThread()
        try TermsPages.draw(pdf, leftBand: 0, on: canvas)
        _ = try canvas.finish()
        return ProcessorTime.ofThisThread() - start
    }

    /// Decodes a logo (its size read from the header first) and writes its
    /// pixels again as a PNG.
    public static func logo(_ png: [UInt8], name: String) throws(RenderError) -> [UInt8] {
        try LetterLogo(png: png, name: name).pngBytes()
    }
}
