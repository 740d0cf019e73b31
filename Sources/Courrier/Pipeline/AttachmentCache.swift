import Letters
import Rendering
import Storage

/// Opens each distinct terms PDF and logo once and draws every letter's from
/// that one copy: reopening costs time, and in a bundle, a copy of the fonts
/// or the image per letter.
///
/// What it opens are the copies Courrier wrote at intake (`IsolatedOpener`),
/// never a customer's own file.
final class AttachmentCache {
    private let store: LetterStore
    private var termsDocuments: [String: LetterTerms?] = [:]
    private var logos: [String: LetterLogo] = [:]
    /// Distinct attachments of each kind kept open; customers share a handful each.
    private let capacity = 64

    init(store: LetterStore) {
        self.store = store
    }

    /// The terms a stored job's document refers to: its attachment for a PDF.
    func terms(for source: TermsSource?, attachmentHash: String?) throws -> LetterTerms? {
        switch source {
        case nil: return nil
        case .text(let text)?: return .text(text)
        case .pdfFile?, .pdfData?:
            let name = source.map(Self.describe) ?? "terms"
            let terms = try cached(attachmentHash, name: name, code: .unreadableTerms, in: &termsDocuments) { bytes throws(RenderError) in
                try LetterTerms.open(source, pdfBytes: bytes, name: name)
            }
            return terms
        }
    }

    /// The logo a stored job's document carries.
    func logo(for source: LogoSource?, attachmentHash: String?) throws -> LetterLogo? {
        guard let source else { return nil }
        return try cached(attachmentHash, name: source.name, code: .unreadableLogo, in: &logos) { bytes throws(RenderError) in
            try LetterLogo(png: bytes, name: source.name)
        }
    }

    private func cached<Value>(_ hash: String?, name: String, code: RenderError.Code, in cache: inout [String: Value],
                               open: ([UInt8]) throws(RenderError) -> Value) throws -> Value {
        guard let hash else {
            throw RenderError(code, "\(name) was not stored with the document")
        }
        if let value = cache[hash] { return value }
        guard let bytes = try store.attachment(hash: hash) else {
            throw RenderError(code, "\(name) (attachment \(hash.prefix(12))) is missing from the store")
        }
        let value = try open(bytes)
        if cache.count >= capacity { cache.removeAll() }
        cache[hash] = value
        return value
    }

    static func describe(_ source: TermsSource) -> String {
        switch source {
        case .pdfFile(let path): "terms.pdf \"\(path)\""
        case .pdfData: "terms.pdf_base64"
        case .text: "terms text"
        }
    }
}
