import Foundation

extension Document {
    /// The checked document as intake stores it beside the customer's JSON:
    /// what preparation and the cut decode, rather than check the customer's
    /// JSON again. Terms and a logo given inline are left out: they are kept
    /// once by their hash beside it, and only the kind of source stays.
    public func storedForm() throws -> [UInt8] {
        var stored = self
        if case .pdfData? = terms { stored.terms = .pdfData([]) }
        if case .pngData? = sender.logo { stored.sender.logo = .pngData([]) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return [UInt8](try encoder.encode(StoredForm(version: StoredForm.current, document: stored)))
    }

    /// The document a queued letter is made from: its stored form, or, for a
    /// letter stored by a Courrier of another shape (none, or an older
    /// version), its JSON checked again.
    public static func stored(_ form: [UInt8]?, json: [UInt8]) throws(DocumentError) -> Document {
        if let form, let stored = try? JSONDecoder().decode(StoredForm.self, from: Data(form)),
           stored.version == StoredForm.current {
            return stored.document
        }
        return try DocumentParser.parse(Data(json))
    }

    private struct StoredForm: Codable {
        /// Raised whenever `Document`'s shape changes: a form of another version is not decoded.
        static let current = 1
        var version: Int
        var document: Document
    }
}
