import CCairo
import CPoppler

/// A PDF opened with Poppler: to count the pages of a letter as it will be
/// printed, and to draw the pages of a terms PDF into a letter.
///
/// Not `Sendable`: a Poppler document belongs to one thread at a time.
public final class PDFDocument {
    private let document: OpaquePointer
    public let pageCount: Int

    /// Opens a PDF held in memory; `name` says which one in errors.
    public init(bytes: [UInt8], name: String) throws(RenderError) {
        guard !bytes.isEmpty else {
            throw RenderError(.unreadableTerms, "\(name) is empty (0 bytes), not a PDF")
        }
        let data = bytes.withUnsafeBytes { g_bytes_new($0.baseAddress, gsize($0.count)) }
        defer { g_bytes_unref(data) }
        var error: UnsafeMutablePointer<GError>?
        guard let document = poppler_document_new_from_bytes(data, nil, &error) else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "unknown error"
            let encrypted = error?.pointee.code == Int32(POPPLER_ERROR_ENCRYPTED.rawValue)
            if let error { g_error_free(error) }
            throw RenderError(.unreadableTerms, encrypted
                ? "\(name) is encrypted (password protected); upload it without a password"
                : "\(name) is not a readable PDF: \(message)")
        }
        self.document = document
        self.pageCount = Int(poppler_document_get_n_pages(document))
        self.name = name
        // Every stored property is set: throwing now runs deinit, which releases the document.
        guard pageCount > 0 else {
            throw RenderError(.unreadableTerms, "\(name) has no pages")
        }
    }

    /// Which PDF this is, for errors.
    let name: String

    /// Opens a PDF file, without reading it whole into memory first: a print
    /// stream of thousands of pages.
    public init(path: String) throws(RenderError) {
        var error: UnsafeMutablePointer<GError>?
        guard let uri = g_filename_to_uri(path, nil, &error) else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "not an absolute path"
            if let error { g_error_free(error) }
            throw RenderError(.cairo, "\(path) cannot be opened: \(message)")
        }
        defer { g_free(uri) }
        guard let document = poppler_document_new_from_file(uri, nil, &error) else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "unknown error"
            if let error { g_error_free(error) }
            throw RenderError(.cairo, "\(path) is not a readable PDF: \(message)")
        }
        self.document = document
        self.pageCount = Int(poppler_document_get_n_pages(document))
        self.name = path
    }

    deinit {
        recordings.values.forEach { cairo_surface_destroy($0) }
        courrier_poppler_document_unref(document)
    }

    /// Each page drawn once by Poppler into a Cairo recording surface, kept
    /// for as long as the document: terms shared by many letters are drawn
    /// once a cut, and a PDF surface that paints the same recording on many
    /// pages embeds it once.
    private var recordings: [Int: OpaquePointer] = [:]

    /// What the kept recordings hold in memory, as the allocator counted it
    /// while each was drawn: a 27 KB page holding a 5,000 x 5,000 image
    /// keeps 100 MB. An estimate (other threads allocate meanwhile), for a
    /// cache that must stay within a budget.
    public private(set) var drawnBytes = 0

    func recording(ofPage index: Int) throws(RenderError) -> OpaquePointer {
        if let recording = recordings[index] { return recording }
        let allocated = Int(courrier_allocated_bytes())
        defer { drawnBytes += max(0, Int(courrier_allocated_bytes()) - allocated) }
        let (width, height) = try pageSize(index)
        var extents = cairo_rectangle_t(x: 0, y: 0, width: width, height: height)
        guard let surface = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &extents),
              cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let context = cairo_create(surface) else {
            throw RenderError(.cairo, "\(name): no memory to draw page \(index + 1)")
        }
        defer { cairo_destroy(context) }
        do {
            try render(page: index, into: context)
        } catch {
            cairo_surface_destroy(surface)
            throw error
        }
        recordings[index] = surface
        return surface
    }

    /// False when the PDF's owner has forbidden printing it (an encrypted PDF
    /// that opens without a password can still say so).
    public var allowsPrinting: Bool {
        poppler_document_get_permissions(document).rawValue & POPPLER_PERMISSIONS_OK_TO_PRINT.rawValue != 0
    }

    /// The size of page `index` (0-based) in points, its /Rotate applied.
    public func pageSize(_ index: Int) throws(RenderError) -> (width: Double, height: Double) {
        try withPage(index) { page in
            var width = 0.0, height = 0.0
            poppler_page_get_size(page, &width, &height)
            return (width, height)
        }
    }

    /// The text of page `index` with each character's box, in points from the
    /// top-left corner: what a reader (or a test) finds where. Empty for a
    /// page that cannot be read.
    public func characters(onPage index: Int) -> [PositionedCharacter] {
        let characters = try? withPage(index) { page -> [PositionedCharacter] in
            guard let text = poppler_page_get_text(page) else { return [] }
            defer { g_free(text) }
            var rectangles: UnsafeMutablePointer<PopplerRectangle>?
            var count: guint = 0
            guard poppler_page_get_text_layout(page, &rectangles, &count) != 0, let rectangles else { return [] }
            defer { g_free(rectangles) }
            let characters = Array(String(cString: text))
            return zip(characters, UnsafeBufferPointer(start: rectangles, count: Int(count))).map { character, box in
                PositionedCharacter(character: character, x1: box.x1, y1: box.y1, x2: box.x2, y2: box.y2)
            }
        }
        return characters ?? []
    }

    /// The text of page `index`, in reading order; empty for a page that cannot be read.
    public func text(onPage index: Int) -> String {
        let text = try? withPage(index) { page -> String in
            guard let text = poppler_page_get_text(page) else { return "" }
            defer { g_free(text) }
            return String(cString: text)
        }
        return text ?? ""
    }

    /// Draws page `index` into a Cairo context, as for printing (annotations
    /// that are meant to print, no others).
    func render(page index: Int, into context: OpaquePointer) throws(RenderError) {
        try withPage(index) { page in
            poppler_page_render_for_printing(page, context)
        }
    }

    /// Poppler can count a page in the page tree that it then cannot load:
    /// that is an error naming the page, never a crash.
    private func withPage<T>(_ index: Int, _ body: (OpaquePointer) -> T) throws(RenderError) -> T {
        guard (0..<pageCount).contains(index), let page = poppler_document_get_page(document, Int32(index)) else {
            throw RenderError(.unreadableTerms, "\(name): page \(index + 1) of \(pageCount) cannot be read")
        }
        defer { courrier_poppler_page_unref(page) }
        return body(page)
    }
}

/// One character of a page and its box, in points from the page's top-left.
public struct PositionedCharacter: Sendable, Equatable {
    public var character: Character
    public var x1: Double
    public var y1: Double
    public var x2: Double
    public var y2: Double
}
