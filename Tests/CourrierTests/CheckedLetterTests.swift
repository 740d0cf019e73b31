import Foundation
import Testing
@testable import Courrier
import Bundling
import Letters
import Rendering
@testable import Storage

/// A document is checked once, at intake: the store keeps the checked letter
/// beside the customer's JSON, and preparation and the cut are made from it.
@Suite struct CheckedLetterTests {
    /// The fixtures, and texts that test a reader: combining marks, other
    /// scripts, long words.
    static func documents() throws -> [(name: String, json: [UInt8])] {
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: Paths.documents.path)
            .filter { $0.hasSuffix(".json") }.sorted()
            .map { ($0, [UInt8](try Data(contentsOf: Paths.document($0)))) }
        let hostile = try fixtureDocument {
            $0["notes"] = "Ｅｓｐèｃｅｓ\u{0301}\u{0301} ملاحظة ‏שלום‏ 注意 " + String(repeating: "Rechtsschutzversicherungsgesellschaften", count: 3)
        }
        return fixtures + [("hostile text", Array(hostile.utf8))]
    }

    @Test func everyLetterIsDrawnTheSameFromItsCheckedForm() throws {
        let renderer = LetterRenderer()
        for (name, json) in try Self.documents() {
            let parsed = try DocumentParser.parse(Data(json))
            let form = try parsed.storedForm()
            // The stored form alone: JSON that could not be parsed would fail the test.
            let decoded = try Document.stored(form, json: [])
            #expect(try decoded.storedForm() == form, "\(name): the checked form changes when stored again")
            var logo: LetterLogo?
            if case .pngFile(let path)? = parsed.sender.logo {
                logo = try LetterLogo(png: [UInt8](try Data(contentsOf: Paths.document(path))), name: path)
            }
            let expected = try renderer.render(parsed, terms: nil, logo: logo).pdf
            #expect(try renderer.render(decoded, terms: nil, logo: logo).pdf == expected,
                    "\(name) draws differently from its checked form")
        }
    }

    @Test func inlineTermsAndLogoAreNotCopiedIntoTheCheckedForm() throws {
        let logo = try Data(contentsOf: Paths.fixtures.appendingPathComponent("documents/logos/acme.png"))
        let json = try fixtureDocument {
            var sender = $0["sender"] as? [String: Any] ?? [:]
            sender["logo"] = ["png_base64": logo.base64EncodedString()]
            $0["sender"] = sender
        }
        let form = try DocumentParser.parse(Data(json.utf8)).storedForm()
        #expect(form.count < logo.count, "the checked form holds the logo again: \(form.count) bytes")
        guard case .pngData? = try Document.stored(form, json: []).sender.logo else {
            Issue.record("the checked form forgot that the logo was given inline")
            return
        }
    }

    /// Past Courrier's code, as a person with the database open would.
    static func execute(_ sql: String, in store: LetterStore) throws {
        switch store {
        case let sqlite as SQLiteStore: try sqlite.connection.execute(sql)
        case let postgres as PostgresStore: try postgres.connection.execute(sql)
        default: throw TestFailure("unknown store")
        }
    }

    @Test(arguments: Backend.allCases)
    func aLetterIsPreparedAndCutFromWhatIntakeChecked(backend: Backend) throws {
        let room = try TestMailRoom(backend: backend)
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1_000, reference: "top-up")
        let checked = try #require(try room.enqueue(Paths.document("acme-entretien-fr.json")).first).job.id
        let older = try #require(try room.enqueue(Paths.document("acme-invoice-fr.json")).first).job.id
        // The JSON is not read again: a letter whose JSON is gone still prints.
        let emptyObject = backend == .sqlite ? "X'7b7d'" : "'\\x7b7d'::bytea"
        try Self.execute("UPDATE jobs SET document = \(emptyObject) WHERE id = \(checked)", in: room.store)
        // A letter queued by a Courrier that did not keep the checked form is checked from its JSON.
        try Self.execute("UPDATE jobs SET letter = NULL WHERE id = \(older)", in: room.store)

        let report = try room.mailRoom.prepareAll()
        #expect(report.prepared == 2 && report.failed == 0, "\(report)")
        let bundle = try #require(try room.mailRoom.cut().first)
        #expect(Set(bundle.letters.map(\.job)) == [checked, older])
        let stream = try #require(try Manifest.read(bundle: bundle.folder).streams.first)
        let pdf = try openPDF(bundle.folder.appendingPathComponent(stream.file))
        let text = (0..<pdf.pageCount).map { pdf.text(onPage: $0) }.joined()
        #expect(text.contains("Résidence Les Tilleuls ACP"), "the letter whose JSON is gone is not the one printed")
    }
}
