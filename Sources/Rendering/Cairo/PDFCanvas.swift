import CCairo

/// A Cairo PDF surface of A4 pages and its drawing context: either in memory,
/// for one letter, or a file, for a whole print stream.
///
/// `finish()` must be called: it writes the fonts and the trailer and reports
/// any error Cairo met on the way.
public final class PDFCanvas {
    /// The Cairo context, for the drawing code of this module.
    let context: OpaquePointer
    private let surface: OpaquePointer
    private let sink: ByteSink?
    private var finished = false
    /// Pages shown so far.
    public private(set) var pageCount = 0

    public static let a4Width = 595.2756  // 210 mm in points
    public static let a4Height = 841.8898 // 297 mm in points

    /// A PDF that collects its bytes in memory; read them after `finish()`.
    /// Pages are A4 unless another size is given.
    public convenience init(metadata: PDFMetadata, width: Double = a4Width, height: Double = a4Height) throws(RenderError) {
        let sink = ByteSink()
        let surface = cairo_pdf_surface_create_for_stream(
            { closure, data, length in
                guard let closure else { return CAIRO_STATUS_WRITE_ERROR }
                let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
                return CAIRO_STATUS_SUCCESS
            },
            Unmanaged.passUnretained(sink).toOpaque(), width, height)
        try self.init(surface: surface, sink: sink, metadata: metadata, target: "in-memory PDF")
    }

    /// A PDF written to `path` as pages are shown.
    public convenience init(path: String, metadata: PDFMetadata) throws(RenderError) {
        let surface = cairo_pdf_surface_create(path, Self.a4Width, Self.a4Height)
        try self.init(surface: surface, sink: nil, metadata: metadata, target: path)
    }

    private init(surface: OpaquePointer?, sink: ByteSink?, metadata: PDFMetadata, target: String) throws(RenderError) {
        // Cairo hands back an object in an error state rather than NULL; both are refused.
        guard let surface else { throw RenderError(.cairo, "cannot create PDF \(target): Cairo gave no surface") }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS, let context = cairo_create(surface), cairo_status(context) == CAIRO_STATUS_SUCCESS else {
            let reason = String(cString: cairo_status_to_string(status == CAIRO_STATUS_SUCCESS ? CAIRO_STATUS_NO_MEMORY : status))
            cairo_surface_destroy(surface)
            throw RenderError(.cairo, "cannot create PDF \(target): \(reason)")
        }
        self.surface = surface
        self.sink = sink
        self.context = context
        cairo_pdf_surface_restrict_to_version(surface, CAIRO_PDF_VERSION_1_5)
        // Fixed dates make the same document give the same bytes every time.
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, metadata.date)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE, metadata.date)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, metadata.title)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Courrier")
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    /// Ends the current page and starts the next.
    /// Called before each page is shown: a letter's marks go on its pages this way.
    var beforeShowingPage: (() -> Void)?

    /// The size of the pages shown from now on, in points.
    func setPageSize(width: Double, height: Double) {
        cairo_pdf_surface_set_size(surface, width, height)
    }

    public func showPage() {
        beforeShowingPage?()
        cairo_show_page(context)
        pageCount += 1
    }

    /// Writes what remains of the PDF and checks that every drawing call went well.
    /// Returns the bytes of an in-memory PDF, an empty array for a file.
    @discardableResult
    public func finish() throws(RenderError) -> [UInt8] {
        precondition(!finished, "a PDFCanvas is finished once")
        finished = true
        let drawStatus = cairo_status(context)
        cairo_surface_finish(surface)
        let surfaceStatus = cairo_surface_status(surface)
        for status in [drawStatus, surfaceStatus] where status != CAIRO_STATUS_SUCCESS {
            throw RenderError(.cairo, "writing the PDF failed: \(String(cString: cairo_status_to_string(status)))")
        }
        return sink?.bytes ?? []
    }
}

/// The document information a PDF carries.
public struct PDFMetadata: Sendable {
    public var title: String
    /// ISO 8601, `2026-11-28T00:00:00Z`.
    public var date: String

    public init(title: String, date: String) {
        self.title = title
        self.date = date
    }
}

/// Where an in-memory PDF's bytes go as Cairo writes them.
private final class ByteSink {
    var bytes: [UInt8] = []
}
