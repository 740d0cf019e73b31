/// Country names for the last line of an address abroad, in the four languages
/// Courrier writes. The Universal Postal Union asks for the destination country
/// in the language of the country of origin, in capitals.
enum CountryNames {
    private static let names: [String: (fr: String, nl: String, de: String, en: String)] = [
        "AT": ("Autriche", "Oostenrijk", "Österreich", "Austria"),
        "CH": ("Suisse", "Zwitserland", "Schweiz", "Switzerland"),
        "DE": ("Allemagne", "Duitsland", "Deutschland", "Germany"),
        "DK": ("Danemark", "Denemarken", "Dänemark", "Denmark"),
        "ES": ("Espagne", "Spanje", "Spanien", "Spain"),
        "FR": ("France", "Frankrijk", "Frankreich", "France"),
        "GB": ("Royaume-Uni", "Verenigd Koninkrijk", "Vereinigtes Königreich", "United Kingdom"),
        "IE": ("Irlande", "Ierland", "Irland", "Ireland"),
        "IT": ("Italie", "Italië", "Italien", "Italy"),
        "LU": ("Luxembourg", "Luxemburg", "Luxemburg", "Luxembourg"),
        "NL": ("Pays-Bas", "Nederland", "Niederlande", "Netherlands"),
        "PL": ("Pologne", "Polen", "Polen", "Poland"),
        "PT": ("Portugal", "Portugal", "Portugal", "Portugal"),
        "SE": ("Suède", "Zweden", "Schweden", "Sweden"),
        "US": ("États-Unis", "Verenigde Staten", "Vereinigte Staaten", "United States"),
    ]

    /// The name of `code` in `language`; the code itself when it is not in the table.
    static func name(of code: String, in language: Language) -> String {
        guard let entry = names[code] else { return code }
        switch language {
        case .fr: return entry.fr
        case .nl: return entry.nl
        case .de: return entry.de
        case .en: return entry.en
        }
    }
}
