import Foundation
import Letters
import Rendering
import Storage

/// The product's questions before it sends: what a document looks like
/// printed, and what it would cost. Nothing is queued or charged.
public final class Quoting {
    public struct Quote: Sendable, Equatable {
        public var account: String
        public var pages: Int
        public var sheets: Int
        /// `C5/6` or `DL` folded, `C4` flat.
        public var envelope: String
        public var priceCents: Int64
        public var balanceCents: Int64
        public var balanceAfterCents: Int64
        /// What the price pays for, as the product's window says it.
        public var includes: Includes
    }

    /// What a letter's price pays for: the stamp to its country, the window
    /// envelope, the sheets of paper, and their print.
    public struct Includes: Sendable, Equatable {
        /// The recipient's country, whose postage the stamp pays.
        public var stamp: String
        public var envelope: String
        public var sheets: Int
        public var color: Bool
        public var duplex: Bool

        /// "stamp to BE, C5/6 window envelope, 2 sheets of paper, colour print on one side"
        public var description: String {
            let envelope = envelope == "C4" ? "C4 envelope (flat)" : "\(envelope) window envelope"
            return "stamp to \(stamp), \(envelope), \(sheets) sheet\(sheets == 1 ? "" : "s") of paper, "
                + "\(color ? "colour" : "black and white") print on \(duplex ? "both sides" : "one side")"
        }
    }

    private let store: AccountStore & WalletStore
    private let intake: Intake
    private let tariff: Tariff
    private let inserting: InsertingPolicy
    private let renderer = LetterRenderer()

    init(store: AccountStore & WalletStore, intake: Intake, tariff: Tariff, inserting: InsertingPolicy) {
        self.store = store
        self.intake = intake
        self.tariff = tariff
        self.inserting = inserting
    }

    /// Renders a document file as it would be mailed, with what it leaves to its account.
    public func render(file: URL) throws -> (document: Document, letter: RenderedLetter, pages: Int) {
        try Self.render(file: file, intake: intake, with: renderer, defaults: accountDefaults)
    }

    /// What mailing a document would cost, and what the wallet would hold
    /// after: counted as preparation counts it, without drawing the letter.
    public func quote(file: URL) throws -> Quote {
        let letter = try Self.open(file: file, intake: intake, defaults: accountDefaults)
        let price: LetterPrice
        do {
            price = try LetterPrice(letter.document, terms: letter.terms, renderer: renderer, tariff: tariff,
                                    inserting: inserting)
        } catch let error as RenderError {
            throw MailRoomError(.document, subject: file.path, "\(file.path): \(error.description)")
        } catch let error as Tariff.PricingError {
            throw MailRoomError(.document, subject: file.path, "\(file.path): \(error.description)")
        }
        let balance = try store.balance(account: letter.document.account)
        return Quote(account: letter.document.account, pages: price.pages, sheets: price.placement.sheets,
                     envelope: price.placement.stream.envelope.rawValue, priceCents: price.priceCents, balanceCents: balance,
                     balanceAfterCents: balance - price.priceCents,
                     includes: Includes(stamp: letter.document.recipient.country, envelope: price.placement.stream.envelope.rawValue,
                                        sheets: price.placement.sheets, color: price.placement.stream.color,
                                        duplex: price.placement.stream.duplex))
    }

    /// The document with what it leaves to its account filled in: the envelope window.
    private func accountDefaults(_ document: Document) throws -> Document {
        try AccountDefaults(store: store).apply(to: document)
    }

    /// Renders a document file as it would be mailed, without a store.
    /// `defaults` fills in what the document leaves to its account.
    static func render(file: URL, intake: Intake, with renderer: LetterRenderer = LetterRenderer(),
                       defaults: ((Document) throws -> Document)? = nil) throws
        -> (document: Document, letter: RenderedLetter, pages: Int) {
        let opened = try open(file: file, intake: intake, defaults: defaults)
        do {
            let letter = try renderer.render(opened.document, terms: opened.terms, logo: opened.logo)
            let pages = try PDFDocument(bytes: letter.pdf, name: "rendered letter").pageCount
            return (opened.document, letter, pages)
        } catch {
            throw MailRoomError(.document, subject: file.path, "\(file.path): \(error.description)")
        }
    }

    /// A document file read and checked as `enqueue` reads it, with its terms
    /// and logo read in isolation into Courrier's copies.
    static func open(file: URL, intake: Intake, defaults: ((Document) throws -> Document)? = nil) throws
        -> (document: Document, terms: LetterTerms?, logo: LetterLogo?) {
        let data: Data
        do { data = try Intake.read(file) } catch {
            throw MailRoomError(.document, subject: file.path, error.description)
        }
        do {
            var document = try DocumentParser.parse(data)
            if let defaults { document = try defaults(document) }
            let attachments = try intake.attachments(of: document, folder: file.deletingLastPathComponent())
            let terms = try LetterTerms.open(document.terms, pdfBytes: attachments.terms?.pdf,
                                             name: document.terms.map(AttachmentCache.describe) ?? "terms")
            let logo = try attachments.logo.map { bytes throws(RenderError) in
                try LetterLogo(png: bytes, name: document.sender.logo?.name ?? "sender.logo")
            }
            return (document, terms, logo)
        } catch let error as DocumentError {
            throw MailRoomError(.document, subject: file.path, "\(file.path): \(error.description)")
        } catch let error as RenderError {
            throw MailRoomError(.document, subject: file.path, "\(file.path): \(error.description)")
        }
    }
}
