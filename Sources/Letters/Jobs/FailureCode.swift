/// Why a letter failed, as the store records it (`reason_code`), metrics
/// count it and the product reads it: one list, whoever found the fault.
/// The reason beside it says, in words, what to fix.
public enum FailureCode: String, Sendable, Codable, CaseIterable {
    /// The document is not a valid `courrier.document/1`.
    case invalidDocument = "invalid_document"
    /// The tariff has no price for the recipient's country.
    case unknownDestination = "unknown_destination"
    /// The letter has more pages than the tariff prices.
    case tooManyPages = "too_many_pages"
    /// The letter is too thick to fold and the tariff has no flat price.
    case noFlatPrice = "no_flat_price"
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
    /// Drawn into its bundle, the letter had other pages than it was charged for.
    case pageCountChanged = "page_count_changed"
    /// A letter to the same address came back undeliverable: the address is held for the account.
    case returnedAddress = "returned_address"
    /// The print shop spoiled it more often than it is printed again (`COURRIER_REPRINTS`); refunded.
    case spoiled
    /// Preparing it ended its process, and then the process that prepared it alone.
    case crashed
    /// Failed before the store recorded codes.
    case unknown
}
