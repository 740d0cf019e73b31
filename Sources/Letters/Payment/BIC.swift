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
            throw PaymentDetailProblem(text, "expected a BIC of 8 or 11 characters such as GKCCBEBB")
        }
        self.code = code
    }

    public var description: String { code }
}
