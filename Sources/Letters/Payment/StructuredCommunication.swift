import Foundation

/// A Belgian structured communication, `+++090/9337/55493+++`: twelve digits,
/// the last two a check on the first ten.
///
/// Febelfin, "Gestructureerde mededeling": the check number is the remainder of
/// the first ten digits divided by 97, and 97 when that remainder is 0.
public struct StructuredCommunication: Sendable, Equatable, CustomStringConvertible, Codable {
    /// The twelve digits, without separators.
    public let digits: String

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notTwelveDigits(String)
        case wrongCheck(String, expected: Int)

        public var description: String {
            switch self {
            case .notTwelveDigits(let text):
                "is \"\(text)\", expected twelve digits written +++ddd/dddd/ddddd+++"
            case .wrongCheck(let text, let expected):
                "is \"\(text)\", whose check digits should be \(expected < 10 ? "0" : "")\(expected) (mod 97)"
            }
        }
    }

    /// Reads the `+++ddd/dddd/ddddd+++` or `***ddd/dddd/ddddd***` form, or the
    /// twelve bare digits.
    public init(_ text: String) throws(Problem) {
        var core = Substring(text.trimmingCharacters(in: .whitespaces))
        for fence in ["+++", "***"] where core.hasPrefix(fence) && core.hasSuffix(fence) && core.count > 6 {
            core = core.dropFirst(3).dropLast(3)
        }
        let groups = core.split(separator: "/", omittingEmptySubsequences: false).map(\.count)
        let digits = core.filter { $0 != "/" }
        guard digits.count == 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              groups == [3, 4, 5] || groups == [12] else {
            throw .notTwelveDigits(text)
        }
        let base = Int(digits.prefix(10))!
        let check = Int(digits.suffix(2))!
        let expected = Self.checkNumber(base)
        guard check == expected else { throw .wrongCheck(text, expected: expected) }
        self.digits = digits
    }

    /// The communication for a base of up to ten digits, such as an invoice
    /// sequence number.
    public init(base: Int) {
        precondition((0..<10_000_000_000).contains(base), "a structured communication has ten base digits")
        let baseDigits = String(base)
        let padded = String(repeating: "0", count: 10 - baseDigits.count) + baseDigits
        let check = Self.checkNumber(base)
        digits = padded + (check < 10 ? "0" : "") + String(check)
    }

    static func checkNumber(_ base: Int) -> Int {
        let remainder = base % 97
        return remainder == 0 ? 97 : remainder
    }

    /// `+++090/9337/55493+++`, as printed on the letter.
    public var description: String {
        let characters = Array(digits)
        return "+++\(String(characters[0..<3]))/\(String(characters[3..<7]))/\(String(characters[7..<12]))+++"
    }
}
