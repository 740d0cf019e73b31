import CCairo
import CQREncode
import Letters

/// A QR code, encoded by libqrencode and drawn as vectors: one filled
/// rectangle for each run of dark modules in a row, so that it stays sharp at
/// any printer's resolution and adds a few hundred bytes to the PDF.
struct PaymentQRCode {
    /// Modules on a side.
    let size: Int
    private let dark: [Bool]

    /// The quiet zone the QR specification asks for around the code, in modules.
    static let quietZone = 4

    /// Encodes `text` as bytes (its UTF-8, as the EPC payload declares) with
    /// error correction level M, the version chosen to fit.
    init(_ text: String) throws(RenderError) {
        let bytes = Array(text.utf8)
        guard let code = QRcode_encodeData(Int32(bytes.count), bytes, 0, QR_ECLEVEL_M) else {
            throw RenderError(.qrCode, "the payment QR code could not be encoded (\(bytes.count) bytes)")
        }
        defer { QRcode_free(code) }
        size = Int(code.pointee.width)
        let data = code.pointee.data!
        dark = (0..<size * size).map { data[$0] & 1 == 1 }
    }

    /// Draws the code and its white quiet zone in a square of `side` points
    /// whose top-left corner is `(x, y)`.
    func draw(at x: Double, _ y: Double, side: Double, in context: OpaquePointer) {
        let module = side / Double(size + 2 * Self.quietZone)
        cairo_set_source_rgb(context, 1, 1, 1)
        cairo_rectangle(context, x, y, side, side)
        cairo_fill(context)
        cairo_set_source_rgb(context, 0, 0, 0)
        let origin = (x + Double(Self.quietZone) * module, y + Double(Self.quietZone) * module)
        for row in 0..<size {
            var column = 0
            while column < size {
                guard dark[row * size + column] else { column += 1; continue }
                let start = column
                while column < size && dark[row * size + column] { column += 1 }
                cairo_rectangle(context, origin.0 + Double(start) * module, origin.1 + Double(row) * module,
                                Double(column - start) * module, module)
            }
        }
        cairo_fill(context)
    }
}
