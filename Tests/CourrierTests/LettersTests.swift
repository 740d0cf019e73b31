import Checksums
import Foundation
import Testing
@testable import Letters

@Suite struct StructuredCommunicationTests {
    @Test(arguments: ["+++090/9337/55493+++", "***090/9337/55493***", "090933755493"])
    func acceptsTheWrittenForms(_ text: String) throws {
        let communication = try StructuredCommunication(text)
        #expect(communication.description == "+++090/9337/55493+++")
    }

    @Test func rejectsAWrongCheckNamingTheRightOne() {
        #expect(throws: StructuredCommunication.Problem.wrongCheck("+++090/9337/55494+++", expected: 93)) {
            try StructuredCommunication("+++090/9337/55494+++")
        }
    }

    @Test func aBaseDivisibleBy97HasCheck97() throws {
        let communication = StructuredCommunication(base: 97 * 1_000_000)
        #expect(communication.digits.hasSuffix("97"))
        #expect(try StructuredCommunication(communication.description) == communication)
    }
}

@Suite struct AmountTests {
    @Test func netsAndVATRoundHalfUpPerRate() throws {
        // 3 x 0.335 = 1.005 rounds to 1.01; 6 % of 1.01 + 2.50 = 0.2106 rounds to 0.21.
        let json = """
            {"format": "courrier.document/1", "account": "a", "id": "1", "kind": "invoice", "language": "en",
             "number": "1", "issue_date": "2026-11-28",
             "sender": {"name": "S", "street": "Rue 1", "postal_code": "1000", "city": "Bruxelles", "country": "BE"},
             "recipient": {"name": "R", "street": "Rue 2", "postal_code": "1030", "city": "Schaerbeek", "country": "BE"},
             "lines": [{"description": "a", "quantity": "3", "unit_price": "0.335", "vat_rate": "6"},
                       {"description": "b", "quantity": "1", "unit_price": "2.50", "vat_rate": "6"},
                       {"description": "c", "quantity": "1", "unit_price": "10.05", "vat_rate": "21"}]}
            """
        let document = try DocumentParser.parse(Data(json.utf8))
        #expect(document.lines.map(\.netCents) == [101, 250, 1005])
        #expect(document.totals.vatGroups.map(\.vatCents) == [211, 21])
        #expect(document.totals.netCents == 1356)
        #expect(document.totals.grossCents == 1588)
    }

    @Test func centsReadAndWriteAsDecimalStrings() {
        #expect(Cents.parse("1.45") == 145)
        #expect(Cents.parse("20") == 2000)
        #expect(Cents.parse("0.005") == nil)
        #expect(Cents.decimalString(-5) == "-0.05")
    }
}

/// libcrypto's SHA-256 against FIPS 180-2's examples.
@Suite struct SHA256Tests {
    @Test func matchesTheFIPSExamples() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Fed in pieces, as a bundle's PDF is read a mebibyte at a time.
        let hasher = SHA256()
        for start in stride(from: 0, to: million.count, by: 65_537) {
            hasher.update(Array(million[start..<min(start + 65_537, million.count)]))
        }
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

@Suite struct UTCTimestampTests {
    @Test func writesISO8601InUTC() {
        let date = Date(timeIntervalSince1970: 1_795_860_005.25)  // 2026-11-28T10:00:05.250Z
        #expect(UTCTimestamp.string(date) == "2026-11-28T10:00:05Z")
        #expect(UTCTimestamp.string(date, milliseconds: true) == "2026-11-28T10:00:05.250Z")
    }
}

@Suite struct StreetBoxTests {
    @Test(arguments: [
        ("Chaussée de Louvain 245 bus 3", Language.fr, "Chaussée de Louvain 245 bte 3"),
        ("Chaussée de Louvain 245 bte 3", .nl, "Chaussée de Louvain 245 bus 3"),
        ("Bondgenotenlaan 12 Bus 4", .de, "Bondgenotenlaan 12 Box 4"),
        ("Rue du Bus 12", .fr, "Rue du Bus 12"),
        ("Busstraat 7", .nl, "Busstraat 7"),
    ])
    func theBoxIsWrittenInTheLettersLanguage(_ street: String, language: Language, expected: String) {
        let address = PostalAddress(name: "N", street: street, postalCode: "1000", city: "Bruxelles", country: "BE")
        #expect(address.windowLines(language: language)[1] == expected)
    }
}
