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
}
