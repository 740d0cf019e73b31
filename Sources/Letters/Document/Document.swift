/// A document to mail, as the invoicing app submits it: `courrier.document/1`.
public struct Document: Sendable, Codable {
    public static let format = "courrier.document/1"

    public var account: String
    public var id: String
    public var kind: DocumentKind
    public var language: Language
    public var number: String?
    public var issueDate: CivilDate
    public var dueDate: CivilDate?
    public var currency: String
    public var sender: Sender
    public var recipient: PostalAddress
    public var lines: [InvoiceLine]
    /// Computed from the lines; when the document states totals, they matched.
    public var totals: InvoiceTotals
    public var paymentReference: StructuredCommunication?
    public var notes: String?
    /// Free text for a plain letter, paragraphs separated by blank lines.
    public var body: String?
    public var terms: TermsSource?
    public var print: PrintOptions

    /// The window the address shows through: the document's choice, or the right one.
    public var envelopeWindow: EnvelopeWindow { print.window ?? .right }

    /// Fewer pages than the letter can possibly take, counted from its text
    /// before anything is drawn, so that a document far over the page limit
    /// fails without the time and memory drawing it would cost.
    ///
    /// A lower bound: a table row holds at most `charactersPerRow` characters
    /// of description (narrow letters in the description column), a page at
    /// most `rowsPerPage` rows, and text paragraphs count the same way.
    public var minimumPages: Int {
        let charactersPerRow = 130, rowsPerPage = 45
        func rows(_ text: String) -> Int { max(1, (text.count + charactersPerRow - 1) / charactersPerRow) }
        var total = lines.reduce(0) { $0 + rows($1.description) }
        for paragraph in [body, notes].compactMap({ $0 }) {
            total += paragraph.split(separator: "\n", omittingEmptySubsequences: false).reduce(0) { $0 + rows(String($1)) }
        }
        if case .text(let text)? = terms {
            total += text.split(separator: "\n", omittingEmptySubsequences: false).reduce(0) { $0 + rows(String($1)) }
        }
        return max(1, (total + rowsPerPage - 1) / rowsPerPage)
    }
}

public enum DocumentKind: String, Sendable, CaseIterable, Codable {
    case invoice
    case creditNote = "credit_note"
    case offer
    case reminder
    case letter

    /// Whether the document asks the recipient to pay.
    public var asksForPayment: Bool { self == .invoice || self == .reminder }
}

public enum Language: String, Sendable, CaseIterable, Codable {
    case fr, nl, de, en
}

/// Who sends the letter: printed in the header and the footer.
public struct Sender: Sendable, Codable {
    public var address: PostalAddress
    public var vat: VATNumber?
    public var iban: IBAN?
    public var bic: BIC?
    public var email: String?
    public var phone: String?
    /// Printed at the top of the first page in place of the name in large type.
    public var logo: LogoSource?
    /// The colour of the name, the title and the payment block; the default
    /// dark blue when nil.
    public var accentColor: RGBColor?
}

public struct InvoiceLine: Sendable, Codable {
    public var description: String
    public var quantity: DecimalNumber
    public var unit: String?
    public var unitPrice: DecimalNumber
    public var vatRate: DecimalNumber
    /// Quantity times unit price, rounded half up to the cent.
    public var netCents: Int64
}

/// Where the terms and conditions come from.
public enum TermsSource: Sendable, Equatable, Codable {
    /// A PDF next to the document, relative to its folder.
    case pdfFile(path: String)
    /// A PDF carried inside the document.
    case pdfData([UInt8])
    /// Plain text, laid out on pages of their own.
    case text(String)
}

public struct PrintOptions: Sendable, Equatable, Codable {
    public var color: Bool = true
    public var duplex: Bool = false
    /// Nil when the document leaves it to its account, whose default is the
    /// right window.
    public var window: EnvelopeWindow?

    public init(color: Bool = true, duplex: Bool = false, window: EnvelopeWindow? = nil) {
        self.color = color
        self.duplex = duplex
        self.window = window
    }
}

/// The envelope window the recipient's address shows through.
public enum EnvelopeWindow: String, Sendable, CaseIterable, Codable {
    case right, left
}
