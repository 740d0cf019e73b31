/// An International Bank Account Number, checked as ISO 13616 says: the
/// country's length, and the whole number, rearranged with its country code
/// and check digits moved to the end and letters turned into 10 to 35, leaves
/// 1 when divided by 97.
public struct IBAN: Sendable, Equatable, CustomStringConvertible, Codable {
    /// Upper case, without spaces: `BE71096123456769`.
    public let compact: String

    /// Lengths of the SEPA countries, from the IBAN registry.
    static let lengths: [String: Int] = [
        "BE": 16, "NL": 18, "LU": 20, "FR": 27, "DE": 22, "AT": 20, "CH": 21, "ES": 24, "IT": 27, "PT": 25,
        "IE": 22, "GB": 22, "DK": 18, "SE": 24, "FI": 18, "NO": 15, "PL": 28, "CZ": 24, "MC": 27, "LI": 21,
        "EE": 20, "LT": 20, "LV": 21, "SI": 19, "SK": 24, "HU": 28, "HR": 21, "RO": 24, "BG": 22, "GR": 27,
        "CY": 28, "MT": 31, "IS": 26, "SM": 27, "AD": 24, "GI": 23, "VA": 22,
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
        if let national = NationalCheck.of[country], !national.holds(Array(compact.dropFirst(4))) {
            throw PaymentDetailProblem("is \"\(text)\": the \(national.name) do not match its account number: a typing mistake?")
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

/// A country's own check digits inside its IBAN's account number (BBAN),
/// which mod 97 over the whole IBAN does not always catch, as each
/// country's banks publish them.
struct NationalCheck: Sendable {
    var name: String
    var holds: @Sendable ([Character]) -> Bool

    static let of: [String: NationalCheck] = [
        // The Belgian account number: its last two digits are the first ten mod 97, 97 for 0.
        "BE": NationalCheck(name: "Belgian check digits") { bban in
            guard let number = digits(bban), number.count == 12 else { return false }
            let check = value(number[0..<10]) % 97
            return (check == 0 ? 97 : check) == value(number[10..<12])
        },
        // The French RIB key (Monaco's too): 97 - (89 x bank + 15 x branch + 3 x account) mod 97, letters as digits.
        "FR": rib, "MC": rib,
        // Spain's two control digits (DC): bank and branch, then the account, weights 1, 2, 4, 8, 5, 10, 9, 7, 3, 6 mod 11.
        "ES": NationalCheck(name: "Spanish check digits (DC)") { bban in
            guard let number = digits(bban), number.count == 20 else { return false }
            return spanish([0, 0] + number[0..<8]) == number[8] && spanish(Array(number[10..<20])) == number[9]
        },
        // Norway: the last digit, weights 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 mod 11.
        "NO": NationalCheck(name: "Norwegian check digit") { bban in
            guard let number = digits(bban), number.count == 11 else { return false }
            let sum = zip(number[0..<10], [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]).reduce(0) { $0 + $1.0 * $1.1 }
            let check = (11 - sum % 11) % 11
            return check != 10 && check == number[10]
        },
        // Finland: the Luhn check over the fourteen digits.
        "FI": NationalCheck(name: "Finnish check digit") { bban in
            guard let number = digits(bban), number.count == 14 else { return false }
            let sum = number.reversed().enumerated().reduce(0) { total, pair in
                let doubled = pair.offset % 2 == 1 ? pair.element * 2 : pair.element
                return total + (doubled > 9 ? doubled - 9 : doubled)
            }
            return sum % 10 == 0
        },
        // Portugal's NIB: its last two digits are 98 - (the first nineteen x 100) mod 97.
        "PT": NationalCheck(name: "Portuguese check digits (NIB)") { bban in
            guard let number = digits(bban), number.count == 21 else { return false }
            let remainder = number[0..<19].reduce(0) { ($0 * 10 + $1) % 97 } * 100 % 97
            return 98 - remainder == value(number[19..<21])
        },
    ]

    static let rib = NationalCheck(name: "French check digits (clé RIB)") { bban in
        // A to I are 1 to 9, J to R are 1 to 9, S to Z are 2 to 9.
        let number = bban.compactMap { character -> Int? in
            if let digit = character.wholeNumberValue, character.isASCII { return digit }
            guard let ascii = character.asciiValue, character.isUppercase else { return nil }
            let offset = Int(ascii) - 65
            return offset < 9 ? offset + 1 : offset < 18 ? offset - 8 : offset - 16
        }
        guard number.count == 23, bban.count == 23 else { return false }
        let bank = value(number[0..<5]) % 97, branch = value(number[5..<10]) % 97
        let account = number[10..<21].reduce(0) { ($0 * 10 + $1) % 97 }
        return 97 - (89 * bank + 15 * branch + 3 * account) % 97 == value(number[21..<23])
    }

    private static func spanish(_ digits: [Int]) -> Int {
        let sum = zip(digits, [1, 2, 4, 8, 5, 10, 9, 7, 3, 6]).reduce(0) { $0 + $1.0 * $1.1 }
        let check = 11 - sum % 11
        return check == 11 ? 0 : check == 10 ? 1 : check
    }

    /// The BBAN's digits, or nil when it holds anything else.
    private static func digits(_ bban: [Character]) -> [Int]? {
        let values = bban.compactMap { $0.isASCII ? $0.wholeNumberValue : nil }
        return values.count == bban.count ? values : nil
    }

    private static func value(_ digits: ArraySlice<Int>) -> Int {
        digits.reduce(0) { $0 * 10 + $1 }
    }
}
