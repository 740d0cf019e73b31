import CCairo
import CQREncode
import Letters

/// A QR code, encoded by libqrencode and drawn as an image of one pixel a
/// module, quiet zone included, scaled without interpolation: each module
/// prints as a sharp square at any printer's resolution, and the PDF holds a
/// few hundred bytes of image instead of hundreds of rectangles whose every
/// coordinate Cairo would write out as a decimal number.
///
/// The image is made when the code is encoded, with the letter's layout,
/// so that nothing can fail once the letter has started to draw.
final class PaymentQRCode {
    /// Modules on a side.
    let size: Int
    /// One pixel a module, black on white, the quiet zone included; nil for
    /// a code encoded to count a letter's pages, never drawn.
    private let image: OpaquePointer?

    /// The quiet zone the QR specification asks for around the code, in modules.
    static let quietZone = 4

    /// Encodes `text` as bytes (its UTF-8, as the EPC payload declares) with
    /// error correction level M, the version chosen to fit; `drawing`: makes
    /// the image too.
    init(_ text: String, drawing: Bool = true) throws(RenderError) {
        let bytes = Array(text.utf8)
        guard let code = QRcode_encodeData(Int32(bytes.count), bytes, 0, QR_ECLEVEL_M), let data = code.pointee.data else {
            throw RenderError(.qrCode, "the payment QR code could not be encoded (\(bytes.count) bytes)")
        }
        defer { QRcode_free(code) }
        size = Int(code.pointee.width)
        guard drawing else {
            image = nil
            return
        }
        let modules = size + 2 * Self.quietZone
        guard let image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(modules), Int32(modules)),
              cairo_surface_status(image) == CAIRO_STATUS_SUCCESS, let pixels = cairo_image_surface_get_data(image) else {
            throw RenderError(.qrCode, "no memory for the payment QR code's image")
        }
        let stride = Int(cairo_image_surface_get_stride(image))
        for row in 0..<modules {
            let line = UnsafeMutableRawPointer(pixels + row * stride).assumingMemoryBound(to: UInt32.self)
            for column in 0..<modules {
                let (r, c) = (row - Self.quietZone, column - Self.quietZone)
                let isDark = (0..<size).contains(r) && (0..<size).contains(c) && data[r * size + c] & 1 == 1
                line[column] = isDark ? 0x00_00_00_00 : 0x00_FF_FF_FF
            }
        }
        cairo_surface_mark_dirty(image)
        self.image = image
    }

    deinit {
        if let image { cairo_surface_destroy(image) }
    }

    /// Draws the code and its white quiet zone in a square of `side` points
    /// whose top-left corner is `(x, y)`.
    func draw(at x: Double, _ y: Double, side: Double, in context: OpaquePointer) {
        guard let image else { return }
        let modules = Double(size + 2 * Self.quietZone)
        cairo_save(context)
        cairo_translate(context, x, y)
        cairo_scale(context, side / modules, side / modules)
        cairo_set_source_surface(context, image, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(context), CAIRO_FILTER_NEAREST)
        cairo_rectangle(context, 0, 0, modules, modules)
        cairo_fill(context)
        cairo_restore(context)
    }
}
