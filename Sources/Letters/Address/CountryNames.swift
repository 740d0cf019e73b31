import Foundation

/// Country names for the last line of an address abroad, in the language the
/// letter is written in: the Universal Postal Union asks for the destination
/// country in the language of the country of origin, and bpost for it in
/// capitals (which `PostalAddress` applies).
///
/// Every ISO 3166 code has its name in Foundation's locale data (CLDR), the
/// same names a person finds in their system's settings.
enum CountryNames {
    /// The name of `code` in `language`; the code itself when there is none.
    static func name(of code: String, in language: Language) -> String {
        Locale(identifier: language.rawValue).localizedString(forRegionCode: code.uppercased()) ?? code
    }

    /// The English name of `code` as a sentence holds it: "Spain", "the Netherlands".
    static func inSentence(_ code: String) -> String {
        let name = name(of: code, in: .en)
        let takesThe = ["Netherlands", "United", "Islands", "Republic", "Emirates", "Territories", "Philippines", "Bahamas"]
        return takesThe.contains(where: name.contains) ? "the \(name)" : name
    }

    /// Whether `code` names a country or territory in ISO 3166, not a
    /// union or a continent.
    static func isCountry(_ code: String) -> Bool {
        isoCodes.contains(code)
    }

    private static let isoCodes = Set(Locale.Region.isoRegions.map(\.identifier)
        .filter { $0.count == 2 && !["EU", "UN", "EZ", "QO"].contains($0) })
}
