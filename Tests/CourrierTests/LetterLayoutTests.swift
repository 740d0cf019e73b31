import Foundation
import Testing
import Bundling
@testable import Courrier
import Letters
@testable import Rendering

/// The recipient's address lines are inside the document's window, and
/// nothing else printed on page 1 shows through it: no other text, and, on a
/// proof of the page, no ink outside the address's own characters.
func expectAddressAlone(in letter: RenderedLetter, of document: Document) throws {
    let pdf = try PDFDocument(bytes: letter.pdf, name: document.id)
    let window = document.envelopeWindow.rectangle
    let characters = pdf.characters(onPage: 0).filter { !$0.character.isWhitespace }
    let inside = characters.filter { window.contains(x: $0.x1, y: $0.y1) && window.contains(x: $0.x2, y: $0.y2) }
    let expected = document.recipient.windowLines(language: document.language).joined().filter { !$0.isWhitespace }
    #expect(String(inside.map(\.character)) == expected)
    let intruders = characters.filter { c in
        !(window.contains(x: c.x1, y: c.y1) && window.contains(x: c.x2, y: c.y2))
            && c.x2 > window.x && c.x1 < window.maxX && c.y2 > window.y && c.y1 < window.maxY
    }
    #expect(intruders.isEmpty, "text in the window: \(String(intruders.map(\.character)))")

    let proof = try PageProof.image(pdf, page: 0, dpi: 100)
    let step = proof.pointsPerPixel
    var stray: [(Double, Double)] = []
    for y in stride(from: window.y, to: window.maxY, by: step) {
        for x in stride(from: window.x, to: window.maxX, by: step) where proof.pixel(atPoint: x, y) != 0xFF_FFFF {
            let ofTheAddress = inside.contains { $0.x1 - 1 <= x && x <= $0.x2 + 1 && $0.y1 - 1 <= y && y <= $0.y2 + 1 }
            if !ofTheAddress { stray.append((x, y)) }
        }
    }
    #expect(stray.isEmpty, "ink in the window outside the address at \(stray.prefix(5)) (points)")
}

@Suite struct WindowTests {
    /// bpost's limits: 6 lines in Belgium, 7 abroad, 50 characters each.
    static func addressAtTheLimit(abroad: Bool) -> [String: Any] {
        var address: [String: Any] = [
            "name": "Boulangerie-Pâtisserie Dupont et Fils SRL (sièges)",
            "department": "Service comptabilité fournisseurs et achats",
            "attention": "Marie-Christine Vandenbroucke-Dupont",
            "street": "Chaussée de Louvain 245 bte 3, Résidence Atrium",
            "street2": "Entrée B, quatrième étage, porte à droite du hall",
            "postal_code": "1030", "city": "Schaerbeek (Bruxelles-Capitale)", "country": "BE",
        ]
        if abroad {
            address["postal_code"] = "75011"
            address["city"] = "Paris cedex 11, bureau distributeur Voltaire"
            address["country"] = "FR"
        }
        return address
    }

    @Test(arguments: [EnvelopeWindow.right, .left], [false, true])
    func anAddressAtTheLimitsStaysInsideEitherWindow(window: EnvelopeWindow, abroad: Bool) throws {
        let json = try fixtureDocument("acme-entretien-fr.json") {
            $0["recipient"] = Self.addressAtTheLimit(abroad: abroad)
            $0["print"] = ["window": window.rawValue]
        }
        let document = try DocumentParser.parse(Data(json.utf8))
        let lines = document.recipient.windowLines(language: .fr)
        #expect(lines.count == (abroad ? 7 : 6))
        #expect(lines.allSatisfy { $0.count <= 50 } && lines.contains { $0.count == 50 }, "\(lines.map(\.count))")
        try expectAddressAlone(in: try LetterRenderer().render(document, terms: nil), of: document)
    }

    @Test func anAddressTooWideToReadFailsNamingTheWindow() throws {
        let json = try fixtureDocument("acme-entretien-fr.json") {
            var address = Self.addressAtTheLimit(abroad: true)
            address["name"] = String(repeating: "W", count: 50)
            $0["recipient"] = address
            $0["print"] = ["window": "left"]
        }
        let document = try DocumentParser.parse(Data(json.utf8))
        let error = try #require(throws: RenderError.self) { try LetterRenderer().render(document, terms: nil) }
        #expect(error.code == .addressDoesNotFit)
        #expect(error.message.contains("7 lines") && error.message.contains("left envelope window"), "\(error)")
    }

    @Test func anAddressOverBpostsLimitsIsRefusedBeforeRendering() throws {
        let tooLong = try fixtureDocument("acme-entretien-fr.json") {
            var address = Self.addressAtTheLimit(abroad: false)
            address["street2"] = String(repeating: "x", count: 51)
            $0["recipient"] = address
        }
        let error = try #require(throws: DocumentError.self) { try DocumentParser.parse(Data(tooLong.utf8)) }
        #expect(error.description.contains("is 51 characters; a line holds at most 50"), "\(error)")
    }

    @Test func anAccountCanChooseTheLeftWindowAndADocumentStillOverrides() throws {
        let folder = try TemporaryFolder()
        let room = try TestMailRoom(folder: folder)
        let plain = try folder.write("plain.json", try fixtureDocument("acme-entretien-fr.json") { $0["id"] = "plain" })
        let right = try folder.write("right.json", try fixtureDocument("acme-entretien-fr.json") {
            $0["id"] = "right"
            $0["print"] = ["window": "right"]
        })
        try room.mailRoom.accounts.setEnvelopeWindow(.left, account: "acme")
        #expect(try room.store.envelopeWindow(account: "acme") == .left)
        #expect(try room.store.envelopeWindow(account: "peeters") == nil)
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try room.enqueue(plain, right)
        let report = try room.mailRoom.run()
        #expect(report.prepare.prepared == 2)

        // In the bundle, the first letter shows its address through the left
        // window, the one that asked for the right window through the right.
        let bundle = try #require(report.bundles.first)
        let pdf = try openPDF(bundle.folder.appendingPathComponent("letters.pdf"))
        let placed = try Manifest.read(bundle: bundle.folder).letters.map { letter in
            // Where the recipient's name begins, between the windows' top and bottom.
            let name = Array(letter.recipient[0].prefix(6))
            let characters = pdf.characters(onPage: letter.firstPage - 1)
            let start = characters.indices.first { index in
                index + name.count <= characters.count && characters[index..<index + name.count].map(\.character) == name
                    && characters[index].y1 > mm(60) && characters[index].y2 < mm(85.5)
            }
            return (letter.document, start.map { characters[$0].x1 } ?? -1)
        }
        let x = Dictionary(uniqueKeysWithValues: placed)
        #expect((mm(22)...mm(60)).contains(x["plain"] ?? -1), "\(placed)")
        #expect((mm(118)...mm(160)).contains(x["right"] ?? -1), "\(placed)")
    }

    @Test func theAccountWindowFromTheCommandLine() throws {
        let folder = try TemporaryFolder()
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite")]
        let shown = try runCourrier(["account", "window", "acme", "--json"], environment: environment, in: folder.url)
        #expect(shown.status == 0)
        #expect(shown.output.contains(#""window":"right""#) && shown.output.contains(#""is_default":true"#), "\(shown.output)")
        let set = try runCourrier(["account", "window", "acme", "left"], environment: environment, in: folder.url)
        #expect(set.status == 0 && set.output.contains("acme: left envelope window"), "\(set.output)")
        let wrong = try runCourrier(["account", "window", "acme", "middle"], environment: environment, in: folder.url)
        #expect(wrong.status == 2 && wrong.error.contains("\"middle\" is not a window"), "\(wrong.error)")
        let reset = try runCourrier(["account", "window", "acme", "default", "--json"], environment: environment, in: folder.url)
        #expect(reset.output.contains(#""is_default":true"#), "\(reset.output)")
    }
}

@Suite struct LongDocumentTests {
    /// 120 lines, every tenth with a description of several lines.
    static func longInvoice() throws -> Document {
        let lines: [[String: Any]] = (1...120).map { number in
            var description = String(format: "Ligne %03d : pièce détachée", number)
            if number % 10 == 0 {
                description += ", " + Array(repeating: "remplacement du circulateur", count: 8).joined(separator: " puis ")
            }
            return ["description": description, "quantity": "1", "unit": "pc", "unit_price": "10.00", "vat_rate": "21"]
        }
        let json = try fixtureDocument("acme-invoice-fr.json") {
            $0["lines"] = lines
            $0["totals"] = nil
            $0["terms"] = nil
            var sender = $0["sender"] as! [String: Any]
            sender["logo"] = nil
            $0["sender"] = sender
        }
        return try DocumentParser.parse(Data(json.utf8))
    }

    @Test func aHundredAndTwentyLineInvoicePaginatesWithTheTotalsOnTheLastPage() throws {
        let document = try Self.longInvoice()
        let letter = try LetterRenderer().render(document, terms: nil)
        let pdf = try PDFDocument(bytes: letter.pdf, name: "long invoice")
        let pages = pdf.pageCount
        #expect(pages >= 4, "120 lines fit on \(pages) pages")
        var seen: [String] = []
        for page in 0..<pages {
            let text = pdf.text(onPage: page)
            let last = page == pages - 1
            #expect(text.contains("Page \(page + 1)/\(pages)"), "page \(page + 1) has no page number")
            #expect(text.contains("Prix unitaire"), "page \(page + 1) has no table header")
            #expect(text.contains("Total TVA comprise") == last, "totals on page \(page + 1)")
            #expect(text.contains("Communication") == last, "payment block on page \(page + 1)")
            seen += text.split(separator: "\n").filter { $0.hasPrefix("Ligne ") }.map { String($0.prefix(9)) }
        }
        #expect(seen == (1...120).map { String(format: "Ligne %03d", $0) }, "every line once, in order")
        // 120 x 10.00 + 21 % VAT.
        #expect(pdf.text(onPage: pages - 1).contains("1.452,00 €"))
    }

    @Test func longDescriptionsWrapInsideTheirColumn() throws {
        let letter = try LetterRenderer().render(try Self.longInvoice(), terms: nil)
        let pdf = try PDFDocument(bytes: letter.pdf, name: "long invoice")
        var words = 0
        for page in 0..<pdf.pageCount {
            let characters = pdf.characters(onPage: page)
            let text = String(characters.map(\.character))
            for range in text.ranges(of: "circulateur") {
                words += 1
                let start = text.distance(from: text.startIndex, to: range.lowerBound)
                for character in characters[start..<start + 11] {
                    // The quantity column starts at 104 mm; descriptions stop 3 mm before.
                    #expect(character.x2 <= mm(101) + 0.5, "\"circulateur\" reaches \(character.x2 / mm(1)) mm")
                    #expect(character.y2 <= mm(272) + 0.5, "\"circulateur\" runs into the footer")
                }
            }
        }
        #expect(words == 12 * 8, "every word of every long description is printed")
    }
}

@Suite struct FooterTests {
    /// A long email address leaves the footer, which stays one line beside
    /// the page number; the head of page 1 still shows the address.
    @Test func theFooterStaysOnOneLine() throws {
        let email = "service-comptabilite-clients-professionnels@acme-chauffage-sanitaire.be"
        let json = try fixtureDocument("acme-entretien-fr.json") { document in
            var sender = document["sender"] as! [String: Any]
            sender["name"] = "Acme Chauffage, Sanitaire et Énergies Renouvelables SRL"
            sender["email"] = email
            document["sender"] = sender
        }
        let document = try DocumentParser.parse(Data(json.utf8))
        let pdf = try PDFDocument(bytes: try LetterRenderer().render(document, terms: nil).pdf, name: "footer")
        let footer = pdf.characters(onPage: 0).filter { $0.y1 > mm(279) && !$0.character.isWhitespace }
        let lines = Set(footer.map { ($0.y1 * 2).rounded() })
        #expect(lines.count == 1, "the footer takes \(lines.count) lines")
        let text = String(footer.map(\.character))
        #expect(text.contains("IBANBE71096123456769") && text.contains("Page1/1") && !text.contains("service-"), "\(text)")
        #expect(pdf.text(onPage: 0).replacingOccurrences(of: "\n", with: "").contains(email), "the head has it")
    }
}

@Suite struct BrandingTests {
    static let logo = Paths.documents.appendingPathComponent("logos/acme.png")

    /// The reddest, greenest or bluest pixel: where the colour shows.
    static func mostColourful(_ proof: ProofImage, x: ClosedRange<Double>, y: ClosedRange<Double>) -> (UInt8, UInt8, UInt8) {
        var best: (UInt8, UInt8, UInt8) = (255, 255, 255), bestSpread = -1
        for py in stride(from: y.lowerBound, to: y.upperBound, by: proof.pointsPerPixel) {
            for px in stride(from: x.lowerBound, to: x.upperBound, by: proof.pointsPerPixel) {
                let pixel = proof.pixel(atPoint: px, py)
                let rgb = (UInt8(pixel >> 16 & 0xFF), UInt8(pixel >> 8 & 0xFF), UInt8(pixel & 0xFF))
                let spread = Int(max(rgb.0, rgb.1, rgb.2)) - Int(min(rgb.0, rgb.1, rgb.2))
                if spread > bestSpread { best = rgb; bestSpread = spread }
            }
        }
        return best
    }

    static func render(_ change: (inout [String: Any]) -> Void = { _ in }) throws -> (Document, PDFDocument) {
        let folder = try TemporaryFolder()
        try FileManager.default.copyItem(at: Paths.documents.appendingPathComponent("logos"), to: folder.url.appendingPathComponent("logos"))
        let file = try folder.write("branded.json", try fixtureDocument("acme-invoice-fr.json") {
            $0["terms"] = nil
            change(&$0)
        })
        let (document, letter, _) = try Quoting.render(file: file, intake: Intake(opener: IsolatedOpener(), tariff: .standard))
        return (document, try PDFDocument(bytes: letter.pdf, name: "branded"))
    }

    @Test func theLogoAndTheAccentColourPrintInTheHeader() throws {
        let (document, pdf) = try Self.render()
        #expect(document.sender.logo == .pngFile(path: "logos/acme.png"))
        let proof = try PageProof.image(pdf, page: 0, dpi: 100)
        // The logo's teal disc, top left, above the window.
        let logo = Self.mostColourful(proof, x: mm(20)...mm(80), y: mm(12)...mm(30))
        #expect(abs(Int(logo.0) - 0x0F) < 12 && abs(Int(logo.1) - 0x76) < 12 && abs(Int(logo.2) - 0x6E) < 12, "\(logo)")
        // The title in the accent colour.
        let title = try #require(pdf.characters(onPage: 0).first { $0.character == "F" && $0.y1 > mm(55) })
        let ink = Self.mostColourful(proof, x: title.x1...title.x2, y: title.y1...title.y2)
        #expect(abs(Int(ink.0) - 0x0F) < 12 && abs(Int(ink.1) - 0x76) < 12 && abs(Int(ink.2) - 0x6E) < 12, "\(ink)")
        // The name is still printed, in words, under the logo.
        let name = try #require(pdf.characters(onPage: 0).first { $0.character == "A" && $0.x1 < mm(21) })
        #expect(name.y1 > mm(20) && name.y2 < mm(40), "the name at \(name.y1 / mm(1)) mm from the top")
    }

    @Test func aBlackAndWhiteLetterHasNoColourAnywhere() throws {
        let (_, pdf) = try Self.render { $0["print"] = ["color": false] }
        let proof = try PageProof.image(pdf, page: 0, dpi: 72)
        let coloured = proof.pixels.filter { pixel in
            let r = Int(pixel >> 16 & 0xFF), g = Int(pixel >> 8 & 0xFF), b = Int(pixel & 0xFF)
            return max(r, g, b) - min(r, g, b) > 3
        }
        #expect(coloured.isEmpty, "\(coloured.count) coloured pixels, e.g. \(coloured.prefix(3).map { String($0, radix: 16) })")
        // The logo is still there, in greys: its disc is the darker half of its left part.
        let disc = stride(from: mm(21), to: mm(34), by: 1).filter { proof.pixel(atPoint: $0, mm(19)) < 0xC0_C0C0 }
        #expect(disc.count > 10, "no logo drawn")
    }

    @Test func aLightBrandColourIsDarkenedUntilTextInItReads() throws {
        let yellow = try #require(RGBColor(hex: "#FFD400"))
        #expect(yellow.contrastOnWhite < 2)
        let text = yellow.darkened(toContrast: 4.5)
        #expect(text.contrastOnWhite >= 4.5)
        #expect(text.red > text.green && text.blue == 0, "keeps its hue: \(text)")

        let (_, pdf) = try Self.render { document in
            var sender = document["sender"] as! [String: Any]
            sender["accent_color"] = "#FFD400"
            document["sender"] = sender
        }
        let proof = try PageProof.image(pdf, page: 0, dpi: 100)
        let title = try #require(pdf.characters(onPage: 0).first { $0.character == "F" && $0.y1 > mm(55) })
        let ink = Self.mostColourful(proof, x: title.x1...title.x2, y: title.y1...title.y2)
        #expect(RGBColor(red: ink.0, green: ink.1, blue: ink.2).contrastOnWhite >= 4.4, "\(ink)")
    }

    @Test(arguments: [("teal", "expected a colour written #RRGGBB"), ("#12345", "expected a colour written #RRGGBB")])
    func aWrongAccentColourFailsTheDocument(_ value: String, reason: String) throws {
        let json = try fixtureDocument { document in
            var sender = document["sender"] as! [String: Any]
            sender["accent_color"] = value
            document["sender"] = sender
        }
        let error = try #require(throws: DocumentError.self) { try DocumentParser.parse(Data(json.utf8)) }
        #expect(error.description.contains("sender.accent_color is \"\(value)\", \(reason)"), "\(error)")
    }

    /// Bad logos fail their job when it is queued, with the reason, and cost nothing.
    @Test(arguments: [
        ("jpeg", [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10] as [UInt8], "is not a PNG (it is a JPEG)"),
        ("truncated", [], "is a damaged PNG"),
        ("missing", nil, "which does not exist"),
    ] as [(String, [UInt8]?, String)])
    func aBadLogoFailsItsJobWithTheReason(_ name: String, bytes: [UInt8]?, reason: String) throws {
        let folder = try TemporaryFolder()
        let room = try TestMailRoom(folder: folder)
        let png = try [UInt8](Data(contentsOf: Self.logo))
        if let bytes {
            try folder.write("logos/\(name).png", "")
            try Data(bytes.isEmpty ? Array(png.prefix(png.count / 2)) : bytes)
                .write(to: folder.url.appendingPathComponent("logos/\(name).png"))
        }
        let file = try folder.write("bad-logo.json", try fixtureDocument("acme-entretien-fr.json") { document in
            var sender = document["sender"] as! [String: Any]
            sender["logo"] = ["png": "logos/\(name).png"]
            document["sender"] = sender
        })
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        let job = try #require(try room.enqueue(file).first).job
        #expect(job.state == .failed)
        #expect(job.reason?.contains("sender.logo.png") == true && job.reason?.contains(reason) == true, "\(job.reason ?? "")")
        _ = try room.mailRoom.run()
        #expect(try room.store.balance(account: "acme") == 1000)
    }

    /// A logo drawn on many letters of one print stream is embedded once.
    @Test func aStreamCarriesTheLogoOnce() throws {
        let document = try DocumentParser.parse(Data(contentsOf: Paths.document("acme-invoice-fr.json")))
        let logo = try LetterLogo(png: [UInt8](Data(contentsOf: Self.logo)), name: "acme.png")
        var plain = document
        plain.sender.logo = nil
        let renderer = LetterRenderer()
        func streamSize(letters: Int, withLogo: Bool) throws -> Int {
            let canvas = try PDFCanvas(metadata: PDFMetadata(title: "stream", date: "2026-11-28T00:00:00Z"))
            for _ in 0..<letters {
                try renderer.draw(withLogo ? document : plain, terms: nil, logo: withLogo ? logo : nil, on: canvas)
            }
            return try canvas.finish().count
        }
        let one = try streamSize(letters: 1, withLogo: true) - streamSize(letters: 1, withLogo: false)
        let twenty = try streamSize(letters: 20, withLogo: true) - streamSize(letters: 20, withLogo: false)
        #expect(one > 10_000, "the logo adds \(one) bytes to one letter")
        #expect(twenty < one + 20 * 200, "the logo adds \(twenty) bytes to twenty letters, \(one) to one")
    }
}
