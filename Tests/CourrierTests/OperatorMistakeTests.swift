import Foundation
import Testing
@testable import Courrier
import Letters
import Storage

/// What an operator or a product gets slightly wrong gets a clear error that
/// names the setting or the value (cut to a sane length), never a crash, a
/// hang, a forged line or a silent change.
@Suite struct OperatorMistakeTests {
    @Test func aLibpqConnectionStringIsRefusedWithoutRepeatingItsPassword() throws {
        let folder = try TemporaryFolder()
        let result = try runCourrier(["status", "--database", "host=db.example.be password=hunter2 dbname=mail"], in: folder.url)
        #expect(result.status != 0)
        #expect(result.error.contains("--database looks like a libpq connection string (host=…); give a postgres://"),
                "\(result.error)")
        #expect(!result.error.contains("hunter2") && !result.output.contains("hunter2"))
        #expect(fileNames(folder.url).isEmpty, "no SQLite file named with the password")
    }

    @Test func aReferenceWithANewlineCannotForgeALineOfTheHistory() throws {
        let folder = try TemporaryFolder()
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite")]
        let forged = try runCourrier(["wallet", "credit", "acme", "10", "--reference", "t1\n2026-12-01  credit  1000.00  bonus"],
                                     environment: environment, in: folder.url)
        #expect(forged.status != 0)
        #expect(forged.error.contains("must be one line of at most 200 characters, without control characters"), "\(forged.error)")
        #expect(forged.error.contains("t1\\u{000A}2026"), "the reference is shown escaped: \(forged.error)")
        let history = try runCourrier(["wallet", "history", "acme"], environment: environment, in: folder.url)
        #expect(!history.output.contains("bonus"))
    }

    @Test(arguments: [["config"], ["purge"], ["worker"]])
    func anEnormousDurationIsRefusedNamingTheOption(verb: [String]) throws {
        let folder = try TemporaryFolder()
        let option = verb == ["purge"] ? "--older-than" : "--open-timeout"
        let result = try runCourrier(verb + [option, "99999999999999999999d"],
                                     environment: ["COURRIER_DATABASE": folder.path("courrier.sqlite")], in: folder.url)
        #expect(result.status == 1 || result.status == 2, "no crash: \(result.status)")
        #expect(result.error.contains("\(option) is \"99999999999999999999d\", longer than 3650d, the most it may be"),
                "\(result.error)")
    }

    @Test func aFIFONamedAsTheStoreIsRefusedAtOnce() throws {
        let folder = try TemporaryFolder()
        #expect(mkfifo(folder.path("courrier.sqlite"), 0o600) == 0)
        let result = try runCourrier(["status"], environment: ["COURRIER_DATABASE": folder.path("courrier.sqlite")], in: folder.url)
        #expect(result.status == 1)
        #expect(result.error.contains("courrier.sqlite is a FIFO, not an SQLite file"), "\(result.error)")
    }

    @Test func aConfigurationFileWithAByteOrderMarkReadsAndATrailingBackslashIsRefused() throws {
        let folder = try TemporaryFolder()
        try Data([0xEF, 0xBB, 0xBF] + Array("COURRIER_DATABASE=\(folder.path("from-file.sqlite"))\nCOURRIER_POLL=7s\n".utf8))
            .write(to: folder.url.appendingPathComponent("bom.conf"))
        let read = try runCourrier(["config", "--config", folder.path("bom.conf")], in: folder.url)
        #expect(read.status == 0, "\(read.error)")
        #expect(read.output.contains("from-file.sqlite") && read.output.contains("7s"), "\(read.output)")

        try Data("COURRIER_POLL=7s\nCOURRIER_GRACE=45s \\".utf8).write(to: folder.url.appendingPathComponent("cut.conf"))
        let cut = try runCourrier(["config", "--config", folder.path("cut.conf")], in: folder.url)
        #expect(cut.status != 0)
        #expect(cut.error.contains("cut.conf line 2 ends with a backslash, which joins a next line the file does not have"),
                "\(cut.error)")
    }

    @Test func aHugeDecimalIsQuotedShortAndTooManyVATRatesAreRefused() throws {
        let huge = try fixtureDocument { document in
            var lines = document["lines"] as! [[String: Any]]
            lines[0]["unit_price"] = String(repeating: "9", count: 5_000_000) + "x"
            document["lines"] = lines
        }
        let error = try #require(throws: DocumentError.self) { try DocumentParser.parse(Data(huge.utf8)) }
        #expect(error.problems[0].description.count < 150, "\(error.description.prefix(300))")
        #expect(error.description.contains("(5000001 characters), expected a decimal"), "\(error.description.prefix(300))")

        let rates = try fixtureDocument { document in
            document["lines"] = (1...300).map { rate in
                ["description": "Line \(rate)", "quantity": "1", "unit_price": "1.00", "vat_rate": "\(Double(rate) / 10)"]
            }
            document["totals"] = nil
        }
        let refused = try #require(throws: DocumentError.self) { try DocumentParser.parse(Data(rates.utf8)) }
        #expect(refused.description.contains("lines use 300 different VAT rates; a letter lists at most 12 in its totals"),
                "\(refused.description.prefix(400))")
    }

    @Test func aWalletIsCappedFarBelowOverflow() throws {
        let room = try TestMailRoom()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 9_000_000_000, reference: "big")
        let error = #expect(throws: MailRoomError.self) {
            _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1_000_000_001, reference: "bigger")
        }
        #expect(error?.message == "crediting 10000000.01 would take the wallet of acme over 100000000.00, the most a wallet may hold",
                "\(String(describing: error))")
        #expect(try room.store.balance(account: "acme") == 9_000_000_000)
        let huge = #expect(throws: (any Error).self) {
            _ = try room.mailRoom.accounts.credit(account: "acme", cents: .max, reference: "max")
        }
        #expect(huge != nil)
    }
}
