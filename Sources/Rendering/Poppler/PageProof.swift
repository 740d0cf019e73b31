import CCairo
import CPoppler

/// A page as the customer sees it before sending: drawn by Poppler into a
/// Cairo image at a given resolution, on white paper.
public enum PageProof {
    public static let defaultDPI = 150.0

    /// Writes page `index` (0-based) of `pdf` as a PNG file at `path`.
    public static func write(_ pdf: PDFDocument, page index: Int, dpi: Double = defaultDPI,
                             to path: String) throws(RenderError) {
        let surface = try draw(pdf, page: index, dpi: dpi)
        defer { cairo_surface_destroy(surface) }
        let status = cairo_surface_write_to_png(surface, path)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw RenderError(.proof, "cannot write \(path): \(String(cString: cairo_status_to_string(status)))")
        }
    }

    /// Page `index` as pixels, for a program that looks at the page.
    public static func image(_ pdf: PDFDocument, page index: Int, dpi: Double = defaultDPI) throws(RenderError) -> ProofImage {
        let surface = try draw(pdf, page: index, dpi: dpi)
        defer { cairo_surface_destroy(surface) }
        let width = Int(cairo_image_surface_get_width(surface)), height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = UnsafeRawPointer(cairo_image_surface_get_data(surface)!)
        var pixels: [UInt32] = []
        pixels.reserveCapacity(width * height)
        for row in 0..<height {
            let line = (data + row * stride).assumingMemoryBound(to: UInt32.self)
            pixels.append(contentsOf: UnsafeBufferPointer(start: line, count: width).lazy.map { $0 & 0xFF_FFFF })
        }
        return ProofImage(width: width, height: height, pointsPerPixel: 72 / dpi, pixels: pixels)
    }

    private static func draw(_ pdf: PDFDocument, page index: Int, dpi: Double) throws(RenderError) -> OpaquePointer {
        guard (0..<pdf.pageCount).contains(index) else {
            throw RenderError(.proof, "the letter has \(pdf.pageCount) pages; there is no page \(index + 1)")
        }
        guard dpi >= 36, dpi <= 1200 else {
            throw RenderError(.proof, "a proof is drawn at 36 to 1200 dpi, not \(dpi)")
        }
        let size = try pdf.pageSize(index)
        let scale = dpi / 72
        let width = (size.width * scale).rounded(.up), height = (size.height * scale).rounded(.up)
        // Courrier's own pages are A4; anything else is bounded before Cairo allocates it.
        guard width >= 1, height >= 1, width * height <= 200_000_000 else {
            throw RenderError(.proof, "page \(index + 1) is \(Int(size.width)) x \(Int(size.height)) points, too large for a proof at \(Int(dpi)) dpi")
        }
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height)),
              cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let context = cairo_create(surface) else {
            throw RenderError(.proof, "no memory for a proof of page \(index + 1) at \(Int(dpi)) dpi")
        }
        defer { cairo_destroy(context) }
        cairo_set_source_rgb(context, 1, 1, 1)
        cairo_paint(context)
        cairo_scale(context, scale, scale)
        do {
            try pdf.render(page: index, into: context)
        } catch {
            cairo_surface_destroy(surface)
            throw error
        }
        cairo_surface_flush(surface)
        return surface
    }
}
