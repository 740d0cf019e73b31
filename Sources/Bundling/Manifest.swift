import Foundation
import Letters

/// `manifest.json`, `courrier.manifest/1`: what a print shop needs to run the
/// bundle without opening it.
public struct Manifest: Codable, Sendable, Equatable {
    public static let format = "courrier.manifest/1"

    public struct Totals: Codable, Sendable, Equatable {
        public var letters: Int
        /// Pages of the letters, as charged.
        public var pages: Int
        /// Blank backs added so that each duplex letter starts on a new sheet.
        public var blankPages: Int
        public var sheets: Int
        public var amountCents: Int64
    }

    public struct Letter: Codable, Sendable, Equatable {
        /// Print order, from 1.
        public var sequence: Int
        public var job: Int64
        public var account: String
        public var document: String
        public var file: String
        /// The letter's first page in `file`, from 1.
        public var firstPage: Int
        public var pages: Int
        public var sheets: Int
        public var priceCents: Int64
        public var color: Bool
        public var duplex: Bool
        public var country: String
        public var postalCode: String
        /// The address lines exactly as printed in the window.
        public var recipient: [String]
    }

    public var format: String
    public var batch: String
    public var createdAt: String
    public var totals: Totals
    public var letters: [Letter]

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decode(_ data: Data) throws -> Manifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Manifest.self, from: data)
    }

    /// `manifest.csv`: the letters, one row each, under a header line, for the
    /// print shop's spreadsheet and mail-merge tools.
    func csv() -> String {
        let maximumLines = PostalAddress.maximumDomesticLines + 1
        var header = ["sequence", "job", "account", "document", "file", "first_page", "pages", "sheets",
                      "price_cents", "color", "duplex", "country", "postal_code"]
        header += (1...maximumLines).map { "recipient_line_\($0)" }
        var rows = [header]
        for letter in letters {
            var row = [String(letter.sequence), String(letter.job), letter.account, letter.document, letter.file,
                       String(letter.firstPage), String(letter.pages), String(letter.sheets), String(letter.priceCents),
                       String(letter.color), String(letter.duplex), letter.country, letter.postalCode]
            row += (0..<maximumLines).map { $0 < letter.recipient.count ? letter.recipient[$0] : "" }
            rows.append(row)
        }
        return rows.map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// RFC 4180: quote a field that holds a comma, a quote or a line break.
    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
