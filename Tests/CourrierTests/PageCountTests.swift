import Foundation
import Testing
@testable import Courrier
import Bundling
import Letters
import Rendering
import Storage

/// A letter charged for N pages is printed on N pages: the count from the
/// layout, which prepare charges, against Poppler's count of the letter drawn,
/// for tables that cross page breaks, with and without terms.
@Suite struct PageCountTests {
    enum TermsKind: String, CaseIterable { case none, pdf, text }

    /// An invoice of `lines` lines, some with descriptions long enough to wrap.
    static func invoice(lines: Int, terms: TermsKind) throws -> String {
        try fixtureDocument {
            $0["id"] = "PAGES-\(lines)-\(terms.rawValue)"
            $0["totals"] = nil
            var sender = $0["sender"] as? [String: Any] ?? [:]
            sender["logo"] = nil
            $0["sender"] = sender
            $0["lines"] = (0..<lines).map { index in
                ["description": "Intervention \(index + 1)" + (index % 4 == 3 ? String(repeating: " avec pièces et main d'œuvre", count: 1 + index % 3) : ""),
                 "quantity": "\(index % 3 + 1)", "unit": "h", "unit_price": "65.00", "vat_rate": index % 5 == 0 ? "6" : "21"]
            }
            switch terms {
            case .none: $0["terms"] = nil
            case .pdf: $0["terms"] = ["pdf": "terms/acme-cgv.pdf"]
            case .text: $0["terms"] = ["text": String(repeating: "Article. Les présentes conditions s'appliquent à toute prestation.\n\n", count: 40)]
            }
        }
    }

    @Test(arguments: TermsKind.allCases)
    func theCountThatIsChargedIsTheCountPopplerReadsForOneToFortyLines(terms kind: TermsKind) throws {
        let renderer = LetterRenderer()
        let termsPDF = try PDFDocument(bytes: [UInt8](try Data(contentsOf: Paths.document("terms/acme-cgv.pdf"))), name: "terms")
        var pageCounts = Set<Int>()
        for lines in 1...40 {
            let document = try DocumentParser.parse(Data(try Self.invoice(lines: lines, terms: kind).utf8))
            let terms: LetterTerms? = switch kind {
            case .none: nil
            case .pdf: .pdf(termsPDF)
            case .text: .text(document.terms.flatMap { if case .text(let text) = $0 { text } else { nil } } ?? "")
            }
            let counted = try renderer.pageCount(document, terms: terms)
            let drawn = try PDFDocument(bytes: try renderer.render(document, terms: terms).pdf, name: "letter").pageCount
            #expect(counted == drawn, "\(lines) lines, terms \(kind): counted \(counted), Poppler reads \(drawn)")
            pageCounts.insert(drawn)
        }
        #expect(pageCounts.count >= 2, "the tables cross a page break")
    }

    @Test func eachLetterIsPrintedOnThePagesItWasChargedFor() throws {
        let room = try TestMailRoom()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 100_000, reference: "top-up")
        _ = try room.folder.copyFixtureDocuments()  // the terms PDF beside the documents
        var files: [URL] = []
        for lines in [1, 12, 13, 25, 26, 40] {
            for kind in TermsKind.allCases {
                files.append(try room.folder.write("documents/p-\(lines)-\(kind).json", try Self.invoice(lines: lines, terms: kind)))
            }
        }
        _ = try room.mailRoom.queueing.enqueue(files: files)
        let prepared = try room.mailRoom.prepareAll()
        #expect(prepared.prepared == files.count)
        let bundle = try #require(try room.mailRoom.cut().first)
        let manifest = try Manifest.read(bundle: bundle.folder)
        let stream = try openPDF(bundle.folder.appendingPathComponent(manifest.streams[0].file))
        for letter in manifest.letters {
            let job = try #require(try room.store.job(letter.job))
            #expect(letter.pages == job.pages, "\(letter.document)")
            #expect(letter.priceCents == job.priceCents)
            // The letter starts on its own first page, which shows the recipient and its page count.
            let first = stream.text(onPage: letter.firstPage - 1)
            #expect(first.contains("Boulangerie Dupont"))
            #expect(first.contains("Page 1/\(letter.pages - (letter.document.hasSuffix("-pdf") ? 1 : 0))")
                    || letter.document.hasSuffix("-text"), "\(letter.document)")
        }
        #expect(stream.pageCount == manifest.totals.pages + manifest.totals.blankPages)
    }
}
