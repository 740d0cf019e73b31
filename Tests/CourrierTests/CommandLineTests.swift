import Foundation
import Testing
import Bundling
import Storage
@testable import Courrier

/// The `courrier` binary, run as a user runs it.
@Suite struct CommandLineTests {
    @Test func aDemoBatchFromTheCommandLine() throws {
        let folder = try TemporaryFolder()
        let documents = try folder.copyFixtureDocuments()
        let environment = ["COURRIER_DATABASE": folder.path("store.sqlite"), "COURRIER_OUTBOX": folder.path("outbox")]

        let credit = try runCourrier(["wallet", "credit", "acme", "20.00", "--reference", "wire-1", "--json"],
                                     environment: environment, in: folder.url)
        #expect(credit.status == 0)
        let balance = try runCourrier(["wallet", "balance", "acme", "--json"], environment: environment, in: folder.url)
        #expect(try JSONSerialization.jsonObject(with: Data(balance.output.utf8)) as? NSDictionary
                == ["account": "acme", "balance_cents": 2000])

        let quote = try runCourrier(["quote", documents.appendingPathComponent("acme-invoice-fr.json").path, "--json"],
                                    environment: environment, in: folder.url)
        #expect(try JSONSerialization.jsonObject(with: Data(quote.output.utf8)) as? NSDictionary
                == ["account": "acme", "pages": 2, "sheets": 2, "envelope": "C5/6", "price_cents": 155,
                    "balance_cents": 2000, "balance_after_cents": 1845,
                    "includes": ["stamp": "BE", "envelope": "C5/6", "sheets": 2, "color": true, "duplex": false]])
        // A person is told the same: what the 1.55 EUR pays for.
        let told = try runCourrier(["quote", documents.appendingPathComponent("acme-invoice-fr.json").path],
                                   environment: environment, in: folder.url)
        #expect(told.output.contains("Includes:       stamp to BE, C5/6 window envelope, 2 sheets of paper, colour print on one side"),
                "\(told.output)")

        let enqueue = try runCourrier(["enqueue", documents.appendingPathComponent("acme-invoice-fr.json").path,
                                       documents.appendingPathComponent("acme-entretien-fr.json").path, "--json"],
                                      environment: environment, in: folder.url)
        #expect(enqueue.status == 0)
        let queued = try #require(try JSONSerialization.jsonObject(with: Data(enqueue.output.utf8)) as? [[String: Any]])
        #expect(queued.map { $0["state"] as? String } == ["queued", "queued"])
        #expect(queued.map { $0["document"] as? String } == ["INV-2026-0116", "INV-2026-0117"])

        let run = try runCourrier(["run", "--json"], environment: environment, in: folder.url)
        #expect(run.status == 0, "\(run.error)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        #expect(answer["prepared"] as? Int == 2)
        let bundlePath = try #require((answer["bundles"] as? [String])?.first)
        let manifest = try Manifest.decode(Data(contentsOf: URL(fileURLWithPath: bundlePath).appendingPathComponent("manifest.json")))
        #expect(manifest.totals.amountCents == 300)
        #expect(try openPDF(URL(fileURLWithPath: bundlePath).appendingPathComponent("letters.pdf")).pageCount == 3)

        // The event log on standard error: one JSON object per line, one per state change.
        let events = run.error.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(events.count == run.error.split(separator: "\n").count)
        // Files are read several at once: the two letters are queued, and prepared, in either order.
        #expect(events.filter { $0["event"] as? String == "job.prepared" }.compactMap { $0["price_cents"] as? Int }.sorted() == [145, 155])
        #expect(events.contains { $0["event"] as? String == "bundle.cut" && $0["batch"] as? String == manifest.batch })

        let status = try runCourrier(["status", "--json"], environment: environment, in: folder.url)
        let jobs = try #require((try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])?["jobs"] as? [String: Int])
        #expect(jobs["bundled"] == 2)
        #expect(jobs["queued"] == 0)
    }

    @Test func renderWritesTheLetterAndTouchesNoStore() throws {
        let folder = try TemporaryFolder()
        let result = try runCourrier(["render", Paths.document("peeters-factuur-nl.json").path, "-o", folder.path("letter.pdf")],
                                     environment: ["COURRIER_DATABASE": folder.path("store.sqlite")], in: folder.url)
        #expect(result.status == 0)
        let pdf = try openPDF(folder.url.appendingPathComponent("letter.pdf"))
        #expect(pdf.pageCount == 2)
        #expect(pdf.text(onPage: 1).contains("Algemene voorwaarden"))
        #expect(!FileManager.default.fileExists(atPath: folder.path("store.sqlite")))
    }

    @Test func optionsOverrideTheEnvironment() throws {
        let folder = try TemporaryFolder()
        let environment = ["COURRIER_DATABASE": folder.path("from-environment.sqlite")]
        try runCourrier(["wallet", "credit", "acme", "5", "--reference", "r", "--database", folder.path("from-option.sqlite")],
                        environment: environment, in: folder.url)
        #expect(FileManager.default.fileExists(atPath: folder.path("from-option.sqlite")))
        #expect(!FileManager.default.fileExists(atPath: folder.path("from-environment.sqlite")))
    }

    @Test(arguments: [
        (["wallet", "credit", "acme", "12.345", "--reference", "r"], "AMOUNT is a positive amount"),
        (["wallet", "credit", "acme", "10"], "needs --reference"),
        (["cancel", "42"], "there is no job 42"),
        (["fly"], "unknown verb \"fly\""),
        (["enqueue", "/nonexistent/invoice.json"], "/nonexistent/invoice.json: cannot read the file"),
    ])
    func aFailureSaysWhyInOneLine(_ case: ([String], String)) throws {
        let folder = try TemporaryFolder()
        let result = try runCourrier(`case`.0 + ["--log-level", "error"], environment: ["COURRIER_DATABASE": folder.path("s.sqlite")], in: folder.url)
        #expect(result.status != 0)
        let lines = result.error.split(separator: "\n").filter { $0.hasPrefix("courrier: ") }
        #expect(lines.count == 1)
        #expect(lines.first?.contains(`case`.1) == true, "\(result.error)")
    }

    /// `courrier run` killed at random moments, then run again until it
    /// finishes: no letter is charged twice, none is lost, and each is in
    /// exactly one bundle.
    @Test func aRunKilledAtRandomPointsChargesOnceAndLosesNothing() throws {
        let folder = try TemporaryFolder()
        let documents = folder.url.appendingPathComponent("documents")
        try FileManager.default.createDirectory(at: documents, withIntermediateDirectories: true)
        for folder in ["terms", "logos"] {
            try FileManager.default.copyItem(at: Paths.documents.appendingPathComponent(folder),
                                             to: documents.appendingPathComponent(folder))
        }
        // Enough that a run still has work when it is killed: a letter takes about 2.5 ms.
        let count = 150
        var files: [String] = []
        for index in 0..<count {
            let name = "doc-\(index).json"
            try folder.write("documents/\(name)", try fixtureDocument(index % 2 == 0 ? "acme-invoice-fr.json" : "acme-entretien-fr.json") {
                $0["id"] = "KILL-\(index)"
                // Two print streams, so that a cut writes two PDFs.
                if index % 3 == 0 { $0["print"] = ["duplex": true] }
            })
            files.append(documents.appendingPathComponent(name).path)
        }
        let environment = ["COURRIER_DATABASE": folder.path("store.sqlite"), "COURRIER_OUTBOX": folder.path("outbox"),
                           "COURRIER_LOG_LEVEL": "error"]
        try runCourrier(["wallet", "credit", "acme", "1000", "--reference", "top-up"], environment: environment, in: folder.url)
        #expect(try runCourrier(["enqueue"] + files, environment: environment, in: folder.url).status == 0)

        var generator = SystemRandomNumberGenerator()
        var kills = 0
        for _ in 0..<12 {
            let process = Process()
            process.executableURL = try Paths.courrierBinary
            process.arguments = ["run"]
            process.currentDirectoryURL = folder.url
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 10_000...300_000, using: &generator))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
        }
        #expect(kills > 0, "every run finished before it could be killed")
        let final = try runCourrier(["run", "--json"], environment: environment, in: folder.url)
        #expect(final.status == 0, "\(final.error)")

        let store = try SQLiteStore(path: folder.path("store.sqlite"))
        defer { store.close() }
        let status = try store.status(failureLimit: 10)
        // Kills from outside blame no letter: every one is bundled.
        #expect(status.jobs[.failed] == nil, "\(status.failures)")
        let bundled = count
        #expect(status.jobs[.bundled] == bundled, "\(status.jobs) after \(kills) kills")
        let debits = try store.history(account: "acme").filter { $0.kind == .debit }
        #expect(debits.count == bundled)
        #expect(Set(debits.compactMap(\.job)).count == bundled)
        let charged = debits.reduce(0) { $0 - $1.amountCents }
        #expect(try store.balance(account: "acme") == 100_000 - charged)

        // Every letter in exactly one complete bundle; nothing half-written left visible.
        let outbox = folder.url.appendingPathComponent("outbox")
        let bundles = try FileManager.default.contentsOfDirectory(atPath: outbox.path).filter { !$0.hasPrefix(".") }
        var jobsInBundles: [Int64] = []
        var amount: Int64 = 0
        for bundle in bundles {
            let folder = outbox.appendingPathComponent(bundle)
            let manifest = try Manifest.decode(Data(contentsOf: folder.appendingPathComponent("manifest.json")))
            #expect(try sha256sumCheck(folder))
            for stream in manifest.streams {
                #expect(try openPDF(folder.appendingPathComponent(stream.file)).pageCount == stream.pages + stream.blankPages)
            }
            jobsInBundles += manifest.letters.map(\.job)
            amount += manifest.totals.amountCents
        }
        #expect(jobsInBundles.count == bundled)
        #expect(Set(jobsInBundles).count == bundled)
        #expect(amount == charged)
    }
}

/// `courrier --version`: what an operator checks before pointing Courrier at
/// a store or a print shop.
@Suite struct VersionTests {
    @Test(arguments: [["--version"], ["version"]])
    func theVersionNamesTheBuildTheStoreSchemaAndTheFormats(_ arguments: [String]) throws {
        let folder = try TemporaryFolder()
        let result = try runCourrier(arguments, in: folder.url)
        #expect(result.status == 0)
        #expect(result.output == "courrier \(CourrierCommand.version) (store schema \(SQLiteStore.schemaVersion) on SQLite, \(PostgresStore.schemaVersion) on PostgreSQL; courrier.document/1, courrier.tariff/1, courrier.manifest/1)\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty, "no store is opened or made")
    }
}


/// One table drives the command line: each verb's help shows its arguments,
/// its options, the environment variable of each setting and an example; an
/// option of another verb is refused naming it.
@Suite struct VerbHelpTests {
    @Test(arguments: CommandTable.verbs.map(\.name))
    func eachVerbHasItsHelp(verb: String) throws {
        let folder = try TemporaryFolder()
        for arguments in [[verb, "--help"], ["help", verb]] {
            let result = try runCourrier(arguments, in: folder.url)
            #expect(result.status == 0, "\(arguments): \(result.error)")
            #expect(result.output.hasPrefix("Usage: courrier \(verb)"), "\(result.output)")
            #expect(result.output.contains("Example:\n  courrier "))
            #expect(result.output.contains("--database PATH|URL"))
            #expect(result.output.contains("(COURRIER_DATABASE)"))
            #expect(result.output.split(separator: "\n").allSatisfy { $0.count <= 100 }, "fits a terminal")
        }
    }

    @Test(arguments: [
        (["wallet", "balance", "acme", "--dpi", "3"], "--dpi does not apply to wallet; see courrier wallet --help"),
        (["status", "--deliver", "file:///tmp"], "--deliver does not apply to status; see courrier status --help"),
        (["enqueue", "a.json", "--cut-at", "10:00"], "--cut-at does not apply to enqueue; see courrier enqueue --help"),
        (["run", "--now"], "--now does not apply to run; see courrier run --help"),
        (["render", "a.json", "-o", "a.pdf", "--older-than", "90d"], "--older-than does not apply to render; see courrier render --help"),
        (["cancel", "1", "--reference", "x"], "--reference does not apply to cancel; see courrier cancel --help"),
    ] as [([String], String)])
    func anOptionOfAnotherVerbIsRefused(arguments: [String], message: String) throws {
        let folder = try TemporaryFolder()
        let result = try runCourrier(arguments, in: folder.url)
        #expect(result.status == 2)
        #expect(result.error == "courrier: \(message)\n", "one line: \(result.error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty, "nothing was opened or created")
    }

    /// `courrier config` shows every setting of the table (the schedule as
    /// times and days, or as an interval).
    @Test func configShowsEverySettingOfTheTable() throws {
        let folder = try TemporaryFolder()
        let result = try runCourrier(["config", "--json"], in: folder.url)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: String]])
        #expect(Set(rows.compactMap { $0["key"] })
                == Set(CommandTable.settings.map(\.key)).subtracting(["COURRIER_CUT_EVERY"]))
    }

    /// A verb called with the wrong words says so in the words of its own
    /// declaration, and opens nothing: no copy of its usage can drift.
    @Test func aVerbCalledWrongQuotesItsDeclaration() throws {
        let folder = try TemporaryFolder()
        for verb in CommandTable.verbs where !["help", "completion", "account", "wallet"].contains(verb.name) {
            let words = verb.arguments.isEmpty ? ["extra"] : []
            let result = try runCourrier([verb.name] + words, in: folder.url)
            #expect(result.status == 2, "\(verb.name): \(result.error)")
            let required = verb.options.filter(\.required).map { " --\($0.name) \($0.value)" }.joined()
            let usage = "usage: courrier \(verb.name)\(verb.arguments.isEmpty ? "" : " " + verb.arguments)\(required)"
            #expect(result.error == "courrier: \(usage)\n", "\(verb.name): \(result.error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty, "nothing was opened or created")
    }

    /// The usage lists every verb of the table, and every option the parser
    /// takes is in the help of some verb.
    @Test func theUsageAndTheParserComeFromTheTable() throws {
        let folder = try TemporaryFolder()
        let usage = try runCourrier(["help"], in: folder.url)
        #expect(usage.status == 0)
        for verb in CommandTable.verbs { #expect(usage.output.contains("\n  \(verb.name)"), "\(verb.name)") }
        let helps = try CommandTable.verbs.map { try runCourrier([$0.name, "--help"], in: folder.url).output }.joined()
        for option in Arguments.valued.union(Arguments.flagNames).subtracting(["help", "version"]) {
            #expect(helps.contains("--\(option)"), "--\(option) is in no verb's help")
        }
    }
}

/// A child Courrier (a part of a cut, a letter prepared alone) works under
/// the settings in force in its parent, whatever gave them: what the parent
/// hands down reads back as the same settings. A child that refused them
/// would fail every round that needs it.
@Suite struct ChildSettingsTests {
    @Test func whatAParentHandsDownReadsBackTheSame() throws {
        let parent = try Configuration.fromEnvironment([
            "COURRIER_DATABASE": "postgres://courrier@db.example.be:5432/mail", "COURRIER_OUTBOX": "/srv/outbox",
            "COURRIER_DELIVER": "file:///mnt/print-shop", "COURRIER_TRIGGER": "GO", "COURRIER_DROP_MODE": "0660",
            "COURRIER_DELIVERY_RETRY": "90s", "COURRIER_ENVELOPE": "DL", "COURRIER_FOLDED_SHEETS": "3",
            "COURRIER_MARKS": "omr+datamatrix", "COURRIER_POLL": "250ms", "COURRIER_GRACE": "2m",
            "COURRIER_STORE_RETRY": "0s", "COURRIER_CUT_AT": "09:30,15:00", "COURRIER_CUT_DAYS": "mon,wed,fri",
            "COURRIER_TIME_ZONE": "Europe/Amsterdam", "COURRIER_METRICS": "/var/lib/prom/courrier.prom",
            "COURRIER_LOG_LEVEL": "warning", "COURRIER_LOG_FORMAT": "text", "COURRIER_WORKER_ID": "mail-2",
            "COURRIER_RETENTION": "400d", "COURRIER_OPEN_TIMEOUT": "7s", "COURRIER_OPEN_MEMORY": "2G",
            "COURRIER_TERMS_MEMORY": "96M", "COURRIER_SSH_PASSPHRASE": "hunter2",
        ])
        let handed = parent.childEnvironment()
        #expect(handed["COURRIER_SSH_PASSPHRASE"] == nil, "a secret is not handed down")
        let child = try Configuration.fromEnvironment(handed)
        let parentSettings = Dictionary(uniqueKeysWithValues: parent.effectiveSettings().map { ($0.key, $0.value) })
        for (key, value) in child.effectiveSettings() where !["COURRIER_THREADS", "COURRIER_SSH_PASSPHRASE"].contains(key) {
            #expect(value == parentSettings[key], "\(key): the child reads \(value), the parent had \(parentSettings[key] ?? "nothing")")
        }
    }
}
