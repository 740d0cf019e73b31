import Foundation
import Testing
@testable import Courrier
import Letters
@testable import Rendering

@Suite struct PaymentDetailTests {
    @Test(arguments: ["BE71096123456769", "BE71 0961 2345 6769", "be68539007547034", "NL91ABNA0417164300",
                      "FR1420041010050500013M02606", "DE89370400440532013000"])
    func validIBANsAreAccepted(_ text: String) throws {
        #expect(try IBAN(text).compact == text.replacingOccurrences(of: " ", with: "").uppercased())
    }

    @Test(arguments: [("BE71096123456768", "check digits"), ("BE7109612345676", "has 16 characters"),
                      ("NL91ABNA041716430", "has 18 characters"), ("12345", "expected an IBAN")])
    func invalidIBANsAreRefusedWithTheReason(_ text: String, reason: String) {
        #expect(throws: PaymentDetailProblem.self) { try IBAN(text) }
        do { _ = try IBAN(text) } catch { #expect(error.description.contains(reason), "\(error)") }
    }

    /// The IBAN registry's examples: each country's own check digits hold.
    @Test(arguments: ["BE68539007547034", "FR1420041010050500013M02606", "ES9121000418450200051332", "NO9386011117947",
                      "FI2112345600000785", "PT50000201231234567890154", "MC5811222000010123456789030"])
    func theRegistrysExamplesPassTheirCountrysCheck(_ text: String) throws {
        #expect(try IBAN(text).compact == text)
    }

    /// The same account numbers with their national check digits changed and
    /// the IBAN's own (mod 97) made right again: only the country's rule sees it.
    @Test(arguments: [("BE41539007547035", "Belgian check digits"), ("FR8420041010050500013M02607", "French check digits (clé RIB)"),
                      ("ES2921000418460200051332", "Spanish check digits (DC)"), ("NO6686011117948", "Norwegian check digit"),
                      ("FI9112345600000786", "Finnish check digit"), ("PT23000201231234567890155", "Portuguese check digits (NIB)"),
                      ("MC3111222000010123456789031", "French check digits (clé RIB)")])
    func aWrongNationalCheckIsRefusedNamingTheRule(_ text: String, rule: String) {
        let error = #expect(throws: PaymentDetailProblem.self) { try IBAN(text) }
        #expect(error?.description.contains("the \(rule) do not match") == true, "\(String(describing: error))")
    }

    /// Numbers as people write them: copied from a statement, a letterhead, a register.
    @Test(arguments: [("BE71-0961-2345-6769", "BE71096123456769"), ("BE71.0961.2345.6769", "BE71096123456769"),
                      ("IBAN BE71 0961 2345 6769", "BE71096123456769"), ("IBAN: be71\u{00A0}0961\u{00A0}2345\u{00A0}6769", "BE71096123456769"),
                      ("NL91 ABNA 0417 1643 00", "NL91ABNA0417164300")])
    func ibansAreReadAsPeopleWriteThem(_ text: String, compact: String) throws {
        #expect(try IBAN(text).compact == compact)
    }

    @Test(arguments: [("DK: 21599336", "DK21599336"), ("CZ 640229/4448", "CZ6402294448"),
                      ("BE (0)468.561.072", "BE0468561072"), ("be 0468-561-072", "BE0468561072")])
    func vatNumbersAreReadAsPeopleWriteThem(_ text: String, compact: String) throws {
        #expect(try VATNumber(text).compact == compact)
    }

    /// Written the way a customer typed them, printed the way a bank and a tax office write them.
    @Test func aLetterPrintsTheNumbersInTheirCanonicalForm() throws {
        let json = try fixtureDocument("acme-entretien-fr.json") {
            var sender = $0["sender"] as? [String: Any] ?? [:]
            sender["iban"] = "IBAN: BE71-0961-2345-6769"
            sender["vat"] = "BE (0)468.561.072"
            $0["sender"] = sender
        }
        let document = try DocumentParser.parse(Data(json.utf8))
        let pdf = try PDFDocument(bytes: try LetterRenderer().render(document, terms: nil).pdf, name: "letter")
        let text = (0..<pdf.pageCount).map { pdf.text(onPage: $0) }.joined()
        #expect(text.contains("BE71 0961 2345 6769") && text.contains("BE 0468.561.072"), "\(text)")
        #expect(!text.contains("BE71-0961"))
    }

    @Test func bicsAndBelgianVATNumbers() throws {
        #expect(try BIC("GKCCBEBB").code == "GKCCBEBB")
        #expect(try BIC("kredbebbxxx").code == "KREDBEBBXXX")
        #expect(throws: PaymentDetailProblem.self) { try BIC("GKCCBE") }
        #expect(throws: PaymentDetailProblem.self) { try BIC("GKC1BEBB") }
        #expect(try VATNumber("BE 0123.456.749").description == "BE 0123.456.749")
        #expect(try VATNumber("BE123456749").compact == "BE0123456749")
        #expect(try VATNumber("NL123456789B01").compact == "NL123456789B01")
        do { _ = try VATNumber("BE0123456748") } catch { #expect(error.description.contains("should be 49")) }
        #expect(throws: PaymentDetailProblem.self) { try VATNumber("BE2123456749") }
    }

    @Test(arguments: [("iban", "BE71096123456768", "sender.iban"), ("bic", "GKCC", "sender.bic"),
                      ("vat", "BE0123456748", "sender.vat")])
    func aWrongPaymentDetailFailsTheDocumentNamingTheField(_ field: String, value: String, path: String) throws {
        let json = try fixtureDocument { document in
            var sender = document["sender"] as! [String: Any]
            sender[field] = value
            document["sender"] = sender
        }
        #expect(throws: DocumentError.self) { try DocumentParser.parse(Data(json.utf8)) }
        do { _ = try DocumentParser.parse(Data(json.utf8)) } catch {
            #expect(error.description.contains("\(path) is \"\(value)\""), "\(error)")
        }
    }
}

@Suite struct PaymentQRCodeTests {
    @Test func theFixtureInvoiceCarriesTheEPCPayload() throws {
        let document = try DocumentParser.parse(Data(contentsOf: Paths.document("acme-invoice-fr.json")))
        let payment = try #require(EPCPayment(document, text: "Facture 2026/0116"))
        #expect(payment.payload == "BCD\n002\n1\nSCT\nGKCCBEBB\nAcme SRL\nBE71096123456769\nEUR157.30\n\n090933755493")
    }

    @Test func withoutAStructuredReferenceTheTextGoesInTheFreeField() throws {
        let long = String(repeating: "Ł", count: 300)
        let payment = EPCPayment(beneficiary: String(repeating: "Ż", count: 90), iban: try IBAN("BE71096123456769"),
                                 bic: nil, amountCents: 5, reference: nil, text: long)
        let payload = try #require(payment.payload)
        let lines = payload.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[4] == "" && lines[5].count == 70 && lines[7] == "EUR0.05" && lines[9] == "")
        #expect(lines[10].hasPrefix("ŁŁŁ"))
        #expect(payload.utf8.count <= EPCPayment.maximumBytes)
    }

    /// A name whose letters carry marks is cut by whole characters until the
    /// payload fits 331 bytes: a bank reads the code, and the letter that
    /// was charged is the letter that prints.
    @Test func aNameOfStackedMarksIsCutByWholeCharactersToFit() throws {
        let heavy = String(repeating: "e" + String(repeating: "\u{0301}", count: 8), count: 70)
        let payment = EPCPayment(beneficiary: heavy, iban: try IBAN("BE71096123456769"), bic: nil, amountCents: 15_730,
                                 reference: nil, text: String(repeating: "x", count: 140))
        let payload = try #require(payment.payload)
        #expect(payload.utf8.count <= EPCPayment.maximumBytes)
        let name = payload.split(separator: "\n", omittingEmptySubsequences: false)[5]
        #expect(name.count > 10 && name.allSatisfy { $0.unicodeScalars.count == 9 }, "cut between characters, not inside one")
    }

    /// Runs zbarimg, a real QR reader, on a PNG; nil when it finds no code.
    private func decodeQR(_ png: String) throws -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zbarimg")
        process.arguments = ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", png]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    @Test(arguments: ["invoice", "reminder"])
    func aRealReaderDecodesTheCodeOnTheProof(kind: String) throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("\(kind).json", try fixtureDocument("acme-entretien-fr.json") { $0["kind"] = kind })
        let document = try DocumentParser.parse(Data(contentsOf: file))
        let png = folder.path("page.png")
        let proof = try runCourrier(["proof", file.path, "-o", png, "--dpi", "150"], in: folder.url)
        #expect(proof.status == 0, "\(proof.error)")
        let title = Labels.forLanguage(.fr).title[document.kind]!
        let expected = try #require(EPCPayment(document, text: "\(title) \(document.number ?? "")")).payload
        #expect(try decodeQR(png) == expected)
    }

    @Test func aCreditNoteHasNoPaymentCode() throws {
        let folder = try TemporaryFolder()
        let png = folder.path("page.png")
        let proof = try runCourrier(["proof", Paths.document("peeters-creditnota-nl.json").path, "-o", png], in: folder.url)
        #expect(proof.status == 0)
        #expect(FileManager.default.fileExists(atPath: png))
        #expect(try decodeQR(png) == nil)
    }

    @Test func aProofIsAPageAtTheResolutionAsked() throws {
        let folder = try TemporaryFolder()
        let png = folder.path("p.png")
        let result = try runCourrier(["proof", Paths.document("acme-invoice-fr.json").path, "-o", png, "--page", "2",
                                      "--dpi", "100"], in: folder.url)
        #expect(result.output == "\(png): page 2 of 2\n")
        let header = try #require(FileHandle(forReadingAtPath: png)?.readData(ofLength: 24))
        let width = header[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = header[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect((width, height) == (827, 1170), "A4 at 100 dpi")
        let beyond = try runCourrier(["proof", Paths.document("acme-invoice-fr.json").path, "-o", png, "--page", "3"],
                                     in: folder.url)
        #expect(beyond.status == 1)
        #expect(beyond.error.contains("the letter has 2 pages; there is no page 3"))
    }
}

@Suite struct ScriptTests {
    @Test func latinLettersOfEveryKindArePrintedAsWritten() throws {
        let name = "Łukasz Øster-Ğüneş & Șerban Weiß"
        let json = try fixtureDocument("acme-entretien-fr.json") { document in
            var recipient = document["recipient"] as! [String: Any]
            recipient["name"] = name
            document["recipient"] = recipient
        }
        let letter = try LetterRenderer().render(try DocumentParser.parse(Data(json.utf8)), terms: nil)
        #expect(try PDFDocument(bytes: letter.pdf, name: "letter").text(onPage: 0).contains(name))
    }

    // An Egyptian hieroglyph and a private-use character: no Debian font a letter machine has draws them.
    @Test(arguments: [("\u{13000}", "recipient.name"), ("\u{E000}", "lines[0].description")])
    func aCharacterNoFontCanDrawFailsTheLetter(_ text: String, field: String) throws {
        let json = try fixtureDocument("acme-entretien-fr.json") { document in
            if field == "recipient.name" {
                var recipient = document["recipient"] as! [String: Any]
                recipient["name"] = "Boulangerie \(text)"
                document["recipient"] = recipient
            } else {
                var lines = document["lines"] as! [[String: Any]]
                lines[0]["description"] = "Pièce \(text)"
                document["lines"] = lines
            }
        }
        do {
            _ = try LetterRenderer().render(try DocumentParser.parse(Data(json.utf8)), terms: nil)
            Issue.record("the letter rendered with a character no font has")
        } catch let error as RenderError {
            #expect(error.code == .missingGlyph)
            #expect(error.message.hasPrefix("\(field) contains"), "\(error)")
        }
    }
}

@Suite struct AwkwardTermsTests {
    private func terms(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Paths.fixtures.appendingPathComponent("terms/\(name)")))
    }

    @Test func rotatedLandscapeAndLetterPagesComeOutUprightOnA4() throws {
        let document = try DocumentParser.parse(Data(contentsOf: Paths.document("acme-entretien-fr.json")))
        let terms = try LetterTerms.open(.pdfData([]), pdfBytes: try terms("rotated-landscape-letter.pdf"), name: "cgv.pdf")
        let letter = try LetterRenderer().render(document, terms: terms)
        let pdf = try PDFDocument(bytes: letter.pdf, name: "letter")
        #expect(pdf.pageCount == 5)
        for page in 1...4 {
            #expect(try pdf.pageSize(page) == (PDFCanvas.a4Width, PDFCanvas.a4Height))
            #expect(pdf.text(onPage: page).contains("Conditions page \(page)"), "terms page \(page) is readable")
        }
    }

    @Test(arguments: [("password-protected.pdf", "encrypted (password protected)"),
                      ("printing-forbidden.pdf", "forbids printing")])
    func encryptedTermsFailWithTheReason(_ name: String, reason: String) throws {
        do {
            _ = try LetterTerms.open(.pdfData([]), pdfBytes: try terms(name), name: "terms/\(name)")
            Issue.record("\(name) was accepted")
        } catch let error as RenderError {
            #expect(error.code == .unreadableTerms)
            #expect(error.message.contains("terms/\(name)") && error.message.contains(reason), "\(error)")
        }
    }
}

@Suite struct KindsAndLanguagesTests {
    static let cases = DocumentKind.allCases.flatMap { kind in Language.allCases.map { (kind, $0) } }

    /// Every kind in every language: its title, and its total as a reader in
    /// Belgium writes it.
    @Test(arguments: cases)
    func eachKindSpeaksItsLanguage(kind: DocumentKind, language: Language) throws {
        let json = try fixtureDocument("acme-entretien-fr.json") { document in
            document["kind"] = kind.rawValue
            document["language"] = language.rawValue
            document["lines"] = [["description": "Entretien annuel", "quantity": "10", "unit_price": "123.45", "vat_rate": "21"]]
            document["totals"] = nil
            if kind == .letter {
                document["lines"] = nil
                document["body"] = "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre courrier."
            }
        }
        let document = try DocumentParser.parse(Data(json.utf8))
        let letter = try LetterRenderer().render(document, terms: nil)
        let text = try PDFDocument(bytes: letter.pdf, name: "letter").text(onPage: 0)
        let labels = Labels.forLanguage(language)
        // A due date where the reader has something to do by then; an offer's is its validity.
        #expect(document.dueDate != nil)
        #expect(text.contains(labels.dueDate) == (kind == .invoice || kind == .reminder), "due date on a \(kind)")
        #expect(text.contains(labels.validUntil) == (kind == .offer))
        if kind == .letter {
            #expect(text.contains("Veuillez trouver ci-joint notre courrier."))
            #expect(!text.contains(labels.description))
        } else {
            #expect(text.contains(labels.title[kind]!))
            // Poppler reads the no-break space before € as a plain space.
            #expect(text.contains(language == .en ? "€1,493.75" : "1.493,75 €"), "\(text)")
        }
    }
}
