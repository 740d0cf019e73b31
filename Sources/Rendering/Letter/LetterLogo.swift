import CCairo

/// The sender's logo, decoded once from its PNG and drawn on every letter
/// that carries it.
///
/// A print stream embeds an image once however many pages show it, as long as
/// they are drawn from the same Cairo surface: keep one `LetterLogo` per
/// distinct PNG for a whole cut.
public final class LetterLogo {
    /// Larger files are refused: a logo printed 60 mm wide needs no more than
    /// 1,500 pixels, and each letter's PDF would carry the excess.
    public static let maximumBytes = 2 * 1024 * 1024
    public static let maximumPixels = 4000

    let surface: OpaquePointer
    public let width: Int
    public let height: Int
    /// The same image in greys, for letters printed in black and white; made
    /// when first needed.
    private var greySurface: OpaquePointer?

    /// Decodes `png`; `name` says which logo in an error.
    public init(png: [UInt8], name: String) throws(RenderError) {
        guard png.count <= Self.maximumBytes else {
            throw RenderError(.unreadableLogo, "\(name) is \(png.count / 1024) KiB; a logo may be at most \(Self.maximumBytes / 1024 / 1024) MiB")
        }
        guard png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw RenderError(.unreadableLogo, "\(name) is not a PNG\(Self.formatHint(png)); give the logo as a PNG")
        }
        // The size is read from the header before a pixel is decoded: a small
        // file can declare an image of gigabytes (a "PNG bomb").
        guard let (declaredWidth, declaredHeight) = Self.headerSize(png) else {
            throw RenderError(.unreadableLogo, "\(name) is a damaged PNG (no image header)")
        }
        guard declaredWidth > 0, declaredHeight > 0, declaredWidth <= Self.maximumPixels, declaredHeight <= Self.maximumPixels else {
            throw RenderError(.unreadableLogo, "\(name) is \(declaredWidth) x \(declaredHeight) pixels; a logo may be at most \(Self.maximumPixels) on each side")
        }
        let reader = PNGReader(bytes: png)
        let surface = withExtendedLifetime(reader) {
            cairo_image_surface_create_from_png_stream({ closure, data, length in
                let reader = Unmanaged<PNGReader>.fromOpaque(closure!).takeUnretainedValue()
                return reader.read(into: data!, count: Int(length)) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_READ_ERROR
            }, Unmanaged.passUnretained(reader).toOpaque())!
        }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            cairo_surface_destroy(surface)
            throw RenderError(.unreadableLogo, "\(name) is a damaged PNG (\(String(cString: cairo_status_to_string(status))))")
        }
        width = Int(cairo_image_surface_get_width(surface))
        height = Int(cairo_image_surface_get_height(surface))
        guard width > 0, height > 0, width <= Self.maximumPixels, height <= Self.maximumPixels else {
            cairo_surface_destroy(surface)
            throw RenderError(.unreadableLogo, "\(name) is \(width) x \(height) pixels; a logo may be at most \(Self.maximumPixels) on each side")
        }
        self.surface = surface
    }

    deinit {
        cairo_surface_destroy(surface)
        if let greySurface { cairo_surface_destroy(greySurface) }
    }

    /// Draws the logo as large as fits `maxWidth` x `maxHeight` points, its
    /// top left corner at `x`, `y`, keeping its proportions. Returns the size drawn.
    @discardableResult
    func draw(at x: Double, _ y: Double, maxWidth: Double, maxHeight: Double, inColor: Bool,
              in context: OpaquePointer) -> (width: Double, height: Double) {
        let scale = min(maxWidth / Double(width), maxHeight / Double(height))
        cairo_save(context)
        cairo_translate(context, x, y)
        cairo_scale(context, scale, scale)
        cairo_set_source_surface(context, inColor ? surface : grey(), 0, 0)
        cairo_pattern_set_filter(cairo_get_source(context), CAIRO_FILTER_GOOD)
        cairo_rectangle(context, 0, 0, Double(width), Double(height))
        cairo_fill(context)
        cairo_restore(context)
        return (Double(width) * scale, Double(height) * scale)
    }

    /// The logo's pixels turned to their luma (ITU-R BT.601), alpha kept.
    private func grey() -> OpaquePointer {
        if let greySurface { return greySurface }
        let grey = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))!
        cairo_surface_flush(surface)
        let format = cairo_image_surface_get_format(surface)
        let sourceStride = Int(cairo_image_surface_get_stride(surface))
        let greyStride = Int(cairo_image_surface_get_stride(grey))
        let source = cairo_image_surface_get_data(surface)!
        let target = cairo_image_surface_get_data(grey)!
        for row in 0..<height {
            let from = UnsafeRawPointer(source + row * sourceStride).assumingMemoryBound(to: UInt32.self)
            let to = UnsafeMutableRawPointer(target + row * greyStride).assumingMemoryBound(to: UInt32.self)
            for column in 0..<width {
                let pixel = from[column]
                // RGB24 has no alpha: its top byte is undefined and means opaque.
                let alpha = format == CAIRO_FORMAT_ARGB32 ? pixel >> 24 : 0xFF
                let red = Double(pixel >> 16 & 0xFF), green = Double(pixel >> 8 & 0xFF), blue = Double(pixel & 0xFF)
                // Premultiplied values stay premultiplied: luma is linear in them.
                let luma = UInt32((0.299 * red + 0.587 * green + 0.114 * blue).rounded())
                to[column] = alpha << 24 | luma << 16 | luma << 8 | luma
            }
        }
        cairo_surface_mark_dirty(grey)
        greySurface = grey
        return grey
    }

    /// The width and height a PNG's IHDR chunk declares, which the PNG
    /// specification puts first, right after the signature.
    static func headerSize(_ png: [UInt8]) -> (Int, Int)? {
        guard png.count >= 24, png[12..<16].elementsEqual("IHDR".utf8) else { return nil }
        func bigEndian(_ offset: Int) -> Int { png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (bigEndian(16), bigEndian(20))
    }

    /// The decoded image written again as a PNG by Cairo: the copy Courrier
    /// stores, holding nothing of the customer's file but its pixels.
    public func pngBytes() throws(RenderError) -> [UInt8] {
        final class Sink { var bytes: [UInt8] = [] }
        let sink = Sink()
        let status = withExtendedLifetime(sink) {
            cairo_surface_write_to_png_stream(surface, { closure, data, length in
                guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
                Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue().bytes
                    .append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
                return CAIRO_STATUS_SUCCESS
            }, Unmanaged.passUnretained(sink).toOpaque())
        }
        guard status == CAIRO_STATUS_SUCCESS else {
            throw RenderError(.unreadableLogo, "the logo could not be written again as a PNG (\(String(cString: cairo_status_to_string(status))))")
        }
        return sink.bytes
    }

    /// What a file that is not a PNG looks like, for the error.
    private static func formatHint(_ bytes: [UInt8]) -> String {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return " (it is a JPEG)" }
        if bytes.starts(with: Array("GIF8".utf8)) { return " (it is a GIF)" }
        if bytes.starts(with: Array("%PDF".utf8)) { return " (it is a PDF)" }
        if bytes.starts(with: Array("<svg".utf8)) || bytes.starts(with: Array("<?xml".utf8)) { return " (it is SVG or XML)" }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
            return " (it is a WebP)"
        }
        return bytes.isEmpty ? " (it is empty)" : ""
    }
}

/// Hands a PNG's bytes to Cairo's reader in the pieces it asks for.
private final class PNGReader {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
        guard count <= bytes.count - offset else { return false }
        bytes.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + offset, count: count) }
        offset += count
        return true
    }
}
