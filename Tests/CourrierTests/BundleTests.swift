import CDataMatrix
import Foundation
import Testing
@testable import Bundling
@testable import Courrier
import Letters
@testable import Rendering
import Storage

/// A tariff with Belgium (folded and flat) and two countries abroad (folded only).
private let tariffWithFlatAndAbroad = """
    {"format": "courrier.tariff/1", "currency": "EUR", "destinations": [
      {"name": "Belgium", "countries": ["BE"], "pages": ["1.45", "1.55"], "each_further_page": "0.10",
       "flat": {"pages": ["2.95"], "each_further_page": "0.10"}},
      {"name": "Neighbours", "countries": ["FR", "NL"], "pages": ["2.45", "2.55"], "each_further_page": "0.10"}]}
    """

/// A letter for a bundle: a fixture with its recipient and print options changed.
private struct BundledDocument {
    var id: String
    var fixture: String
    var name: String
    var postalCode: String
    var city: String
    var country = "BE"
    var color = true
    var duplex = false
}

/// Queues `letters` in a mail room configured by `configure`, runs one batch,
/// and returns the room and its only bundle.
private func runBundle(_ letters: [BundledDocument], tariff: String = tariffWithFlatAndAbroad,
                       configure: @escaping (inout Configuration) -> Void = { _ in }) throws
    -> (TestMailRoom, BundleWriter.Result) {
    let folder = try TemporaryFolder()
    _ = try folder.copyFixtureDocuments()  // the terms and the logo the fixtures refer to
    let tariffFile = try folder.write("tariff.json", tariff)
    let room = try TestMailRoom(folder: folder) {
        $0.tariffPath = tariffFile.path
        configure(&$0)
    }
    _ = try room.mailRoom.accounts.credit(account: "acme", cents: 100_00, reference: "top-up")
    let files = try letters.map { letter in
        try folder.write("documents/\(letter.id).json", try fixtureDocument(letter.fixture) {
            $0["id"] = letter.id
            $0["recipient"] = ["name": letter.name, "street": "Rue de la Loi 16", "postal_code": letter.postalCode,
                               "city": letter.city, "country": letter.country]
            $0["print"] = ["color": letter.color, "duplex": letter.duplex]
        })
    }
    for file in files { _ = try room.enqueue(file) }
    let report = try room.mailRoom.run()
    #expect(report.prepare.failed == 0)
    return (room, try #require(report.bundles.first))
}

@Suite struct BundleStreamTests {
    // Pages: entretien 1, invoice 2 (with its terms page), relevé 3.
    fileprivate static let letters = [
        BundledDocument(id: "a", fixture: "acme-entretien-fr.json", name: "Zeta SRL", postalCode: "9000", city: "Gent"),
        BundledDocument(id: "b", fixture: "acme-invoice-fr.json", name: "Boulangerie Dupont", postalCode: "1030", city: "Schaerbeek"),
        BundledDocument(id: "c", fixture: "acme-releve-mensuel-fr.json", name: "Café Central", postalCode: "1000",
               city: "Bruxelles", color: false, duplex: true),
        BundledDocument(id: "d", fixture: "acme-entretien-fr.json", name: "Bistrot Voltaire", postalCode: "75011", city: "Paris",
               country: "FR"),
        BundledDocument(id: "e", fixture: "acme-entretien-fr.json", name: "Bakkerij Jansen", postalCode: "1012 AB",
               city: "Amsterdam", country: "NL"),
        BundledDocument(id: "f", fixture: "acme-releve-mensuel-fr.json", name: "Pâtisserie Liégeoise", postalCode: "4000",
               city: "Liège"),
        BundledDocument(id: "g", fixture: "acme-invoice-fr.json", name: "Aardbei BV", postalCode: "1000", city: "Bruxelles",
               color: false, duplex: true),
    ]

    @Test func lettersAreGroupedInStreamsInPostalOrder() throws {
        let (room, bundle) = try runBundle(Self.letters) { $0.inserting.maximumFoldedSheets = 2 }
        let manifest = try Manifest.read(bundle: bundle.folder)
        #expect(manifest.totals == bundle.totals && manifest.streams == bundle.streams)
        #expect(manifest.letters.map(\.job) == bundle.letters.map(\.job))

        // Folded black-and-white duplex, folded colour simplex, then flat.
        #expect(manifest.streams.map(\.name) == ["bw-duplex-c56", "color-simplex-c56", "color-simplex-c4"])
        #expect(manifest.streams.map(\.file) == ["letters-bw-duplex-c56.pdf", "letters-color-simplex-c56.pdf",
                                                 "letters-color-simplex-c4.pdf"])
        #expect(manifest.streams.map(\.envelope) == ["C5/6", "C5/6", "C4"])
        #expect(manifest.streams.map(\.letters) == [2, 4, 1])
        // Belgium by postcode then name, then abroad by country: sequence is print order.
        #expect(manifest.letters.map(\.document) == ["g", "c", "b", "a", "d", "e", "f"])
        #expect(manifest.letters.map(\.sequence) == Array(1...7))
        #expect(try fileNames(bundle.folder) == ["SHA256SUMS", "letters-bw-duplex-c56.pdf", "letters-color-simplex-c4.pdf",
                                                 "letters-color-simplex-c56.pdf", "manifest.csv", "manifest.json"])
        #expect(try sha256sumCheck(bundle.folder))

        // The flat letter has three sheets, over the limit of two, and the flat price.
        let flat = try #require(manifest.letters.last)
        #expect(flat.envelope == "C4" && flat.sheets == 3 && flat.priceCents == 315)
        #expect(manifest.letters.dropLast().allSatisfy { $0.sheets <= 2 && $0.envelope == "C5/6" })
        let debits = try room.store.history(account: "acme").filter { $0.kind == .debit }
        #expect(-debits.reduce(0) { $0 + $1.amountCents } == manifest.totals.amountCents)

        for stream in manifest.streams {
            let pdf = try openPDF(bundle.folder.appendingPathComponent(stream.file))
            let letters = manifest.letters.filter { $0.stream == stream.name }
            #expect(pdf.pageCount == stream.pages + stream.blankPages)
            #expect(stream.pages == letters.reduce(0) { $0 + $1.pages })
            #expect(stream.sheets == letters.reduce(0) { $0 + $1.sheets })
            #expect(stream.sheets == (stream.duplex ? pdf.pageCount / 2 : pdf.pageCount))
            // Each letter's first page holds its recipient; blank backs only after odd duplex letters.
            var blanks: [Int] = []
            for letter in letters {
                #expect(pdf.text(onPage: letter.firstPage - 1).contains(letter.recipient[0]), "\(letter.document)")
                if stream.duplex && letter.pages % 2 == 1 { blanks.append(letter.firstPage + letter.pages) }
            }
            let empty = (1...pdf.pageCount).filter { pdf.text(onPage: $0 - 1).isEmpty }
            #expect(empty == blanks, "\(stream.name): blank pages \(empty), expected \(blanks)")
        }
        #expect(manifest.totals.sheets == manifest.streams.reduce(0) { $0 + $1.sheets })
        #expect(manifest.totals.blankPages == 1)

        // The CSV holds the same rows, under a header.
        let csv = try String(contentsOf: bundle.folder.appendingPathComponent("manifest.csv"), encoding: .utf8)
            .split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try #require(csv.first)
        #expect(header.starts(with: ["sequence", "job", "account", "document", "stream", "file", "first_page", "pages",
                                     "sheets", "price_cents", "color", "duplex", "envelope", "window"]))
        #expect(csv.dropFirst().map { $0[3] } == manifest.letters.map(\.document))
        #expect(csv.dropFirst().map { $0[12] } == manifest.letters.map(\.envelope))
    }

    @Test func aLetterTooThickToFoldFailsWhenTheTariffHasNoFlatPrice() throws {
        let folder = try TemporaryFolder()
        let documents = try folder.copyFixtureDocuments()
        let tariff = try folder.write("no-flat.json", """
            {"format": "courrier.tariff/1", "destinations": [{"name": "Belgium", "countries": ["BE"],
             "pages": ["1.45", "1.55"], "each_further_page": "0.10"}]}
            """)
        let room = try TestMailRoom(folder: folder) {
            $0.inserting.maximumFoldedSheets = 1
            $0.tariffPath = tariff.path
        }
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        let job = try #require(try room.enqueue(documents.appendingPathComponent("acme-invoice-fr.json")).first).job
        let report = try room.mailRoom.run()
        #expect(report.prepare.failed == 1 && report.bundles.isEmpty)
        let failed = try #require(try room.store.job(job.id))
        #expect(failed.state == .failed)
        #expect(failed.reason?.contains("2 sheets, too many to fold") == true
                && failed.reason?.contains("no price for a flat C4 letter") == true, "\(failed.reason ?? "")")
        #expect(try room.store.balance(account: "acme") == 1000)
    }

    @Test func oneCutRunsAtATime() throws {
        let room = try TestMailRoom()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try room.enqueue(Paths.document("acme-entretien-fr.json"))
        _ = try room.mailRoom.prepareAll()
        let now = Date()
        let cut = try #require(try room.store.openCut(batchPrefix: "20261130-010000", worker: "host-a:1", lease: 600,
                                                      slot: nil, at: now).cut)
        _ = try room.enqueue(Paths.document("acme-invoice-fr.json"))
        _ = try room.mailRoom.prepareAll()
        // While A cuts, B neither opens a cut nor takes A's.
        #expect(try room.store.openCut(batchPrefix: "20261130-010001", worker: "host-b:2", lease: 600, slot: nil, at: now) == .busy)
        #expect(try room.store.claimUnfinishedCuts(worker: "host-b:2", lease: 600, at: now).isEmpty)
        // When A's lease runs out, B finishes A's cut first, then opens its own.
        let later = now.addingTimeInterval(601)
        #expect(try room.store.claimUnfinishedCuts(worker: "host-b:2", lease: 600, at: later).map(\.batch) == [cut.batch])
        #expect(try room.store.openCut(batchPrefix: "20261130-011001", worker: "host-b:2", lease: 600, slot: nil,
                                       at: later).cut != nil)
    }
}

@Suite struct InserterMarkTests {
    @Test func omrCodesCountSheetsAndKeepParityEven() {
        let first = OMRCode(sheetInStream: 1, isLastOfLetter: false)
        #expect(first.bars == [.benchmark, .sequence1])
        let last = OMRCode(sheetInStream: 6, isLastOfLetter: true)
        #expect(last.bars == [.benchmark, .endOfSet, .sequence2, .sequence4])
        #expect(OMRCode(sheetInStream: 3, isLastOfLetter: false).bars == [.benchmark, .sequence1, .sequence2, .parity])
        // Sheet 8 wraps round to 0.
        #expect(OMRCode(sheetInStream: 8, isLastOfLetter: true).bars == [.benchmark, .endOfSet])
        for sheet in 1...16 {
            #expect(OMRCode(sheetInStream: sheet, isLastOfLetter: sheet % 3 == 0).bars.count % 2 == 0)
        }
        #expect(MarkScheme("omr+datamatrix") == MarkScheme(omr: true, dataMatrix: true))
        #expect(MarkScheme("none") == MarkScheme.none && MarkScheme("barcode") == nil)
    }

    /// Reads the OMR bars and the DataMatrix code of every front side from a
    /// proof of the page, and checks that nothing else prints in the band.
    @Test func marksAreOnEachFrontSideInTheBandAndNowhereElse() throws {
        let letters = [
            BundledDocument(id: "h", fixture: "acme-releve-mensuel-fr.json", name: "Hôtel Métropole", postalCode: "1000", city: "Bruxelles"),
            BundledDocument(id: "i", fixture: "acme-releve-mensuel-fr.json", name: "Imprimerie Duplex", postalCode: "1050",
                   city: "Ixelles", color: false, duplex: true),
            BundledDocument(id: "j", fixture: "acme-invoice-fr.json", name: "Joaillerie Janssens", postalCode: "2000", city: "Antwerpen"),
        ]
        let (room, bundle) = try runBundle(letters) { $0.marks = MarkScheme(omr: true, dataMatrix: true) }
        defer { withExtendedLifetime(room) {} }
        let manifest = try Manifest.read(bundle: bundle.folder)
        #expect(manifest.marks.scheme == "omr+datamatrix" && manifest.marks.omr?.tracks.count == 6)
        var checkedFronts = 0
        for stream in manifest.streams {
            let pdf = try openPDF(bundle.folder.appendingPathComponent(stream.file))
            var sheetInStream = 0
            for letter in manifest.letters where letter.stream == stream.name {
                for sheet in 1...letter.sheets {
                    sheetInStream += 1
                    let front = letter.firstPage - 1 + (stream.duplex ? 2 * (sheet - 1) : sheet - 1)
                    let proof = try PageProof.image(pdf, page: front, dpi: 150)
                    let expected = OMRCode(sheetInStream: sheetInStream, isLastOfLetter: sheet == letter.sheets)
                    #expect(Self.omrBars(proof) == expected.pattern, "\(letter.document) sheet \(sheet)")
                    #expect(try Self.dataMatrix(proof) == "\(manifest.batch)|\(letter.sequence)|\(sheet)/\(letter.sheets)")
                    Self.expectBandHoldsOnlyMarks(proof, marked: true, page: "\(stream.file) page \(front + 1)")
                    checkedFronts += 1
                    if stream.duplex {
                        let back = try PageProof.image(pdf, page: front + 1, dpi: 150)
                        Self.expectBandHoldsOnlyMarks(back, marked: false, page: "\(stream.file) page \(front + 2)")
                    }
                }
            }
            // No text of any page reaches into the band: the terms page was scaled to leave it free.
            for page in 0..<pdf.pageCount {
                let intruders = pdf.characters(onPage: page).filter { !$0.character.isWhitespace && $0.x1 < MarkLayout.bandWidth }
                #expect(intruders.isEmpty, "\(stream.file) page \(page + 1): \(String(intruders.map(\.character)))")
            }
        }
        #expect(checkedFronts == 3 + 2 + 2)
    }

    static func omrBars(_ proof: ProofImage) -> [Bool] {
        OMRCode.Track.allCases.indices.map { track in
            let y = MarkLayout.omrFirstY + Double(track) * MarkLayout.omrPitch
            return proof.pixel(atPoint: MarkLayout.omrX + MarkLayout.omrLength / 2, y) & 0xFF < 0x80
        }
    }

    /// Ink in the band is a bar or the DataMatrix code, and on a back side there is none.
    static func expectBandHoldsOnlyMarks(_ proof: ProofImage, marked: Bool, page: String) {
        let codeSide = 26 * MarkLayout.dataMatrixModule
        var stray = 0
        for y in stride(from: 0, to: PDFCanvas.a4Height, by: proof.pointsPerPixel) {
            for x in stride(from: 0, to: MarkLayout.bandWidth, by: proof.pointsPerPixel) where proof.pixel(atPoint: x, y) != 0xFF_FFFF {
                let onBar = (0..<6).contains { track in
                    let centre = MarkLayout.omrFirstY + Double(track) * MarkLayout.omrPitch
                    return abs(y - centre) <= MarkLayout.omrThickness && x >= MarkLayout.omrX - 1
                        && x <= MarkLayout.omrX + MarkLayout.omrLength + 1
                }
                let onCode = x >= MarkLayout.dataMatrixX - 1 && x <= MarkLayout.dataMatrixX + codeSide
                    && y >= MarkLayout.dataMatrixY - 1 && y <= MarkLayout.dataMatrixY + codeSide
                if !marked || !(onBar || onCode) { stray += 1 }
            }
        }
        #expect(stray == 0, "\(page): \(stray) inked pixels in the mark band that are not marks")
    }

    /// Decodes the DataMatrix code in the band with libdmtx.
    static func dataMatrix(_ proof: ProofImage) throws -> String? {
        let left = 0, top = Int(mm(135) / proof.pointsPerPixel), size = Int(mm(30) / proof.pointsPerPixel)
        var pixels = [UInt8]()
        pixels.reserveCapacity(size * size * 3)
        for row in top..<top + size {
            for column in left..<left + size {
                let pixel = proof.pixels[row * proof.width + column]
                pixels += [UInt8(pixel >> 16 & 0xFF), UInt8(pixel >> 8 & 0xFF), UInt8(pixel & 0xFF)]
            }
        }
        return pixels.withUnsafeMutableBufferPointer { buffer -> String? in
            var image = dmtxImageCreate(buffer.baseAddress, Int32(size), Int32(size), Int32(DmtxPack24bppRGB.rawValue))
            defer { dmtxImageDestroy(&image) }
            var decoder = dmtxDecodeCreate(image, 1)
            defer { dmtxDecodeDestroy(&decoder) }
            var region = dmtxRegionFindNext(decoder, nil)
            guard region != nil else { return nil }
            defer { dmtxRegionDestroy(&region) }
            var message = dmtxDecodeMatrixRegion(decoder, region, DmtxUndefined)
            guard let found = message else { return nil }
            defer { dmtxMessageDestroy(&message) }
            return String(decoding: UnsafeBufferPointer(start: found.pointee.output, count: Int(found.pointee.outputIdx)),
                          as: UTF8.self)
        }
    }
}
