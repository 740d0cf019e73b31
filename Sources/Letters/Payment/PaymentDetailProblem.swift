/// Why an IBAN, a BIC or a VAT number was refused; the field path is added by the reader.
public struct PaymentDetailProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    /// `is "ES29 2100 …": the Spanish check digits (DC) do not match …`: the value as written, and why.
    init(_ text: String, _ reason: String) {
        self.description = "is \(DocumentProblem.quoted(text)): \(reason)"
    }

    /// A number whose check digits, by the rule `check` names ("Spanish
    /// check digits (DC)"), do not match the rest: most often a typing mistake.
    static func mismatch(_ text: String, _ check: String) -> PaymentDetailProblem {
        let plural = check.contains("digits") || check.contains("characters")
        return PaymentDetailProblem(text, "the \(check) \(plural ? "do" : "does") not match: a typing mistake?")
    }

    /// A number as people write it, in upper case and without the
    /// separators they put in it (spaces, non-breaking ones included).
    static func compact(_ text: String, dropping separators: String) -> String {
        String(text.unicodeScalars.filter { !separators.unicodeScalars.contains($0) && !$0.properties.isWhitespace }
            .map(Character.init)).uppercased()
    }
}
