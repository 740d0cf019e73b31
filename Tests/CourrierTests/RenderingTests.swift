import Foundation
import Testing
@testable import Courrier
import Letters
@testable import Rendering

@Suite struct RenderingTests {
    /// Every fixture, its page count as Poppler reads the rendered letter, and its price.
    static let fixtures: [(String, pages: Int, priceCents: Int64)] = [
        ("acme-invoice-fr.json", 2, 155),         // invoice + a one-page terms PDF
        ("acme-entretien-fr.json", 1, 145),
        ("acme-releve-mensuel-fr.json", 3, 165),  // 44 lines: the table continues over three pages
        ("peeters-factuur-nl.json", 2, 155),      // invoice + text terms
        ("peeters-creditnota-nl.json", 1, 145),
    ]

    @Test(arguments: fixtures)
    func fixturePagesAndPrice(_ fixture: (String, pages: Int, priceCents: Int64)) throws {
        let room = try TestMailRoom()
        let quote = try room.mailRoom.quoting.quote(file: Paths.document(fixture.0))
        #expect(quote.pages == fixture.pages)
        #expect(quote.priceCents == fixture.priceCents)
        // The price told is the price charged, and the pages counted are those Poppler reads in the letter.
        #expect(try room.mailRoom.quoting.render(file: Paths.document(fixture.0)).pages == quote.pages)
        _ = try room.mailRoom.accounts.credit(account: quote.account, cents: 1000, reference: "top-up")
        let job = try #require(try room.enqueue(Paths.document(fixture.0)).first).job.id
        _ = try room.mailRoom.prepareAll()
        let prepared = try #require(try room.store.job(job))
        #expect(prepared.pages == quote.pages && prepared.priceCents == quote.priceCents && prepared.sheets == quote.sheets)
    }

    @Test(arguments: fixtures.map(\.0))
    func recipientAddressIsInsideTheWindow(_ name: String) throws {
        let room = try TestMailRoom()
        let (document, letter, _) = try room.mailRoom.quoting.render(file: Paths.document(name))
        try expectAddressAlone(in: letter, of: document)
    }

    @Test func leftWindowMovesTheAddress() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("left.json", try fixtureDocument("acme-entretien-fr.json") {
            $0["print"] = ["window": "left"]
        })
        let room = try TestMailRoom(folder: folder)
        let (document, letter, _) = try room.mailRoom.quoting.render(file: file)
        #expect(document.print.window == .left)
        try expectAddressAlone(in: letter, of: document)
    }

    @Test func aLongTableRepeatsItsHeaderAndKeepsTheTotalsWithThePayment() throws {
        let room = try TestMailRoom()
        let (_, letter, pages) = try room.mailRoom.quoting.render(file: Paths.document("acme-releve-mensuel-fr.json"))
        let pdf = try PDFDocument(bytes: letter.pdf, name: "releve")
        #expect(pages == 3)
        let texts = (0..<pages).map(pdf.text(onPage:))
        for (page, text) in texts.enumerated() {
            #expect(text.contains("Page \(page + 1)/3"))
            if text.contains("(semaine") {
                #expect(text.contains("Prix unitaire"), "page \(page + 1) has rows but no table header")
            }
        }
        let totals = texts.indices.filter { texts[$0].contains("Total TVA comprise") }
        #expect(totals.count == 1)
        #expect(totals.allSatisfy { texts[$0].contains("+++120/3000/47775+++") }, "the payment block is on the page of the totals")
    }

    @Test func theSameDocumentGivesTheSameBytes() throws {
        let room = try TestMailRoom()
        let first = try room.mailRoom.quoting.render(file: Paths.document("acme-invoice-fr.json")).letter.pdf
        let second = try room.mailRoom.quoting.render(file: Paths.document("acme-invoice-fr.json")).letter.pdf
        #expect(first == second)
    }

    @Test func termsPDFLargerThanA4IsScaledOntoA4() throws {
        // A US Letter terms page (612 x 792 pt) is wider than A4; it must come out on A4.
        let room = try TestMailRoom()
        let usLetter = try makePDF(width: 612, height: 792, text: "Terms on US Letter")
        let document = try DocumentParser.parse(try Data(contentsOf: Paths.document("acme-entretien-fr.json")))
        let letter = try LetterRenderer().render(document, terms: .pdf(try PDFDocument(bytes: usLetter, name: "us")))
        let pdf = try PDFDocument(bytes: letter.pdf, name: "letter")
        #expect(pdf.pageCount == 2)
        let size = try pdf.pageSize(1)
        #expect(abs(size.width - 595.28) < 0.5 && abs(size.height - 841.89) < 0.5)
        #expect(pdf.text(onPage: 1).contains("Terms on US Letter"))
        _ = room
    }

    @Test(arguments: [("empty", [UInt8]()), ("corrupt", Array("%PDF-1.4 this is not really a PDF".utf8))])
    func unreadableTermsFailWithTheReason(_ terms: (String, [UInt8])) throws {
        #expect(throws: RenderError.self) { try PDFDocument(bytes: terms.1, name: "terms/acme-cgv.pdf") }
        do {
            _ = try PDFDocument(bytes: terms.1, name: "terms/acme-cgv.pdf")
        } catch {
            #expect(error.description.contains("terms/acme-cgv.pdf"))
            #expect(error.code == .unreadableTerms)
        }
    }
}

/// A one-page PDF of the given size with a line of text, drawn with Cairo.
func makePDF(width: Double, height: Double, text: String) throws -> [UInt8] {
    let json = """
        {"format": "courrier.document/1", "account": "t", "id": "t", "kind": "letter", "language": "en",
         "issue_date": "2026-11-28", "body": "\(text)",
         "sender": {"name": "S", "street": "Rue 1", "postal_code": "1000", "city": "Bruxelles", "country": "BE"},
         "recipient": {"name": "R", "street": "Rue 2", "postal_code": "1030", "city": "Schaerbeek", "country": "BE"}}
        """
    // Draw an A4 letter's page onto a page of the requested size.
    let letter = try LetterRenderer().render(try DocumentParser.parse(Data(json.utf8)), terms: nil)
    let source = try PDFDocument(bytes: letter.pdf, name: "letter")
    let canvas = try PDFCanvas(metadata: PDFMetadata(title: "terms", date: "2026-11-28T00:00:00Z"), width: width, height: height)
    try source.render(page: 0, into: canvas.context)
    canvas.showPage()
    return try canvas.finish()
}
