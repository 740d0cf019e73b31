import Foundation
import Testing
@testable import Letters

@Suite struct DocumentTests {
    @Test(arguments: try FileManager.default.contentsOfDirectory(atPath: Paths.documents.path).filter { $0.hasSuffix(".json") })
    func everyFixtureIsValid(_ name: String) throws {
        let document = try DocumentParser.parse(try Data(contentsOf: Paths.document(name)))
        #expect(!document.recipient.windowLines(language: document.language).isEmpty)
    }

    /// Each mistake, and the words that must appear in its reason.
    static let mistakes: [(String, @Sendable (inout [String: Any]) -> Void, String)] = [
        ("missing postcode", { var r = $0["recipient"] as! [String: Any]; r["postal_code"] = nil; $0["recipient"] = r },
         "recipient.postal_code is missing"),
        ("amount as a number", { var l = ($0["lines"] as! [[String: Any]]); l[0]["unit_price"] = 65; $0["lines"] = l },
         "lines[0].unit_price must be a decimal string"),
        ("totals that do not add up", { $0["totals"] = ["gross": "157.31"] },
         "totals.gross is 157.31 but the lines add up to 157.30 (totals mismatch)"),
        ("wrong check digits", { $0["payment"] = ["reference": "+++090/9337/55494+++"] },
         "payment.reference is \"+++090/9337/55494+++\", whose check digits should be 93"),
        ("terms outside the folder", { $0["terms"] = ["pdf": "../secrets.pdf"] },
         "terms.pdf is \"../secrets.pdf\", which leaves the document's folder"),
        ("unknown kind", { $0["kind"] = "bill" }, "kind is \"bill\", expected one of invoice, credit_note"),
        ("impossible date", { $0["due_date"] = "2026-02-30" }, "due_date is \"2026-02-30\", expected a date"),
        ("Belgian postcode of three digits", { var r = $0["recipient"] as! [String: Any]; r["postal_code"] = "103"; $0["recipient"] = r },
         "recipient.postal_code is \"103\", expected a Belgian postcode"),
        ("a name of four characters carrying 2,000 accents",
         { var s = $0["sender"] as! [String: Any]; s["name"] = "Acme" + String(repeating: "\u{0301}", count: 2000); $0["sender"] = s },
         "sender.name is 2004 code points long; at most 1000 are allowed"),
        ("nine accents on one letter",
         { var r = $0["recipient"] as! [String: Any]; r["name"] = "Dupont e" + String(repeating: "\u{0301}", count: 9); $0["recipient"] = r },
         "recipient.name has 9 combining marks on character 8; at most 8 are allowed on one character"),
        ("terms text of 199,000 letters each with 35 marks",
         { $0["terms"] = ["text": String(repeating: "a" + String(repeating: "\u{0300}", count: 35), count: 199_000)] },
         "terms.text is 7164000 code points long; at most 400000 are allowed"),
        ("a Hangul jamo run that is one character",
         { $0["notes"] = String(repeating: "\u{1100}", count: 40) },
         "notes has 40 code points in character 1; at most 16 are allowed in one character"),
        ("address line over 50 characters",
         { var r = $0["recipient"] as! [String: Any]; r["street"] = String(repeating: "Chaussée ", count: 7); $0["recipient"] = r },
         "a line holds at most 50"),
    ]

    @Test(arguments: 0..<mistakes.count)
    func aMistakeIsNamedWithItsField(_ index: Int) throws {
        let (_, change, expected) = Self.mistakes[index]
        let json = try fixtureDocument(changing: change)
        do {
            _ = try DocumentParser.parse(Data(json.utf8))
            Issue.record("a document with \(Self.mistakes[index].0) was accepted")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let json = try fixtureDocument { document in
            document["language"] = "es"
            document["issue_date"] = nil
        }
        #expect(throws: DocumentError([
            DocumentProblem(field: "language", message: "is \"es\", expected one of fr, nl, de, en"),
            DocumentProblem(field: "issue_date", message: "is missing"),
        ])) { try DocumentParser.parse(Data(json.utf8)) }
    }

    @Test func notJSONAtAllSaysSo() {
        #expect(throws: DocumentError.self) { try DocumentParser.parse(Data("{\"account\": ".utf8)) }
    }

    /// What people write in every script still goes through: the bounds stop
    /// stacked marks, not languages.
    @Test(arguments: ["Nguyễn Thị Minh Khai", "Ελληνική Δημοκρατία", "क्षत्रिय स्त्री", "בְּרֵאשִׁית",
                      "👨‍👩‍👧‍👦 Famille Dupont", "한국어 주식회사", "Ærøskøbing Å"])
    func ordinaryTextOfManyScriptsIsWithinBounds(text: String) {
        #expect(TextBounds.problem(in: text, characters: 500) == nil)
    }
}
