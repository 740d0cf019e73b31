import Foundation
import Testing
@testable import Courrier
import Bundling
import Letters
import Storage

/// A stream longer than a file may hold is cut into parts, drawn at once on
/// several threads: the bundle reads as one stream in print order.
@Suite struct BundlePartTests {
    @Test func aLongStreamIsCutIntoPartsDrawnAtOnceAndReadsAsOne() throws {
        let room = try TestMailRoom { configuration in
            configuration.sheetsPerFile = 10
            configuration.threads = 2
            configuration.marks = MarkScheme("omr")!
        }
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 100_000, reference: "top-up")
        _ = try room.folder.copyFixtureDocuments()  // the terms and the logo the fixtures refer to
        var files: [URL] = []
        for index in 0..<30 {
            files.append(try room.folder.write("documents/part-\(index).json", try fixtureDocument(index % 2 == 0 ? "acme-invoice-fr.json" : "acme-entretien-fr.json") {
                $0["id"] = "PART-\(index)"
                if index % 5 == 0 { $0["print"] = ["duplex": true] }
                var recipient = $0["recipient"] as? [String: Any] ?? [:]
                recipient["postal_code"] = String(1000 + index * 10)
                $0["recipient"] = recipient
            }))
        }
        _ = try room.mailRoom.queueing.enqueue(files: files)
        #expect(try room.mailRoom.prepareAll().prepared == 30)
        let bundle = try #require(try room.mailRoom.cut().first)
        let manifest = try Manifest.read(bundle: bundle.folder)

        // Parts of at most 10 sheets, named in order, each a whole number of letters.
        let simplex = manifest.streams.filter { !$0.duplex }
        #expect(simplex.count > 1)
        #expect(simplex.map(\.file) == (1...simplex.count).map { "letters-color-simplex-c56-\($0).pdf" })
        #expect(simplex.allSatisfy { $0.parts == simplex.count && $0.sheets <= 10 })
        #expect(manifest.streams.filter(\.duplex).count == 1, "a short stream stays one file")
        #expect(manifest.streams.filter(\.duplex).first?.part == nil)
        #expect(try sha256sumCheck(bundle.folder))

        // One print order across the parts: sequences 1…30, postal order within the stream.
        #expect(manifest.letters.map(\.sequence) == Array(1...30))
        for stream in manifest.streams {
            let pdf = try openPDF(bundle.folder.appendingPathComponent(stream.file))
            #expect(pdf.pageCount == stream.pages + stream.blankPages, "\(stream.file)")
            let letters = manifest.letters.filter { $0.file == stream.file }
            #expect(letters.count == stream.letters)
            #expect(letters.first?.firstPage == 1)
            for letter in letters {
                #expect(pdf.text(onPage: letter.firstPage - 1).contains(letter.postalCode), "\(letter.document) in \(stream.file)")
            }
        }
        let simplexCodes = manifest.letters.filter { !$0.duplex }.map(\.postalCode)
        #expect(simplexCodes == simplexCodes.sorted())
        // Every letter once, each charged once.
        #expect(Set(manifest.letters.map(\.job)).count == 30)
        #expect(try room.store.history(account: "acme").filter { $0.kind == .debit }.count == 30)
        #expect(manifest.totals.letters == 30)
        #expect(manifest.totals.sheets == manifest.streams.reduce(0) { $0 + $1.sheets })
    }

    @Test func partsAreWholeLettersOfAtMostTheSheetsOfAFile() {
        var writer = BundleWriter(outbox: URL(fileURLWithPath: "/nonexistent"))
        writer.sheetsPerFile = 5
        let stream = PrintStream(color: true, duplex: false, envelope: .c56)
        let parts = writer.plan([(stream: stream, sheets: [2, 2, 2, 6, 1, 1, 1, 1, 1])])
        #expect(parts.map(\.letters) == [0..<2, 2..<3, 3..<4, 4..<9])
        #expect(parts.map(\.firstSequence) == [1, 3, 4, 5])
        #expect(parts.map(\.sheetsBefore) == [0, 4, 6, 12])
        #expect(parts.allSatisfy { $0.of == 4 })
        #expect(parts.map(\.file) == ["letters-1.pdf", "letters-2.pdf", "letters-3.pdf", "letters-4.pdf"])
    }
}
