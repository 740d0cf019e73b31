/// Why a letter could not be drawn, with what a person needs to fix it.
public struct RenderError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The recipient's address does not fit the envelope window at a legible size.
        case addressDoesNotFit = "address_does_not_fit"
        /// A terms PDF could not be opened: corrupt, encrypted, empty.
        case unreadableTerms = "unreadable_terms"
        /// The sender's logo is not a PNG that can be drawn, or is too large.
        case unreadableLogo = "unreadable_logo"
        /// Cairo reported an error while drawing or writing the PDF.
        case cairo
        /// The payment QR code could not be encoded.
        case qrCode = "qr_code"
        /// A proof image could not be made.
        case proof
        /// The text holds a character no font on this machine can draw.
        case missingGlyph = "missing_glyph"
        /// An inserter mark could not be made.
        case marks
        /// A block of the letter (a table row, the totals) is taller than a page.
        case doesNotFit = "does_not_fit"
        /// Laying the letter out took more processor time than a letter may.
        case layoutTooSlow = "layout_too_slow"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
