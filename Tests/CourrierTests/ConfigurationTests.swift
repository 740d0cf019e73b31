import Foundation
import Testing
@testable import Courrier
import Letters
import Storage

/// Settings read from a file, the environment and options, in that order,
/// and each refused with a reason that names it.
@Suite struct ConfigurationTests {
    @Test func theFileTheEnvironmentAndTheOptionsInThatOrder() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("courrier.conf", """
            # Courrier
            COURRIER_DATABASE=\(folder.path("from-file.sqlite"))
            COURRIER_POLL="2s"
            COURRIER_FOLDED_SHEETS=4
            ; the passphrase, never printed
            COURRIER_SSH_PASSPHRASE='correct horse'
            """)
        let result = try runCourrier(["config", "--config", file.path, "--folded-sheets", "3", "--json"],
                                     environment: ["COURRIER_POLL": "7s"], in: folder.url)
        #expect(result.status == 0, "\(result.error)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: String]])
        let settings = Dictionary(uniqueKeysWithValues: rows.map { ($0["key"]!, ($0["value"]!, $0["source"]!)) })
        #expect(settings["COURRIER_DATABASE"]! == (folder.path("from-file.sqlite"), "file \(file.path)"))
        #expect(settings["COURRIER_POLL"]! == ("7s", "environment"))
        #expect(settings["COURRIER_FOLDED_SHEETS"]! == ("3", "--folded-sheets"))
        #expect(settings["COURRIER_MARKS"]! == ("none", "default"))
        #expect(settings["COURRIER_SSH_PASSPHRASE"]!.0 == "********")
        #expect(!result.output.contains("correct horse"))
    }

    @Test(arguments: [
        (["config"], ["COURRIER_POLL": "fast"], "", "COURRIER_POLL is \"fast\""),
        (["config", "--poll", "fast"], [:], "", "--poll is \"fast\""),
        (["config"], [:], "COURRIER_CUT_DAYS=someday", "courrier: COURRIER_CUT_DAYS in "),
        (["config"], [:], "COURRIER_CUT_ATT=10:00", "unknown key COURRIER_CUT_ATT"),
        (["config"], ["COURRIER_MARKS": "barcode"], "", "COURRIER_MARKS is \"barcode\""),
        (["config"], ["COURRIER_TARIFF": "/nonexistent/tariff.json"], "", "/nonexistent/tariff.json"),
        (["purge", "--older-than", "90"], [:], "", "--older-than is \"90\", expected a duration with its unit, such as 90s, 15m, 2h or 90d"),
        (["purge"], [:], "", "purge needs the retention: --older-than 90d, or COURRIER_RETENTION=90d"),
        (["config"], ["COURRIER_METRICS": "/nonexistent/courrier.prom"], "", "COURRIER_METRICS is \"/nonexistent/courrier.prom\", but its folder cannot be written to"),
    ] as [([String], [String: String], String, String)])
    func aWrongValueIsNamed(_ arguments: [String], _ environment: [String: String], _ fileLine: String, _ message: String) throws {
        let folder = try TemporaryFolder()
        var environment = environment
        if !fileLine.isEmpty {
            environment["COURRIER_CONFIG"] = try folder.write("courrier.conf", fileLine + "\n").path
        }
        let result = try runCourrier(arguments, environment: environment, in: folder.url)
        #expect(result.status != 0)
        #expect(result.error.contains(message), "\(result.error)")
        if !fileLine.isEmpty { #expect(result.error.contains("courrier.conf"), "the file is named: \(result.error)") }
    }

    /// One grammar for every duration: a number and its unit. A bare number is
    /// refused, naming the setting, wherever it is given.
    @Test(arguments: ["COURRIER_POLL", "COURRIER_GRACE", "COURRIER_DELIVERY_RETRY", "COURRIER_OPEN_TIMEOUT"])
    func everyDurationTakesSecondsMinutesAndHours(_ key: String) throws {
        let folder = try TemporaryFolder()
        for value in ["90s", "15m", "2h"] {
            let result = try runCourrier(["config", "--json"], environment: [key: value], in: folder.url)
            #expect(result.status == 0, "\(key)=\(value): \(result.error)")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: String]])
            #expect(rows.first { $0["key"] == key }?["value"] == value)
        }
        let bare = try runCourrier(["config"], environment: [key: "30"], in: folder.url)
        #expect(bare.status != 0)
        #expect(bare.error.contains("\(key) is \"30\", expected a duration with its unit, such as 90s, 15m, 2h or 90d"))
    }

    @Test(arguments: [
        ("COURRIER_CUT_EVERY", "15m", "15m"), ("COURRIER_CUT_EVERY", "2h", "120m"),
        ("COURRIER_RETENTION", "90d", "90d"), ("COURRIER_RETENTION", "2160h", "90d"),
    ])
    func intervalsAndRetentionTakeTheSameGrammar(_ key: String, _ value: String, _ shown: String) throws {
        let folder = try TemporaryFolder()
        let result = try runCourrier(["config", "--json"], environment: [key: value], in: folder.url)
        #expect(result.status == 0, "\(result.error)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: String]])
        #expect(rows.first { $0["key"] == key }?["value"] == shown)
        for (wrong, message) in [("30", "expected a duration with its unit"),
                                 ("90s", key == "COURRIER_RETENTION" ? "shorter than 1d" : "an interval that divides a day")] {
            let refused = try runCourrier(["config"], environment: [key: wrong], in: folder.url)
            #expect(refused.status != 0)
            #expect(refused.error.contains("\(key) is \"\(wrong)\"") && refused.error.contains(message), "\(refused.error)")
        }
    }

    @Test func textLogsForAPersonAtATerminal() throws {
        let folder = try TemporaryFolder()
        let result = try runCourrier(["wallet", "credit", "acme", "5", "--reference", "r", "--log-format", "text"],
                                     environment: ["COURRIER_DATABASE": folder.path("c.sqlite")], in: folder.url)
        #expect(result.status == 0)
        let line = try #require(result.error.split(separator: "\n").first)
        #expect(line.contains(" INFO  wallet.credited account=acme amount_cents=500 reference=r balance_cents=500"), "\(line)")
        #expect(!line.hasPrefix("{"))
    }
}
