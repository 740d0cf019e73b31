import Foundation
import Letters

/// Numbers as a reader of each language in Belgium writes them.
enum LetterFormatting {
    /// `1.234,56 €` in fr, nl and de; `€1,234.56` in en.
    static func amount(_ cents: Int64, _ language: Language) -> String {
        let negative = cents < 0
        let magnitude = cents.magnitude
        let euros = group(String(magnitude / 100), separator: language == .en ? "," : ".")
        let fraction = magnitude % 100 < 10 ? "0\(magnitude % 100)" : "\(magnitude % 100)"
        let sign = negative ? "-" : ""
        return language == .en
            ? "\(sign)€\(euros).\(fraction)"
            : "\(sign)\(euros),\(fraction)\u{00A0}€"
    }

    /// A quantity without trailing zeros: `2`, `2,5`.
    static func decimal(_ value: DecimalNumber, _ language: Language) -> String {
        var text = value.description
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return language == .en ? text : text.replacingOccurrences(of: ".", with: ",")
    }

    /// `21 %` in fr and de, `21%` in nl and en.
    static func percentage(_ value: DecimalNumber, _ language: Language) -> String {
        let number = decimal(value, language)
        return language == .fr || language == .de ? "\(number)\u{00A0}%" : "\(number)%"
    }

    private static func group(_ digits: String, separator: String) -> String {
        var groups: [String] = []
        var end = digits.endIndex
        while end > digits.startIndex {
            let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
            groups.insert(String(digits[start..<end]), at: 0)
            end = start
        }
        return groups.joined(separator: separator)
    }
}
