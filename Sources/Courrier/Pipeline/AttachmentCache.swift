import Letters
import Rendering
import Storage

/// Opens each distinct terms PDF and logo once and draws every letter's from
/// that one copy: reopening costs time, and in a bundle, a copy of the fonts
/// or the image per letter.
///
/// What it opens are the copies Courrier wrote at intake (`IsolatedOpener`),
/// never a customer's own file: an attachment stored as the customer gave it
/// (by a Courrier that did not yet make copies) is read in isolation first.
final class AttachmentCache {
    private let store: AttachmentStore
    private let intake: Intake
    private var termsDocuments: [String: LetterTerms?] = [:]
    private var logos: [String: LetterLogo] = [:]
    /// Distinct attachments of each kind kept open; customers share a handful each.
    private let capacity = 64
    /// The terms opened, least recently used first.
    private var termsUse: [String] = []
    /// The most memory the terms pages drawn and kept may hold. The terms in
    /// hand are kept whatever they cost: intake has checked that one PDF can
    /// be drawn within the reader's memory limit.
    private let termsBudget: Int

    /// Keeps drawn terms pages while they cost at most `termsBudget` bytes.
    init(store: AttachmentStore, intake: Intake, termsBudget: Int = Configuration.defaultTermsMemory) {
        self.store = store
        self.intake = intake
        self.termsBudget = termsBudget
    }

    /// The terms a stored job's document refers to: its attachment for a PDF.
    func terms(for source: TermsSource?, attachmentHash: String?) throws -> LetterTerms? {
        switch source {
        case nil: return nil
        case .text(let text)?: return .text(text)
        case .pdfFile?, .pdfData?:
            let name = source.map(Self.describe) ?? "terms"
            let terms = try cached(attachmentHash, name: name, code: .unreadableTerms, in: &termsDocuments) { stored in
                let bytes = stored.normalized ? stored.bytes
                    : try intake.opener.terms(stored.bytes, name: name, maximumPages: intake.maximumPages).pdf
                return try LetterTerms.open(source, pdfBytes: bytes, name: name)
            }
            if let attachmentHash { keepWithinBudget(using: attachmentHash) }
            return terms
        }
    }

    /// The logo a stored job's document carries.
    func logo(for source: LogoSource?, attachmentHash: String?) throws -> LetterLogo? {
        guard let source else { return nil }
        return try cached(attachmentHash, name: source.name, code: .unreadableLogo, in: &logos) { stored in
            let bytes = stored.normalized ? stored.bytes : try intake.opener.logo(stored.bytes, name: source.name)
            return try LetterLogo(png: bytes, name: source.name)
        }
    }

    private func cached<Value>(_ hash: String?, name: String, code: RenderError.Code, in cache: inout [String: Value],
                               open: (StoredAttachment) throws -> Value) throws -> Value {
        guard let hash else {
            throw RenderError(code, "\(name) was not stored with the document")
        }
        if let value = cache[hash] { return value }
        guard let stored = try store.attachment(hash: hash) else {
            throw RenderError(code, "\(name) (attachment \(hash.prefix(12))) is missing from the store")
        }
        let value = try open(stored)
        if cache.count >= capacity { cache.removeAll() }
        cache[hash] = value
        return value
    }

    /// Marks `hash` as the terms in hand, then lets go of the least recently
    /// used others until the pages drawn of those kept fit the budget.
    private func keepWithinBudget(using hash: String) {
        termsUse.removeAll { $0 == hash }
        termsUse.append(hash)
        termsUse.removeAll { termsDocuments[$0] == nil }
        func cost(_ hash: String) -> Int {
            if case .pdf(let pdf)?? = termsDocuments[hash] { return pdf.drawnBytes }
            return 0
        }
        var total = termsUse.reduce(0) { $0 + cost($1) }
        while total > termsBudget, termsUse.count > 1 {
            let oldest = termsUse.removeFirst()
            total -= cost(oldest)
            termsDocuments[oldest] = nil
        }
    }

    static func describe(_ source: TermsSource) -> String {
        switch source {
        case .pdfFile(let path): "terms.pdf \"\(path)\""
        case .pdfData: "terms.pdf_base64"
        case .text: "terms text"
        }
    }
}
