/// A VAT number, checked as the country that issued it checks it: each
/// member state of the EU (Greece as `EL`, Northern Ireland as `XI`), the
/// United Kingdom, Switzerland and Norway have their form and check digits
/// in `VATRule`. Another country's number is held to its form only: a
/// country prefix, then letters and digits.
public struct VATNumber: Sendable, Equatable, CustomStringConvertible, Codable {
    /// Country prefix and number, as the EU's VIES writes it: `BE0123456749`, `EL094259216`, `ATU13585627`.
    public let compact: String

    public init(_ text: String) throws(PaymentDetailProblem) {
        // As people write them: `DK: 21599336`, `CZ 640229/4448`, `BE (0)468.561.072`, `CHE-116.281.710 MWST`,
        // `974 760 673 MVA`.
        var compact = PaymentDetailProblem.compact(text, dropping: " .-/:()")
        // Norwegians write theirs as the organisation number and MVA, without the country.
        if compact.count == 12, compact.hasSuffix("MVA"), compact.prefix(9).allSatisfy(\.isNumber) { compact = "NO" + compact }
        guard compact.count >= 4, compact.count <= 16, compact.prefix(2).allSatisfy({ $0.isASCII && $0.isLetter }),
              compact.dropFirst(2).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw PaymentDetailProblem(text, "expected a VAT number with its country prefix, such as BE0123456749")
        }
        // Greece's VAT numbers open with EL, not with its ISO code.
        let country = compact.hasPrefix("GR") ? "EL" : String(compact.prefix(2))
        guard let rule = VATRule.of(country) else {
            guard CountryNames.isCountry(country) else {
                throw PaymentDetailProblem(text, "\(country) is not a country code: a VAT number opens with its country's, such as BE")
            }
            self.compact = compact
            return
        }
        switch rule.read(Array(compact.dropFirst(2))) {
        case .valid(let number):
            self.compact = country + number
        case .misformed:
            throw PaymentDetailProblem(text, "a VAT number of \(rule.country) is \(rule.form)")
        case .wrongCheck:
            throw PaymentDetailProblem.mismatch(text, rule.check)
        }
    }

    /// As the number is printed on an invoice: Belgian ones as the
    /// Crossroads Bank for Enterprises writes them (`BE 0123.456.749`), Swiss
    /// ones as the UID register does (`CHE-116.281.710 MWST`); the others as VIES writes them.
    public var description: String {
        let number = Array(compact.dropFirst(2))
        switch compact.prefix(2) {
        case "BE" where number.count == 10:
            return "BE \(String(number[0..<4])).\(String(number[4..<7])).\(String(number[7..<10]))"
        case "CH" where number.count >= 10:
            let suffix = number.count > 10 ? " " + String(number[10...]) : ""
            return "CHE-\(String(number[1..<4])).\(String(number[4..<7])).\(String(number[7..<10]))\(suffix)"
        default:
            return compact
        }
    }
}
