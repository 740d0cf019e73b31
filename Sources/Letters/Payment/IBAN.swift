/// An International Bank Account Number, checked as ISO 13616 says: the
/// country's length, and the whole number, rearranged with its country code
/// and check digits moved to the end and letters turned into 10 to 35, leaves
/// 1 when divided by 97.
public struct IBAN: Sendable, Equatable, CustomStringConvertible, Codable {
    /// Upper case, without spaces: `BE71096123456769`.
    public let compact: String

    /// Lengths of the SEPA countries a Belgian business most often pays or is paid from.
    static let lengths: [String: Int] = [
        "BE": 16, "NL": 18, "LU": 20, "FR": 27, "DE": 22, "AT": 20, "CH": 21, "ES": 24, "IT": 27, "PT": 25,
        "IE": 22, "GB": 22, "DK": 18, "SE": 24, "FI": 18, "NO": 15, "PL": 28, "CZ": 24, "MC": 27, "LI": 21,
    ]

    public init(_ text: String) throws(PaymentDetailProblem) {
        var compact = PaymentDetailProblem.compact(text, dropping: " .-")
        // "IBAN BE71 …", "IBAN: BE71 …", as it is often copied from a statement.
        if compact.hasPrefix("IBAN") { compact = String(compact.dropFirst(4).drop { $0 == ":" }) }
        guard compact.count >= 15, compact.count <= 34,
              compact.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
              compact.prefix(2).allSatisfy(\.isLetter), compact.dropFirst(2).prefix(2).allSatisfy(\.isNumber) else {
            throw PaymentDetailProblem("is \"\(text)\", expected an IBAN such as BE71 0961 2345 6769")
        }
        let country = String(compact.prefix(2))
        if let length = Self.lengths[country], compact.count != length {
            throw PaymentDetailProblem("is \"\(text)\": an IBAN of \(country) has \(length) characters, this one \(compact.count)")
        }
        let rearranged = compact.dropFirst(4) + compact.prefix(4)
        var remainder = 0
        for character in rearranged {
            let value = character.isNumber ? Int(String(character))! : Int(character.asciiValue! - 55)
            remainder = (remainder * (value < 10 ? 10 : 100) + value) % 97
        }
        guard remainder == 1 else {
            throw PaymentDetailProblem("is \"\(text)\", whose check digits are wrong (mod 97): a typing mistake?")
        }
        self.compact = compact
    }

    /// In groups of four, as printed: `BE71 0961 2345 6769`.
    public var description: String {
        stride(from: 0, to: compact.count, by: 4).map { start in
            let from = compact.index(compact.startIndex, offsetBy: start)
            return String(compact[from..<compact.index(from, offsetBy: min(4, compact.count - start))])
        }.joined(separator: " ")
    }
}

/// A Business Identifier Code (ISO 9362): four letters for the bank, two for
/// the country, two letters or digits for the place, and an optional branch
/// of three: 8 or 11 characters.
public struct BIC: Sendable, Equatable, CustomStringConvertible, Codable {
    public let code: String

    public init(_ text: String) throws(PaymentDetailProblem) {
        let code = String(text.filter { $0 != " " }).uppercased()
        let characters = Array(code)
        guard characters.count == 8 || characters.count == 11,
              characters[0..<6].allSatisfy({ $0.isASCII && $0.isLetter }),
              characters[6...].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw PaymentDetailProblem("is \"\(text)\", expected a BIC of 8 or 11 characters such as GKCCBEBB")
        }
        self.code = code
    }

    public var description: String { code }
}

/// A VAT number. A Belgian one (BE and ten digits, the first 0 or 1) is
/// checked: its last two digits are 97 minus the first eight modulo 97. Other
/// countries' numbers are checked for their form only.
public struct VATNumber: Sendable, Equatable, CustomStringConvertible, Codable {
    /// Country prefix and digits, without dots or spaces: `BE0123456749`.
    public let compact: String

    public init(_ text: String) throws(PaymentDetailProblem) {
        // As people write them: `DK: 21599336`, `CZ 640229/4448`, `BE (0)468.561.072`.
        let compact = PaymentDetailProblem.compact(text, dropping: " .-/:()")
        guard compact.count >= 4, compact.count <= 14, compact.prefix(2).allSatisfy({ $0.isASCII && $0.isLetter }),
              compact.dropFirst(2).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw PaymentDetailProblem("is \"\(text)\", expected a VAT number with its country prefix, such as BE0123456749")
        }
        if compact.hasPrefix("BE") {
            var digits = String(compact.dropFirst(2))
            if digits.count == 9 { digits = "0" + digits }  // the old nine-digit form
            guard digits.count == 10, digits.allSatisfy(\.isNumber), digits.first == "0" || digits.first == "1" else {
                throw PaymentDetailProblem("is \"\(text)\", expected BE and ten digits starting with 0 or 1")
            }
            let check = 97 - Int(digits.prefix(8))! % 97
            guard Int(digits.suffix(2)) == check else {
                throw PaymentDetailProblem("is \"\(text)\", whose check digits should be \(check < 10 ? "0" : "")\(check) (97 minus the first eight digits mod 97)")
            }
            self.compact = "BE" + digits
        } else {
            self.compact = compact
        }
    }

    /// `BE 0123.456.749` for Belgian numbers, as they are printed; others as given.
    public var description: String {
        guard compact.hasPrefix("BE"), compact.count == 12 else { return compact }
        let digits = Array(compact.dropFirst(2))
        return "BE \(String(digits[0..<4])).\(String(digits[4..<7])).\(String(digits[7..<10]))"
    }
}

/// Why an IBAN, a BIC or a VAT number was refused; the field path is added by the reader.
public struct PaymentDetailProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }

    /// A number as people write it, in upper case and without the
    /// separators they put in it (spaces, non-breaking ones included).
    static func compact(_ text: String, dropping separators: String) -> String {
        String(text.unicodeScalars.filter { !separators.unicodeScalars.contains($0) && !$0.properties.isWhitespace }
            .map(Character.init)).uppercased()
    }
}
