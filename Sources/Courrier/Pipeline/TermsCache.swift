import Letters
import Rendering
import Storage

/// Opens each distinct terms PDF once and draws every letter's terms from that
/// one Poppler document: reopening it per letter costs time, and in a bundle,
/// a copy of its fonts per letter.
final class TermsCache {
    private let store: LetterStore
    private var documents: [String: PDFDocument] = [:]
    /// Distinct terms documents kept open; customers share a handful each.
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
            guard let attachmentHash else {
                throw RenderError(.unreadableTerms, "\(name) was not stored with the document")
            }
            if let document = documents[attachmentHash] { return .pdf(document) }
            guard let bytes = try store.attachment(hash: attachmentHash) else {
                throw RenderError(.unreadableTerms, "\(name) (attachment \(attachmentHash.prefix(12))) is missing from the store")
            }
            let document = try PDFDocument(bytes: bytes, name: name)
            if documents.count >= capacity { documents.removeAll() }
            documents[attachmentHash] = document
            return .pdf(document)
        }
    }

    static func describe(_ source: TermsSource) -> String {
        switch source {
        case .pdfFile(let path): "terms PDF \(path)"
        case .pdfData: "terms PDF (terms.pdf_base64)"
        case .text: "terms text"
        }
    }
}
