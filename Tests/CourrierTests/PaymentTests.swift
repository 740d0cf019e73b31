import Foundation
import Testing
@testable import Courrier
@testable import Letters
@testable import Rendering

/// One line of Fixtures/payment: a number as written, and what becomes of it.
struct PaymentDetailCase: CustomTestStringConvertible, Sendable {
    var text: String
    var valid: Bool
    /// The printed form of a valid number; what the refusal of an invalid one names.
    var expected: String

    var testDescription: String { "\(text) \(valid ? "→ \(expected)" : "refused: \(expected)")" }

    static func load(_ name: String) -> [PaymentDetailCase] {
        let text = (try? String(contentsOf: Paths.fixtures.appendingPathComponent("payment/\(name)"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return PaymentDetailCase(text: fields[1], valid: fields[2] == "valid", expected: fields[3])
        }
    }
}

@Suite struct PaymentDetailTests {
    static let ibans = PaymentDetailCase.load("ibans.tsv")
    static let vatNumbers = PaymentDetailCase.load("vat-numbers.tsv")

    /// The IBAN registry's example of every country, each country's own check
    /// (its example with one account digit changed), the registry's lengths
    /// and layouts, and numbers written as people write them.
    @Test(arguments: ibans)
    func anIBANIsReadAsItsBankReadsIt(_ example: PaymentDetailCase) {
        do throws(PaymentDetailProblem) {
            let iban = try IBAN(example.text)
            #expect(example.valid && iban.description == example.expected, "accepted as \(iban)")
        } catch {
            #expect(!example.valid && error.description.contains(example.expected), "\(error)")
        }
    }

    /// Each EU country's numbers (Greece's as EL, Northern Ireland's as XI),
    /// the United Kingdom's, Switzerland's and Norway's: every form each
    /// issues, the same with a digit changed, and written as people write them.
    @Test(arguments: vatNumbers)
    func aVATNumberIsReadAsItsTaxOfficeReadsIt(_ example: PaymentDetailCase) {
        do throws(PaymentDetailProblem) {
            let vat = try VATNumber(example.text)
            #expect(example.valid && vat.description == example.expected, "accepted as \(vat)")
        } catch {
            #expect(!example.valid && error.description.contains(example.expected), "\(error)")
        }
    }

    /// The fixtures hold an example of every country in the registry, and
    /// a refused twin for every country that has its own check.
    @Test func theFixturesCoverEveryCountryChecked() throws {
        let valid = Set(Self.ibans.filter(\.valid).map { String($0.text.prefix(2)) })
        let refusedByNation = Self.ibans.filter { !$0.valid && $0.expected.contains("check") }.map { String($0.text.prefix(2)) }
        #expect(valid.isSuperset(of: IBANRegistry.layouts.keys))
        #expect(Set(refusedByNation).count == refusedByNation.count && refusedByNation.count >= 28)
        let vatCountries = Set(Self.vatNumbers.filter { !$0.valid && $0.expected.hasSuffix("check") }.map { String($0.text.prefix(2)) })
        let union = ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
                     "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI"]
        #expect(vatCountries.isSuperset(of: union), "\(Set(union).subtracting(vatCountries))")
    }

    /// Written the way a customer typed them, printed the way a bank and a tax office write them.
    @Test(arguments: [("IBAN: BE71-0961-2345-6769", "BE (0)468.561.072", "BE71 0961 2345 6769", "BE 0468.561.072"),
                      ("it60 x054 2811 1010 0000 0123 456", "GR 094259216", "IT60 X054 2811 1010 0000 0123 456", "EL094259216"),
                      ("FR76-3000-6000-0112-3456-7890-189", "FR 40 303 265 045", "FR76 3000 6000 0112 3456 7890 189", "FR40303265045"),
                      ("NL91.ABNA.0417.1643.00", "che116281710tva", "NL91 ABNA 0417 1643 00", "CHE-116.281.710 TVA")])
    func aLetterPrintsTheNumbersInTheirCanonicalForm(_ iban: String, _ vat: String, _ printedIBAN: String, _ printedVAT: String) throws {
        let json = try fixtureDocument("acme-entretien-fr.json") {
            var sender = $0["sender"] as? [String: Any] ?? [:]
            sender["iban"] = iban
            sender["vat"] = vat
            $0["sender"] = sender
        }
        let document = try DocumentParser.parse(Data(json.utf8))
        let pdf = try PDFDocument(bytes: try LetterRenderer().render(document, terms: nil).pdf, name: "letter")
        let text = (0..<pdf.pageCount).map { pdf.text(onPage: $0) }.joined()
        #expect(text.contains(printedIBAN) && text.contains(printedVAT), "\(text)")
        #expect(!text.contains(iban) && !text.contains(vat))
    }

    @Test func bics() throws {
        #expect(try BIC("GKCCBEBB").code == "GKCCBEBB")
        #expect(try BIC("kredbebbxxx").code == "KREDBEBBXXX")
        #expect(throws: PaymentDetailProblem.self) { try BIC("GKCCBE") }
        #expect(throws: PaymentDetailProblem.self) { try BIC("GKC1BEBB") }
    }

    /// A refusal names the field, the value as written and the rule that failed.
    @Test(arguments: [("iban", "ES66 2100 0718 4502 0005 1332", "sender.iban is \"ES66 2100 0718 4502 0005 1332\": the Spanish check digits (DC) do not match"),
                      ("iban", "BE71096123456768", "sender.iban is \"BE71096123456768\": whose check digits are wrong (mod 97)"),
                      ("bic", "GKCC", "sender.bic is \"GKCC\": expected a BIC"),
                      ("vat", "BE0123456748", "sender.vat is \"BE0123456748\": the Belgian check digits do not match"),
                      ("vat", "DE 136 695 975", "sender.vat is \"DE 136 695 975\": the German check digit does not match"),
                      ("vat", "ESX1234567Z", "sender.vat is \"ESX1234567Z\": the Spanish check character does not match")])
    func aWrongPaymentDetailFailsTheDocumentNamingTheField(_ field: String, value: String, reason: String) throws {
        let json = try fixtureDocument { document in
            var sender = document["sender"] as! [String: Any]
            sender[field] = value
            document["sender"] = sender
        }
        let error = #expect(throws: DocumentError.self) { try DocumentParser.parse(Data(json.utf8)) }
        #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
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
