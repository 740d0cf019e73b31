/// An International Bank Account Number, checked as ISO 13616 and the
/// banks check it: its country's length and layout from the IBAN registry;
/// the whole number, rearranged with its country code and check digits moved
/// to the end and letters turned into 10 to 35, leaves 1 when divided by 97;
/// and the country's own check digits where it publishes them.
public struct IBAN: Sendable, Equatable, CustomStringConvertible, Codable {
    /// Upper case, without spaces: `BE71096123456769`.
    public let compact: String

    public init(_ text: String) throws(PaymentDetailProblem) {
        var compact = PaymentDetailProblem.compact(text, dropping: " .-")
        // "IBAN BE71 …", "IBAN: BE71 …", as it is often copied from a statement.
        if compact.hasPrefix("IBAN") { compact = String(compact.dropFirst(4).drop { $0 == ":" }) }
        let characters = Array(compact)
        guard characters.count >= 5, characters.count <= 34,
              characters.allSatisfy({ IBANRegistry.Kind.either.admits($0) }),
              characters[0..<2].allSatisfy({ IBANRegistry.Kind.letter.admits($0) }),
              characters[2..<4].allSatisfy({ IBANRegistry.Kind.digit.admits($0) }) else {
            throw PaymentDetailProblem(text, "expected an IBAN such as BE71 0961 2345 6769")
        }
        let country = String(characters[0..<2])
        let bban = Array(characters[4...])
        if let places = IBANRegistry.bban(of: country) {
            let name = "an IBAN of \(CountryNames.inSentence(country)) (\(country))"
            guard bban.count == places.count else {
                throw PaymentDetailProblem(text, "\(name) has \(places.count + 4) characters, this one \(characters.count)")
            }
            if let wrong = bban.indices.first(where: { !places[$0].admits(bban[$0]) }) {
                throw PaymentDetailProblem(text, "\(name) has \(places[wrong].name) as character \(wrong + 5), not \"\(bban[wrong])\"")
            }
        } else if !CountryNames.isCountry(country) {
            throw PaymentDetailProblem(text, "\(country) is not a country code: an IBAN opens with its country's, such as BE")
        } else if characters.count < 15 {
            // A country outside the registry may still issue IBANs (several
            // African central banks do): its number is held to mod 97 alone.
            throw PaymentDetailProblem(text, "expected an IBAN such as BE71 0961 2345 6769")
        }
        // ISO 13616: the country code and check digits moved to the end, the whole leaves 1 by 97.
        guard CheckDigits.mod97(bban + characters[0..<4]) == 1 else {
            throw PaymentDetailProblem(text, "whose check digits are wrong (mod 97): a typing mistake?")
        }
        if let national = NationalIBANCheck.of(country), !national.holds(bban) {
            throw PaymentDetailProblem.mismatch(text, national.name)
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
