import Foundation
import Testing
import Letters
@testable import Rendering

/// A letter abroad ends its address with the destination country's name in
/// the letter's language, in capitals, for any ISO 3166 code: read back from
/// the printed page.
@Suite struct CountryNameTests {
    @Test(arguments: [
        ("fr", "JP", "JAPON"), ("fr", "US", "ÉTATS-UNIS"), ("fr", "CI", "CÔTE D’IVOIRE"),
        ("nl", "JP", "JAPAN"), ("nl", "DE", "DUITSLAND"), ("nl", "CZ", "TSJECHIË"),
        ("de", "NL", "NIEDERLANDE"), ("de", "MK", "NORDMAZEDONIEN"), ("de", "GB", "VEREINIGTES KÖNIGREICH"),
        ("en", "US", "UNITED STATES"), ("en", "CH", "SWITZERLAND"), ("en", "BR", "BRAZIL"),
    ])
    func theCountryIsNamedInTheLettersLanguageInCapitals(language: String, country: String, name: String) throws {
        let json = """
            {"format": "courrier.document/1", "account": "acme", "id": "ABROAD", "kind": "letter", "language": "\(language)",
             "issue_date": "2026-11-28", "body": "Bonjour.",
             "sender": {"name": "Acme SRL", "street": "Rue Royale 12", "postal_code": "1000", "city": "Bruxelles", "country": "BE"},
             "recipient": {"name": "Client", "street": "Main Street 1", "postal_code": "12345", "city": "Somewhere", "country": "\(country)"}}
            """
        let document = try DocumentParser.parse(Data(json.utf8))
        let pdf = try PDFDocument(bytes: try LetterRenderer().render(document, terms: nil).pdf, name: "abroad")
        let window = document.envelopeWindow.rectangle
        let inWindow = pdf.characters(onPage: 0).filter {
            $0.x1 >= window.x && $0.x2 <= window.x + window.width && $0.y1 >= window.y && $0.y2 <= window.y + window.height
        }
        let text = String(inWindow.map(\.character))
        let printed = text.replacingOccurrences(of: " ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(printed.hasSuffix(name.replacingOccurrences(of: " ", with: "")), "\(text)")
        #expect(document.recipient.windowLines(language: document.language).last == name)
    }
}
