import Foundation

/// A postal address as the document gives it.
public struct PostalAddress: Sendable, Equatable, Codable {
    public var name: String
    /// A department or service of the organisation named: "Service comptabilité".
    public var department: String?
    public var attention: String?
    public var street: String
    /// A second street line: a building, a department, a post-office box.
    public var streetExtra: String?
    public var postalCode: String
    public var city: String
    /// ISO 3166-1 alpha-2, upper case: `BE`, `NL`.
    public var country: String

    public init(name: String, department: String? = nil, attention: String? = nil, street: String,
                streetExtra: String? = nil, postalCode: String, city: String, country: String) {
        self.name = name
        self.department = department
        self.attention = attention
        self.street = street
        self.streetExtra = streetExtra
        self.postalCode = postalCode
        self.city = city
        self.country = country
    }

    /// The address as a returned letter holds it: name, street, postcode,
    /// city and country, each folded to lower case with its punctuation
    /// dropped and its spaces collapsed, so that "Rue Royale 12" and
    /// "rue royale, 12" are one address, and a corrected one is another.
    public var holdKey: String {
        [name, street, streetExtra ?? "", postalCode, city, country].map { part in
            var folded = String.UnicodeScalarView()
            for scalar in part.lowercased().unicodeScalars {
                let kept = scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                // Spaces and punctuation alike are one space, none at either end.
                if kept {
                    folded.append(scalar)
                } else if let last = folded.last, last != " " {
                    folded.append(" ")
                }
            }
            if folded.last == " " { folded.removeLast() }
            return String(folded)
        }.joined(separator: "|")
    }

    /// bpost's limits for an address block: at most 6 lines in Belgium, 7 when a
    /// country line is added for abroad, 50 characters each.
    public static let maximumLineLength = 50
    public static let maximumDomesticLines = 6

    /// The lines printed in the envelope window, in bpost's order: name,
    /// department, attention, street and number, extra line, postcode and
    /// city, and the country in capitals only when the letter leaves Belgium.
    ///
    /// `language` is the sender's: the country line is written for the Belgian
    /// post office that reads it first.
    public func windowLines(language: Language) -> [String] {
        var lines = [name]
        if let department { lines.append(department) }
        if let attention {
            lines.append(Self.attentionPrefix(language) + attention)
        }
        lines.append(Self.streetLine(street, language: language))
        if let streetExtra { lines.append(streetExtra) }
        lines.append("\(postalCode) \(city)")
        if country != "BE" {
            // Capitals as the letter's language writes them: CÔTE D’IVOIRE, ÉTATS-UNIS.
            lines.append(CountryNames.name(of: country, in: language).uppercased(with: Locale(identifier: language.rawValue)))
        }
        return lines
    }

    /// Checks the address against bpost's rules; each problem is named under
    /// `field` (`recipient`).
    public func problems(field: String, language: Language) -> [DocumentProblem] {
        var problems: [DocumentProblem] = []
        if country.count != 2 || !country.allSatisfy({ $0.isASCII && $0.isUppercase }) {
            problems.append(DocumentProblem(field: "\(field).country",
                message: "is \"\(country)\", expected a two-letter ISO 3166 code such as \"BE\""))
        }
        if country == "BE" {
            let isBelgianCode = postalCode.count == 4 && postalCode.allSatisfy { $0.isASCII && $0.isNumber }
                && (1000...9999).contains(Int(postalCode) ?? 0)
            if !isBelgianCode {
                problems.append(DocumentProblem(field: "\(field).postal_code",
                    message: "is \"\(postalCode)\", expected a Belgian postcode of four digits (1000 to 9999)"))
            }
        }
        let lines = windowLines(language: language)
        let limit = Self.maximumDomesticLines + (country == "BE" ? 0 : 1)
        if lines.count > limit {
            problems.append(DocumentProblem(field: field,
                message: "has \(lines.count) address lines; the window holds at most \(limit)"))
        }
        for line in lines where line.count > Self.maximumLineLength {
            problems.append(DocumentProblem(field: field,
                message: "address line \"\(line)\" is \(line.count) characters; a line holds at most \(Self.maximumLineLength)"))
        }
        return problems
    }

    /// The street with its box written as bpost asks in the letter's language:
    /// "bte" in French, "bus" in Dutch, "Box" in German and English. A box is
    /// a marker word right after the house number: "Louvain 245 bus 3"
    /// becomes "Louvain 245 bte 3" in French; "Rue du Bus 12" is left alone.
    static func streetLine(_ street: String, language: Language) -> String {
        let markers: Set<String> = ["bte", "bte.", "boîte", "bus", "box", "bt", "bt."]
        var words = street.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        for index in words.indices.dropFirst().dropLast()
        where markers.contains(words[index].lowercased()) && words[index - 1].contains(where: \.isNumber) {
            words[index] = switch language {
            case .fr: "bte"
            case .nl: "bus"
            case .de, .en: "Box"
            }
        }
        return words.joined(separator: " ")
    }

    private static func attentionPrefix(_ language: Language) -> String {
        switch language {
        case .fr: "À l'att. de "
        case .nl: "T.a.v. "
        case .de: "z. Hd. "
        case .en: "Attn. "
        }
    }
}
